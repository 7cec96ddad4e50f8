import Crypto
import Foundation
import GatehouseBasics
import Synchronization

/// Why a DPoP proof (RFC 9449) was refused. Answers 401 with `WWW-Authenticate: DPoP error="..."` on a protected
/// resource; the sign-in endpoints answer the same codes with 400, as an authorization server does (RFC 9449
/// section 5). Reasons never contain the proof or a credential.
public struct DPoPError: Error, Equatable {
    public enum Kind: String, Sendable {
        /// `invalid_dpop_proof`: malformed, badly signed, stale, replayed, or for another request.
        case invalidProof = "invalid_dpop_proof"
        /// `use_dpop_nonce`: the server wants its nonce (sent in `DPoP-Nonce`) in the proof.
        case useNonce = "use_dpop_nonce"
        /// `invalid_token`: a bound credential without DPoP, or DPoP with a credential that is not bound.
        case invalidToken = "invalid_token"
        /// The replay cache is full of live entries: try again shortly (503).
        case busy = "dpop_busy"
    }

    public var kind: Kind
    public var reason: String
    /// The nonce to use, for `use_dpop_nonce` (sent as the `DPoP-Nonce` header).
    public var nonce: String?
    /// True at a protected resource (401 and `WWW-Authenticate`), false at a sign-in endpoint (400).
    public var atResource: Bool

    public init(kind: Kind, reason: String, nonce: String? = nil, atResource: Bool = true) {
        self.kind = kind
        self.reason = reason
        self.nonce = nonce
        self.atResource = atResource
    }

    public static func invalidProof(_ reason: String) -> DPoPError { DPoPError(kind: .invalidProof, reason: reason) }

    /// The same error as answered by an authorization-server endpoint (400 rather than 401).
    public func atSignIn() -> DPoPError {
        var copy = self
        copy.atResource = false
        return copy
    }

    /// The RFC's `error` value, for OAuth-shaped answers (`{"error": "invalid_dpop_proof"}` at `/oauth/token`).
    public var oauthError: String { kind == .busy ? "temporarily_unavailable" : kind.rawValue }

    public var status: Int {
        if kind == .busy { return 503 }
        return atResource ? 401 : 400
    }
    public var code: String { kind.rawValue }
    public var message: String { reason }
    public var retryAfter: Int? { kind == .busy ? 1 : nil }
    public var headers: [(String, String)] {
        var headers: [(String, String)] = []
        if atResource, kind != .busy {
            headers.append(
                (
                    "WWW-Authenticate",
                    #"DPoP error=""# + kind.rawValue + #"", algs=""# + DPoPKey.algorithms.joined(separator: " ") + #"""#
                ))
        }
        if let nonce { headers.append(("DPoP-Nonce", nonce)) }
        return headers
    }
}

/// Remembers the `jti` of every accepted proof until it can no longer pass the `iat` check, so a proof is
/// accepted once. Bounded: past `capacity` live entries new proofs are refused (503, never a silent eviction that
/// would reopen a replay). In memory, per process: see docs/threat-model.md for what that means with several hub
/// instances (a required nonce narrows it).
public final class DPoPReplayCache: Sendable {
    private struct State {
        var seen: [String: Date] = [:]
        /// Insertion order; expiries only grow (insertion time + a fixed span), so the front expires first.
        var order: [(key: String, expiry: Date)] = []
        var head = 0
    }

    private let state = Mutex(State())
    public let capacity: Int

    public init(capacity: Int = 250_000) {
        self.capacity = capacity
    }

    /// Records `key` until `expiry`; false when it is already there (a replay) — exactly one of any number of
    /// concurrent callers with the same key gets true. Throws ``DPoPError/Kind/busy`` when full.
    public func insert(_ key: String, expiry: Date, now: Date) throws(DPoPError) -> Bool {
        let outcome: Bool? = state.withLock { state in
            // Forget what has expired, oldest first.
            while state.head < state.order.count, state.order[state.head].expiry <= now {
                let old = state.order[state.head]
                if state.seen[old.key] == old.expiry { state.seen.removeValue(forKey: old.key) }
                state.head += 1
            }
            if state.head > 1024, state.head * 2 > state.order.count {
                state.order.removeFirst(state.head)
                state.head = 0
            }
            if let existing = state.seen[key], existing > now { return false }
            guard state.seen.count < capacity else { return nil }
            state.seen[key] = expiry
            state.order.append((key, expiry))
            return true
        }
        guard let outcome else {
            throw DPoPError(kind: .busy, reason: "Too many proofs at once. Try again in a moment.")
        }
        return outcome
    }

