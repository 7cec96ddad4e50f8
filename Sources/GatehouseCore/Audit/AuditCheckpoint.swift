import Crypto
import Foundation
import GatehouseBasics

/// A signed statement of every audit chain's head at one moment, in the format of a C2SP signed note
/// (https://c2sp.org/signed-note) whose body follows C2SP's checkpoint (origin, size, root hash) with one extension
/// line per chain:
///
///     gatehouse-audit-v1
///     <events covered>
///     <base64 SHA-256 over the head lines>
///     time <unix seconds>
///     keyed-after <last entry written before chains were keyed, or "none">
///     head <chain> <last event id> <events in the chain up to it> <hash of that event>
///     ...
///
///     — gatehouse-audit-<kid> <base64(4-byte key hash || Ed25519 signature)>
///
/// Anyone who can write the database can recompute a plain hash chain, but not this signature: the key is derived
/// from a keyring signing key. ``verify(_:against:)`` then catches an edited, deleted or truncated entry at or
/// before each chain's head, even when the chain was rehashed after the edit.
public struct AuditCheckpoint: Sendable, Equatable {
    /// One chain's head.
    public struct Head: Sendable, Equatable {
        public let chain: String
        public let lastID: Int64
        public let count: Int
        public let hash: String

        public init(chain: String, lastID: Int64, count: Int, hash: String) {
            self.chain = chain
            self.lastID = lastID
            self.count = count
            self.hash = hash
        }

        var line: String { "head \(chain) \(lastID) \(count) \(hash)" }
    }

    public static let origin = "gatehouse-audit-v1"
    /// Largest note accepted when reading one (a checkpoint of 100,000 chains is about 14 MB).
    public static let maximumNoteBytes = 32 << 20

    public let heads: [Head]
    public let time: Int64
    /// The cut-over to keyed entries the database stated when signing (``AuditChain/keyedAfterFact``).
    public let keyedAfter: Int64?
    public let keyID: String
    /// The whole signed note.
    public let note: String

    public var size: Int { heads.reduce(0) { $0 + $1.count } }

    /// Why a note is not a valid checkpoint.
    public enum Failure: Swift.Error, Equatable, CustomStringConvertible {
        case malformed(String)
        case unknownKey(String)
        case badSignature

        public var description: String {
            switch self {
            case .malformed(let reason): "not a Gatehouse audit checkpoint: \(reason)"
            case .unknownKey(let name): "the checkpoint is signed by \(name), a key this keyring never had"
            case .badSignature: "the checkpoint's signature does not verify (the checkpoint was altered)"
            }
        }
    }

    static func body(heads: [Head], time: Int64, keyedAfter: Int64?) -> String {
        let lines = heads.map(\.line)
        let root = Data(SHA256.hash(data: Array(lines.joined(separator: "\n").utf8))).base64EncodedString()
        let size = heads.reduce(0) { $0 + $1.count }
        let cutOver = "keyed-after " + (keyedAfter.map(String.init) ?? "none")
        return ([origin, String(size), root, "time \(time)", cutOver] + lines).joined(separator: "\n") + "\n"
    }

    /// Signs the heads (sorted by chain) with the keyring's current signing key's audit key.
    public static func sign(heads: [Head], at date: Date, keyring: Keyring, keyedAfter: Int64? = nil) throws
        -> AuditCheckpoint
    {
        let sorted = heads.sorted { $0.chain < $1.chain }
        for head in sorted where head.chain.isEmpty || head.chain.contains(where: \.isWhitespace) {
            throw Failure.malformed("chain name \(head.chain)")
        }
        let time = date.epochSeconds
        let text = body(heads: sorted, time: time, keyedAfter: keyedAfter)
        let key = keyring.currentSigningKey
        let privateKey = try AuditCheckpointSigner.privateKey(derivedFrom: key)
        let name = AuditCheckpointSigner.keyName(kid: key.id)
        let signature = try privateKey.signature(for: Array(text.utf8))
        let keyHash = AuditCheckpointSigner.keyHash(
            name: name, publicKey: Array(privateKey.publicKey.rawRepresentation))
        let line = "\u{2014} \(name) \(Data(keyHash + Array(signature)).base64EncodedString())\n"
        return AuditCheckpoint(
            heads: sorted, time: time, keyedAfter: keyedAfter, keyID: key.id, note: text + "\n" + line)
    }

