import Crypto
import Foundation
import Synchronization

/// The public key a DPoP proof carries in its `jwk` header, parsed strictly: only the members of the key type,
/// no private members, exact lengths. Two kinds are accepted: EC P-256 (`ES256`) and OKP Ed25519 (`EdDSA`).
public enum DPoPKey {
    case p256(P256.Signing.PublicKey, x: [UInt8], y: [UInt8])
    case ed25519(Curve25519.Signing.PublicKey, x: [UInt8])

    /// Signature algorithms accepted in a proof's `alg` header: ES256, and Ed25519 under its JOSE name `EdDSA` or
    /// its fully-specified RFC 9864 name `Ed25519`. `none`, `HS*` and everything else are refused.
    public static let algorithms = ["ES256", "EdDSA", "Ed25519"]

    /// Members that only a private (or symmetric) key has: a `jwk` that carries any of them is refused.
    static let privateMembers: Set<String> = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"]

    /// Parses a `jwk` header object for the given `alg`.
    static func parse(_ object: [String: Any], algorithm: String) throws(DPoPError) -> DPoPKey {
        guard object.count <= 12 else { throw .invalidProof("The proof's key has too many members.") }
        for name in object.keys where privateMembers.contains(name) {
            throw .invalidProof("The proof's key must be a public key.")
        }
        guard let kty = object["kty"] as? String else { throw .invalidProof("The proof's key has no kty.") }
        func member(_ name: String, length: Int) throws(DPoPError) -> [UInt8] {
            guard let text = object[name] as? String, let bytes = DPoPBase64URL.decode(text), bytes.count == length
            else {
                throw .invalidProof("The proof's key member \(name) is malformed.")
            }
            return bytes
        }
        switch (algorithm, kty) {
        case ("ES256", "EC"):
            guard object["crv"] as? String == "P-256" else { throw .invalidProof("ES256 needs a P-256 key.") }
            let x = try member("x", length: 32)
            let y = try member("y", length: 32)
            guard let key = try? P256.Signing.PublicKey(rawRepresentation: x + y) else {
                throw .invalidProof("The proof's key is not a point on P-256.")
            }
            return .p256(key, x: x, y: y)
        case ("EdDSA", "OKP"), ("Ed25519", "OKP"):
            guard object["crv"] as? String == "Ed25519" else { throw .invalidProof("EdDSA needs an Ed25519 key.") }
            let x = try member("x", length: 32)
            guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: x) else {
                throw .invalidProof("The proof's key is not an Ed25519 key.")
            }
            return .ed25519(key, x: x)
        default:
            throw .invalidProof("The proof's key type does not match its algorithm.")
        }
    }

    /// The RFC 7638 JWK thumbprint: base64url(SHA-256) of the required members in lexicographic order, with no
    /// white space. The coordinates are re-encoded from their bytes, so a non-canonical encoding in the proof
    /// cannot give the same key a second thumbprint.
    public var thumbprint: String {
        let canonical: String
        switch self {
        case .p256(_, let x, let y):
            canonical =
                #"{"crv":"P-256","kty":"EC","x":""# + Encoding.base64URL(x) + #"","y":""# + Encoding.base64URL(y)
                + #""}"#
        case .ed25519(_, let x):
            canonical = #"{"crv":"Ed25519","kty":"OKP","x":""# + Encoding.base64URL(x) + #""}"#
        }
        return Encoding.base64URL(SHA256.hash(data: Array(canonical.utf8)))
    }

    /// Checks a JWS signature over `signingInput`: ES256 as the 64-byte `r || s`, EdDSA as 64 bytes.
    func isValidSignature(_ signature: [UInt8], for signingInput: [UInt8]) -> Bool {
        guard signature.count == 64 else { return false }
        switch self {
        case .p256(let key, _, _):
            guard let parsed = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return key.isValidSignature(parsed, for: signingInput)
        case .ed25519(let key, _):
            return key.isValidSignature(signature, for: signingInput)
        }
    }
}

/// Strict unpadded base64url, as JWS requires: only the 64 letters, no padding, no white space, and the unused
/// low bits of the last letter must be zero (so every byte string has exactly one encoding).
public enum DPoPBase64URL {
    private static let table: [UInt8] = {
        var table = [UInt8](repeating: 0xff, count: 256)
        for (index, letter) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8.enumerated() {
            table[Int(letter)] = UInt8(index)
        }
        return table
    }()

    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var text = String(text)
        return text.withUTF8 { input in decode(bytes: input) }
    }

    /// The decoder proper, on raw bytes (one pass over a buffer: it runs on every DPoP request).
    static func decode(bytes input: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard input.count % 4 != 1 else { return nil }
        let outputCount = input.count * 3 / 4
        var valid = true
        let out = table.withUnsafeBufferPointer { table in
            [UInt8](unsafeUninitializedCapacity: outputCount) { output, initialized in
                var buffer: UInt32 = 0
                var bits = 0
                var written = 0
                for letter in input {
                    let value = table[Int(letter)]
                    if value == 0xff { valid = false; break }
                    buffer = (buffer << 6) | UInt32(value)
                    bits += 6
                    if bits >= 8 {
                        bits -= 8
                        output[written] = UInt8(truncatingIfNeeded: buffer >> UInt32(bits))
                        written += 1
                    }
                }
                // Leftover bits must be zero: otherwise two texts would decode to the same bytes.
                if valid, buffer & ((1 << UInt32(bits)) - 1) != 0 { valid = false }
                initialized = written
            }
        }
        return valid ? out : nil
    }
}

/// What a proof's protected header parsed to, remembered by its base64url text: a client sends the same header
/// (its public key) with every proof, so the JSON, the `jwk` rules and the thumbprint are worked out once. A pure
/// function of the text (an entry is stored only after every header rule passed), so one process-wide cache serves
/// every verifier; bounded (emptied when full), so junk headers cannot grow it.
public final class DPoPKeyCache: Sendable {
    public struct Entry: Sendable {
        /// The parsed verification key. swift-crypto's public keys are not marked Sendable, but they are immutable
        /// once made and verification does not change them (the same reasoning as HubEnvironment's digest key), so
        /// one parsed key is shared rather than re-parsed (a point decompression and curve check) per proof.
        final class Box: @unchecked Sendable {
            let key: DPoPKey
            init(_ key: DPoPKey) { self.key = key }
        }

        let box: Box
        public var thumbprint: String

        init(key: DPoPKey) {
            box = Box(key)
            thumbprint = key.thumbprint
        }

        func key() -> DPoPKey { box.key }
    }

    public static let shared = DPoPKeyCache()

    private let entries = Mutex<[String: Entry]>([:])
    private let capacity: Int

    public init(capacity: Int = 4096) {
        self.capacity = capacity
    }

    func lookup(_ header: String) -> Entry? {
        entries.withLock { $0[header] }
    }

    func store(_ header: String, _ entry: Entry) {
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[header] = entry
        }
    }
}

/// Spent DPoP proofs in the database, for a replay check shared by every hub instance.
public protocol DPoPStore: Sendable {
    /// Records `key` until `expiresAt`; false when it was already recorded (a replay). Atomic: of concurrent
    /// callers with one key, exactly one gets true.
    func spendDPoPProof(key: String, expiresAt: Date) async throws -> Bool
    /// Deletes records that expired at or before `date`; returns how many.
    func purgeDPoPProofs(before date: Date) async throws -> Int
}