    /// Live entries (for tests).
    public var count: Int { state.withLock { $0.seen.count } }
}

/// Server nonces (RFC 9449 section 8), stateless: `base64url(window || HMAC(key, window)[0..<16])` where the window
/// is the current 5-minute period. A nonce from the current or the previous window is accepted, so every hub
/// instance sharing the keyring accepts every other's nonces without shared state.
public struct DPoPNonceSource: Sendable {
    public static let window: Int64 = 300
    private let key: NonceKey

    private final class NonceKey: @unchecked Sendable {
        // SymmetricKey is immutable once made; see HubEnvironment's DigestKey.
        let key: SymmetricKey
        init(_ key: SymmetricKey) { self.key = key }
    }

    public init(key: SymmetricKey) {
        self.key = NonceKey(key)
    }

    /// A nonce derived from a secret (a keyring pepper), with its own label.
    public init(secret: [UInt8]) {
        self.init(
            key: HKDF<SHA256>.deriveKey(
                inputKeyMaterial: SymmetricKey(data: secret), info: Array("gatehouse dpop nonce v1".utf8),
                outputByteCount: 32))
    }

    private func nonce(window: Int64) -> String {
        var bytes = withUnsafeBytes(of: window.bigEndian) { Array($0) }
        let mac = HMAC<SHA256>.authenticationCode(for: bytes, using: key.key)
        bytes.append(contentsOf: Array(mac).prefix(16))
        return Encoding.base64URL(bytes)
    }

    /// The nonce to hand out now.
    public func current(now: Date) -> String {
        nonce(window: Int64(now.timeIntervalSince1970.rounded(.down)) / Self.window)
    }

    /// True for a nonce of this window or the previous one (constant-time comparison).
    public func isValid(_ nonce: String, now: Date) -> Bool {
        guard nonce.utf8.count == 32, let bytes = DPoPBase64URL.decode(nonce), bytes.count == 24 else { return false }
        let window = bytes.prefix(8).reduce(Int64(0)) { $0 << 8 | Int64($1) }
        let current = Int64(now.timeIntervalSince1970.rounded(.down)) / Self.window
        guard window == current || window == current - 1 else { return false }
        let expected = Array(self.nonce(window: window).utf8)
        return ConstantTime.equals(expected, Array(nonce.utf8))
    }
}

/// Verifies DPoP proofs (RFC 9449): a compact JWS with `typ` `dpop+jwt`, `alg` ES256 or EdDSA, a public `jwk`,
/// and claims `jti`, `htm`, `htu`, `iat`, plus `ath` when a credential is presented and `nonce` when the server
/// asks for one. Returns the key's RFC 7638 thumbprint (`jkt`), which the caller compares with the credential's
/// binding (or binds a new credential to).
public struct DPoPVerifier: Sendable {
    public struct Policy: Sendable {
        /// How far `iat` may be from now, either way, in seconds.
        public var maximumSkew: TimeInterval
        /// Refuse proofs without a valid server nonce (`use_dpop_nonce`).
        public var requireNonce: Bool

        public init(maximumSkew: TimeInterval = 60, requireNonce: Bool = false) {
            self.maximumSkew = maximumSkew
            self.requireNonce = requireNonce
        }
    }

    /// A proof longer than this is refused before any parsing.
    public static let maximumProofLength = 4096

    public let replay: DPoPReplayCache
    public let nonces: DPoPNonceSource?
    public let policy: Policy

    public init(replay: DPoPReplayCache, nonces: DPoPNonceSource?, policy: Policy = Policy()) {
        self.replay = replay
        self.nonces = nonces
        self.policy = policy
    }

    /// Verifies `proof` for a request of `method` to `url` (the full URL the client addressed: the service's public
    /// URL plus the path; a query or fragment is ignored). With `accessToken`, the proof's `ath` must be the
    /// base64url SHA-256 of it. On success the `jti` is spent and the key's thumbprint returned.
    public func verify(proof: String, method: String, url: String, accessToken: String?, now: Date)
        throws(DPoPError) -> String
    {
        try check(proof: proof, method: method, url: url, accessToken: accessToken, now: now).thumbprint
    }