    /// Parses a note and checks its signature with the keyring's signing keys (current or retired).
    public static func open(_ note: String, keyring: Keyring) throws(Failure) -> AuditCheckpoint {
        guard note.utf8.count <= maximumNoteBytes else { throw .malformed("too large") }
        guard let split = note.range(of: "\n\n", options: .backwards) else { throw .malformed("no signature block") }
        let text = String(note[note.startIndex..<split.lowerBound]) + "\n"
        let signatures = note[split.upperBound...].split(separator: "\n")
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines.removeLast()
        guard lines.count >= 5, lines[0] == origin, let size = Int(lines[1]), lines[3].hasPrefix("time "),
            let time = Int64(lines[3].dropFirst(5)), lines[4].hasPrefix("keyed-after ")
        else { throw .malformed("bad header") }
        let cutOver = lines[4].dropFirst("keyed-after ".count)
        let keyedAfter = Int64(cutOver)
        guard keyedAfter != nil || cutOver == "none" else { throw .malformed("bad keyed-after line") }
        var heads: [Head] = []
        for line in lines.dropFirst(5) {
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 5, parts[0] == "head", !parts[1].isEmpty, let id = Int64(parts[2]),
                let count = Int(parts[3]), count > 0, !parts[4].isEmpty
            else { throw .malformed("bad head line") }
            heads.append(Head(chain: String(parts[1]), lastID: id, count: count, hash: String(parts[4])))
        }
        guard body(heads: heads, time: time, keyedAfter: keyedAfter) == text, size == heads.reduce(0, { $0 + $1.count })
        else {
            throw .malformed("the root hash or size does not match the heads")
        }
        let candidates = AuditCheckpointSigner.verificationKeys(keyring)
        for line in signatures {
            let parts = line.split(separator: " ")
            guard parts.count == 3, parts[0] == "\u{2014}", let blob = Data(base64Encoded: String(parts[2])),
                blob.count == 68
            else { continue }
            let name = String(parts[1])
            guard let key = candidates.first(where: { $0.name == name }) else { throw .unknownKey(name) }
            let bytes = Array(blob)
            guard Array(bytes[0..<4]) == AuditCheckpointSigner.keyHash(name: name, publicKey: key.publicKey),
                let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: key.publicKey),
                publicKey.isValidSignature(Array(bytes[4...]), for: Array(text.utf8))
            else { throw .badSignature }
            return AuditCheckpoint(heads: heads, time: time, keyedAfter: keyedAfter, keyID: key.kid, note: note)
        }
        throw .malformed("no Gatehouse signature line")
    }

    /// Checks the database's chains against this checkpoint: every chain it names must still hold, intact, exactly
    /// `count` entries up to `lastID`, the last with the signed hash. Entries after the head (written since) are
    /// checked by the chain rule only. Returns the problems found (empty when everything holds).
    public func verify(chains: [String: [AuditEvent]], key: SymmetricKey? = nil, keyedAfter stated: Int64? = nil)
        -> [String]
    {
        var problems: [String] = []
        if stated != keyedAfter {
            problems.append(
                "the cut-over to keyed entries moved: the checkpoint signed \(keyedAfter.map(String.init) ?? "none"), "
                    + "the database says \(stated.map(String.init) ?? "none")")
        }
        for head in heads {
            guard let events = chains[head.chain], !events.isEmpty else {
                problems.append("chain \(head.chain): missing (the checkpoint holds \(head.count) entries)")
                continue
            }
            if let problem = AuditChain.verify(events, key: key, keyedAfter: keyedAfter) {
                problems.append("chain \(head.chain): \(problem)")
                continue
            }
            let upTo = events.filter { $0.id <= head.lastID }
            guard let last = upTo.last, last.id == head.lastID else {
                problems.append(
                    "chain \(head.chain): entry \(head.lastID), its head at the checkpoint, is gone (truncated)")
                continue
            }
            guard upTo.count == head.count else {
                problems.append(
                    "chain \(head.chain): \(upTo.count) entries up to \(head.lastID), the checkpoint signed "
                        + "\(head.count) (an entry was deleted or inserted)")
                continue
            }
            guard ConstantTime.equals(last.hash, head.hash) else {
                problems.append(
                    "chain \(head.chain): the head hash differs from the signed one (an entry was edited and the "
                        + "chain recomputed)")
                continue
            }
        }
        return problems
    }
}

/// The per-purpose Ed25519 key that signs audit checkpoints: derived (HKDF-SHA-256) from a keyring signing key's
/// seed, so a checkpoint signature can never be taken for a media token or a key endorsement.
public enum AuditCheckpointSigner {
    static let info = Array("gatehouse audit checkpoint key v1".utf8)

    static func privateKey(derivedFrom key: Keyring.Key) throws -> Curve25519.Signing.PrivateKey {
        let seed = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: key.material), info: info, outputByteCount: 32)
        return try Curve25519.Signing.PrivateKey(rawRepresentation: seed.withUnsafeBytes { Array($0) })
    }

    /// The public audit key derived from signing key `key`, base64url.
    public static func publicKey(derivedFrom key: Keyring.Key) -> String? {
        guard let privateKey = try? privateKey(derivedFrom: key) else { return nil }
        return Encoding.base64URL(Array(privateKey.publicKey.rawRepresentation))
    }

    /// The signed-note key name for signing key `kid`.
    public static func keyName(kid: String) -> String { "gatehouse-audit-\(kid)" }

    /// The signed-note key hash: the first 4 bytes of SHA-256(name, newline, 0x01 (Ed25519), public key).
    static func keyHash(name: String, publicKey: [UInt8]) -> [UInt8] {
        Array(SHA256.hash(data: Array(name.utf8) + [0x0A, 0x01] + publicKey).prefix(4))
    }

    /// Every key a checkpoint of this keyring may be signed with: current and retired signing keys.
    static func verificationKeys(_ keyring: Keyring) -> [(name: String, kid: String, publicKey: [UInt8])] {
        var keys: [(name: String, kid: String, publicKey: [UInt8])] = []
        for retired in keyring.retiredSigningKeys ?? [] {
            if let bytes = Encoding.bytes(base64URL: retired.auditPublicKey) {
                keys.append((keyName(kid: retired.id), retired.id, bytes))
            }
        }
        for key in keyring.signingKeys {
            if let privateKey = try? privateKey(derivedFrom: key) {
                keys.append((keyName(kid: key.id), key.id, Array(privateKey.publicKey.rawRepresentation)))
            }
        }
        return keys
    }
}
