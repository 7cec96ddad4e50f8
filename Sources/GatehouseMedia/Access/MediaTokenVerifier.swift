import Crypto
import Foundation
import GatehouseWire

/// Verifies media access tokens offline: signature by a published hub key, type, audience, times and revocations.
public struct MediaTokenVerifier: Sendable {
    /// Clock leeway accepted on `exp` and `iat`, in seconds.
    public static let leeway: Int64 = 30
    /// Longest token lifetime accepted; revocation records are kept at least this long.
    public static let maximumLifetime: Int64 = 3600
    /// Longest token accepted, in bytes, before any parsing.
    static let maximumTokenLength = 4096

    let keys: MediaKeyRing
    let revocations: RevocationState
    let identity: ServerIdentity
    let now: @Sendable () -> Double

    /// Creates a verifier over the given key ring, revocation state and identity.
    public init(
        keys: MediaKeyRing, revocations: RevocationState, identity: ServerIdentity,
        now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) {
        self.keys = keys
        self.revocations = revocations
        self.identity = identity
        self.now = now
    }

    /// Verifies `token` and returns what it grants, refetching the hub keys (rate-limited) for an unknown key id.
    public func verify(_ token: String) async throws(MediaError) -> MediaAccess {
        let parsed = try Self.parse(token)
        let key: HubPublicKey
        if let cached = keys.key(id: parsed.claims.kid) {
            key = cached
        } else if let fetched = await keys.keyRefreshingIfUnknown(id: parsed.claims.kid) {
            key = fetched
        } else {
            throw .unknownKey
        }
        return try check(parsed, key: key)
    }

    /// Verifies `token` with cached keys only (no hub fetch); used on hot paths and in benchmarks.
    public func verifyCached(_ token: String) throws(MediaError) -> MediaAccess {
        let parsed = try Self.parse(token)
        guard let key = keys.key(id: parsed.claims.kid) else { throw .unknownKey }
        return try check(parsed, key: key)
    }

    struct ParsedToken {
        var signedPart: Substring
        var signature: [UInt8]
        var claims: MediaTokenClaims
    }

    static func parse(_ token: String) throws(MediaError) -> ParsedToken {
        if token.hasPrefix("ghd_") || token.hasPrefix("ghs_") {
            throw .wrongTokenType
        }
        guard token.utf8.count <= maximumTokenLength else { throw .malformedToken }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "v1" else {
            throw token.hasPrefix("v1.") ? .malformedToken : .wrongTokenType
        }
        guard let payload = Base64URL.decode(parts[1]), let signature = Base64URL.decode(parts[2]),
            signature.count == 64
        else {
            throw .malformedToken
        }
        let claims: MediaTokenClaims
        do {
            claims = try JSONDecoder().decode(MediaTokenClaims.self, from: Data(payload))
        } catch {
            throw .malformedToken
        }
        let signedEnd = parts[1].endIndex
        return ParsedToken(signedPart: token[token.startIndex..<signedEnd], signature: signature, claims: claims)
    }

    private func check(_ parsed: ParsedToken, key: HubPublicKey) throws(MediaError) -> MediaAccess {
        // The signature is checked before any claim is trusted.
        guard key.isValidSignature(parsed.signature, for: Array(parsed.signedPart.utf8)) else {
            throw .badSignature
        }
        let claims = parsed.claims
        // A profile's token says so in its type (so servers that predate profiles refuse it), and only a profile's
        // token may carry restrictions: either without the other is refused.
        guard claims.typ == "media" || claims.typ == MediaTokenClaims.profileType else { throw .wrongTokenType }
        guard (claims.typ == MediaTokenClaims.profileType) == (claims.prf != nil) else { throw .wrongTokenType }
        guard let serverID = identity.serverID else { throw .notClaimed }
        guard claims.aud == serverID else { throw .wrongAudience }
        let current = Int64(now().rounded(.down))
        guard claims.exp > current - Self.leeway else { throw .expired }
        guard claims.iat <= current + Self.leeway else { throw .notYetValid }
        guard claims.exp >= claims.iat, claims.exp - claims.iat <= Self.maximumLifetime else {
            throw .lifetimeTooLong
        }
        guard !revocations.isRevoked(accountID: claims.sub, deviceID: claims.dev, issuedAt: claims.iat) else {
            throw .revoked
        }
        return MediaAccess(
            accountID: claims.sub, deviceID: claims.dev, isOwner: claims.own, sharedSections: Set(claims.sec),
            boundThumbprint: claims.cnf?.jkt, profile: claims.prf)
    }
}