    /// A verified proof: the key's thumbprint, and what a shared replay store records (``DPoPStore``).
    public struct Verified: Sendable {
        public var thumbprint: String
        /// base64url(SHA-256(thumbprint, jti)): bounded whatever the `jti`.
        public var replayKey: String
        /// Until when the proof could pass the `iat` check.
        public var expiresAt: Date
    }

    /// ``verify(proof:method:url:accessToken:now:)`` with the replay key, for a caller that also spends the proof
    /// in a store shared by several instances.
    public func check(proof: String, method: String, url: String, accessToken: String?, now: Date)
        throws(DPoPError) -> Verified
    {
        guard proof.utf8.count <= Self.maximumProofLength else { throw .invalidProof("The DPoP proof is too long.") }
        let parts = proof.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = DPoPBase64URL.decode(parts[0]),
            let payloadBytes = DPoPBase64URL.decode(parts[1]), let signature = DPoPBase64URL.decode(parts[2])
        else { throw .invalidProof("The DPoP proof is not a compact JWS.") }
        guard payloadBytes.count <= 3072, let claims = try? JSONDecoder().decode(Claims.self, from: Data(payloadBytes))
        else { throw .invalidProof("The DPoP proof's claims are not a JSON object of the right shape.") }
        // A client sends the same header (its key) with every proof: what it parses to is remembered, so only the
        // signature is checked again.
        let headerText = String(parts[0])
        let parsed: DPoPKeyCache.Entry
        if let cached = DPoPKeyCache.shared.lookup(headerText) {
            parsed = cached
        } else {
            parsed = try Self.parseHeader(headerBytes)
            DPoPKeyCache.shared.store(headerText, parsed)
        }
        let key = parsed.key()
        let signingInput = Array(proof.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        guard key.isValidSignature(signature, for: signingInput) else {
            throw .invalidProof("The proof's signature does not verify.")
        }

        guard let jti = claims.jti, !jti.isEmpty, jti.utf8.count <= 256 else {
            throw .invalidProof("The proof needs a jti of at most 256 bytes.")
        }
        guard let htm = claims.htm, htm == method else {
            throw .invalidProof("The proof is for another HTTP method.")
        }
        guard let htu = claims.htu, htu.utf8.count <= 2048,
            let claimed = DPoPTarget.cached(htu), let expected = DPoPTarget.cached(url), claimed == expected
        else { throw .invalidProof("The proof is for another URL.") }
        guard let iat = claims.iat else { throw .invalidProof("The proof needs a numeric iat.") }
        guard iat.isFinite, abs(now.timeIntervalSince1970 - iat) <= policy.maximumSkew else {
            throw .invalidProof("The proof's iat is too far from the server's time.")
        }
        if let accessToken {
            let expectedHash = Encoding.base64URL(
                SHA256.hash(data: Array(accessToken.utf8)).withUnsafeBytes { Array($0) })
            guard let ath = claims.ath, ConstantTime.equals(ath, expectedHash) else {
                throw .invalidProof("The proof's ath does not match the credential.")
            }
        }
        if let nonces {
            if let nonce = claims.nonce {
                guard nonces.isValid(nonce, now: now) else {
                    throw DPoPError(
                        kind: .useNonce, reason: "Use the server's current DPoP nonce.", nonce: nonces.current(now: now)
                    )
                }
            } else if policy.requireNonce {
                throw DPoPError(
                    kind: .useNonce, reason: "This server needs a DPoP nonce in the proof.",
                    nonce: nonces.current(now: now))
            }
        }
        let thumbprint = parsed.thumbprint
        // Spent last, so a refused proof cannot burn a jti; kept until it could no longer pass the iat check.
        let expiry = now.addingTimeInterval(2 * policy.maximumSkew + 1)
        let replayKey = Encoding.base64URL(
            SHA256.hash(data: Array((thumbprint + " " + jti).utf8)).withUnsafeBytes { Array($0) })
        guard try replay.insert(replayKey, expiry: expiry, now: now) else {
            throw .invalidProof("This proof was already used.")
        }
        return Verified(thumbprint: thumbprint, replayKey: replayKey, expiresAt: expiry)
    }

    /// The protected header's rules: `typ`, `alg`, no `crit`, a public `jwk` that matches `alg`.
    static func parseHeader(_ bytes: [UInt8]) throws(DPoPError) -> DPoPKeyCache.Entry {
        guard let header = object(bytes) else { throw .invalidProof("The DPoP proof's header is not a JSON object.") }
        guard header["typ"] as? String == "dpop+jwt" else { throw .invalidProof("The proof's typ must be dpop+jwt.") }
        guard let algorithm = header["alg"] as? String, DPoPKey.algorithms.contains(algorithm) else {
            throw .invalidProof("The proof's alg must be one of " + DPoPKey.algorithms.joined(separator: ", ") + ".")
        }
        guard header["crit"] == nil else {
            throw .invalidProof("The proof has critical headers this server does not know.")
        }
        guard let jwk = header["jwk"] as? [String: Any] else { throw .invalidProof("The proof has no jwk header.") }
        return DPoPKeyCache.Entry(key: try DPoPKey.parse(jwk, algorithm: algorithm))
    }

    /// The claims a proof may carry; a member of the wrong JSON type makes the proof malformed.
    struct Claims: Decodable {
        var jti: String?
        var htm: String?
        var htu: String?
        var iat: Double?
        var ath: String?
        var nonce: String?
    }

    /// Parses a JSON object of at most a few kilobytes; nil for anything else.
    static func object(_ bytes: [UInt8]) -> [String: Any]? {
        guard !bytes.isEmpty, bytes.count <= 3072 else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(bytes), options: [])) as? [String: Any]
    }
}

/// The part of a URL that `htu` is compared on (RFC 9449 section 4.3, with RFC 3986 syntax-based normalization):
/// scheme and host in lower case, the port made explicit, the path (`/` when empty); query and fragment ignored.
public struct DPoPTarget: Equatable, Sendable {
    public var scheme: String
    public var host: String
    public var port: Int
    public var path: String

    public init?(_ text: String) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host?.lowercased(), !host.isEmpty,
            components.user == nil, components.password == nil
        else { return nil }
        self.scheme = scheme
        self.host = host
        self.port = components.port ?? (scheme == "https" ? 443 : 80)
        let path = components.percentEncodedPath
        self.path = Self.normalizePercentEncoding(path.isEmpty ? "/" : path)
    }

    /// Upper-cases percent-encoding hex digits and decodes unreserved characters, so equivalent paths compare equal.
    static func normalizePercentEncoding(_ path: String) -> String {
        guard path.contains("%") else { return path }
        let bytes = Array(path.utf8)
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
                let value = UInt8(String(decoding: bytes[index + 1...index + 2], as: UTF8.self), radix: 16)
            {
                let unreserved =
                    (value >= 0x41 && value <= 0x5a) || (value >= 0x61 && value <= 0x7a)
                    || (value >= 0x30 && value <= 0x39) || value == 0x2d || value == 0x2e || value == 0x5f
                    || value == 0x7e
                if unreserved {
                    out.append(value)
                } else {
                    out.append(contentsOf: Array(String(format: "%%%02X", value).utf8))
                }
                index += 3
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The URL a request for `path` was addressed to, for a service published at `publicURL` (which may carry a
    /// path prefix).
    public static func url(publicURL: String, path: String) -> String {
        var base = publicURL
        while base.hasSuffix("/") { base.removeLast() }
        return base + (path.hasPrefix("/") ? path : "/" + path)
    }
}

extension DPoPTarget {
    private static let targetCache = Mutex<[String: DPoPTarget]>([:])

    /// Parses through a small process-wide cache (the hub's own URLs repeat on every request); nil when invalid.
    /// A pure function of the text, so sharing it is safe; bounded (emptied when full).
    public static func cached(_ text: String) -> DPoPTarget? {
        if let hit = targetCache.withLock({ $0[text] }) { return hit }
        guard text.utf8.count <= 2048, let target = DPoPTarget(text) else { return nil }
        targetCache.withLock { cache in
            if cache.count >= 4096 { cache.removeAll(keepingCapacity: true) }
            cache[text] = target
        }
        return target
    }
}
