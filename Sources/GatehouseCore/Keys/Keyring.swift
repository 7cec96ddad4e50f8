import Crypto
import Foundation

/// The hub's secret keys: password peppers, data-encryption keys and token-signing keys.
///
/// Kept in a file outside the database (mode 0600), so that a copy of the database alone is useless to an
/// intruder. Old keys stay for verification and decryption after a rotation; new secrets use the current ones.
public struct Keyring: Sendable, Codable, Equatable {
    /// A named secret.
    public struct Key: Sendable, Codable, Equatable {
        public let id: String
        public let material: [UInt8]
        public let createdAt: Int64

        public init(id: String, material: [UInt8], createdAt: Int64) {
            self.id = id
            self.material = material
            self.createdAt = createdAt
        }
    }

    public enum Error: Swift.Error, CustomStringConvertible {
        case unreadable(path: String, reason: String)
        case insecurePermissions(path: String)
        case empty(kind: String)

        public var description: String {
            switch self {
            case .unreadable(let path, let reason): "cannot read keyring \(path): \(reason)"
            case .insecurePermissions(let path): "keyring \(path) is readable by others; run chmod 600 on it"
            case .empty(let kind): "keyring has no \(kind) key"
            }
        }
    }

    /// Argon2 secret inputs (K), newest last.
    public private(set) var peppers: [Key]
    /// AES-256-GCM keys for secrets at rest (TOTP seeds), newest last.
    public private(set) var dataKeys: [Key]
    /// Ed25519 private keys (raw 32-byte seeds) for server-scoped tokens, newest last.
    public private(set) var signingKeys: [Key]

    /// A retired signing key's endorsement of the key after it (see ``MediaTokenSigner/publishedKeys()``): kept when
    /// the endorsing key is retired, so media servers that pinned it still follow the chain.
    public struct Endorsement: Sendable, Codable, Equatable {
        public let signedBy: String
        public let signature: String
    }

    /// What stays of a retired signing key: its public halves (media tokens and audit checkpoints), so checkpoints it
    /// signed still verify. Never the private key.
    public struct RetiredKey: Sendable, Codable, Equatable {
        public let id: String
        public let publicKey: String
        public let auditPublicKey: String
        public let retiredAt: Int64
    }

    /// Endorsements made by keys retired since, by endorsed key id (absent in keyrings that never retired a key).
    public private(set) var endorsements: [String: Endorsement]?
    /// Retired signing keys' public halves, oldest first.
    public private(set) var retiredSigningKeys: [RetiredKey]?
    /// Ids of every retired key of any kind, so a rotation never reuses one.
    public private(set) var retiredIDs: [String]?
    /// The ``KeyringCheck`` key, kept once a key it was derived from is retired (a one-way HKDF output).
    public private(set) var checkKey: [UInt8]?

    /// The pepper new password hashes use.
    public var currentPepper: Key { peppers[peppers.count - 1] }
    /// The data key new encryptions use.
    public var currentDataKey: Key { dataKeys[dataKeys.count - 1] }
    /// The signing key new tokens use.
    public var currentSigningKey: Key { signingKeys[signingKeys.count - 1] }

    /// A new keyring with one key of each kind.
    public static func generate(now: Date = Date()) -> Keyring {
        var ring = Keyring(peppers: [], dataKeys: [], signingKeys: [])
        ring.rotate(now: now)
        return ring
    }

    private init(peppers: [Key], dataKeys: [Key], signingKeys: [Key]) {
        self.peppers = peppers
        self.dataKeys = dataKeys
        self.signingKeys = signingKeys
    }

    /// Adds a new key of each kind; older keys are kept for verification and decryption.
    public mutating func rotate(now: Date = Date()) {
        let stamp = now.epochSeconds
        peppers.append(Key(id: nextID("p", peppers), material: SecureRandom.bytes(32), createdAt: stamp))
        dataKeys.append(Key(id: nextID("d", dataKeys), material: SecureRandom.bytes(32), createdAt: stamp))
        signingKeys.append(Key(id: nextID("s", signingKeys), material: SecureRandom.bytes(32), createdAt: stamp))
    }

    /// `prefix` and one more than the highest number used so far, retired keys included.
    private func nextID(_ prefix: String, _ keys: [Key]) -> String {
        let used = (keys.map(\.id) + (retiredIDs ?? [])).compactMap { id -> Int? in
            guard id.hasPrefix(prefix) else { return nil }
            return Int(id.dropFirst(prefix.count))
        }
        return prefix + String((used.max() ?? 0) + 1)
    }

    /// What ``retire(id:now:)`` refused, in words an operator can act on.
    public enum RetireRefusal: Swift.Error, Equatable, CustomStringConvertible {
        case unknown(String)
        case current(String)
        case root(String, uses: String)
        case notOldest(String, oldest: String)
        case inUse(String, count: Int, what: String)

        public var description: String {
            switch self {
            case .unknown(let id): "refused: the keyring holds no key \(id)"
            case .current(let id):
                "refused: \(id) is the current key of its kind; run `gatehouse keys rotate` first, restart the hub, "
                    + "and retire it later"
            case .root(let id, let uses):
                "refused: \(id) is the first key of its kind, the root the hub derives \(uses) from; it stays for the "
                    + "life of the keyring"
            case .notOldest(let id, let oldest):
                "refused: signing keys retire oldest first (media servers follow the endorsement chain in order); "
                    + "retire \(oldest) before \(id)"
            case .inUse(let id, let count, let what):
                "refused: \(count) \(what) still use \(id); they are re-made with the current key as they are used "
                    + "(password hashes at the next sign-in, sealed values when re-sealed or deleted). Retire it once "
                    + "none is left"
            }
        }
    }

    /// The kind of key an id names.
    public enum Kind: String, Sendable {
        case pepper
        case data
        case signing
    }

    /// Which kind of key `id` is, if the keyring holds it.
    public func kind(of id: String) -> Kind? {
        if peppers.contains(where: { $0.id == id }) { return .pepper }
        if dataKeys.contains(where: { $0.id == id }) { return .data }
        if signingKeys.contains(where: { $0.id == id }) { return .signing }
        return nil
    }

    /// Removes key `id` for good, when nothing may still need it.
    ///
    /// - The current key of each kind and the first pepper (the root of derived keys) never retire.
    /// - Signing keys retire oldest first; the retired key's endorsement of the next key is kept (so media servers
    ///   that pinned it follow the chain), and its public halves stay for old audit checkpoints.
    /// - `valuesInUse` is how many stored values (password hashes for a pepper, sealed values for a data key) still
    ///   use the key; the caller counts them in the database. Any is a refusal.
    public mutating func retire(id: String, valuesInUse: Int = 0, now: Date = Date()) throws(RetireRefusal) {
        guard let kind = kind(of: id) else { throw .unknown(id) }
        switch kind {
        case .pepper:
            guard id != currentPepper.id else { throw .current(id) }
            guard id != peppers[0].id else {
                throw .root(
                    id, uses: "the token-digest, recovery-code, DPoP-nonce, CSRF, lock-link, canary and audit keys")
            }
            guard valuesInUse == 0 else { throw .inUse(id, count: valuesInUse, what: "password hashes") }
            preserveCheckKey()
            peppers.removeAll { $0.id == id }
        case .data:
            guard id != currentDataKey.id else { throw .current(id) }
            guard valuesInUse == 0 else { throw .inUse(id, count: valuesInUse, what: "sealed values") }
            preserveCheckKey()
            dataKeys.removeAll { $0.id == id }
        case .signing:
            guard id != currentSigningKey.id else { throw .current(id) }
            guard id == signingKeys[0].id else { throw .notOldest(id, oldest: signingKeys[0].id) }
            let published = MediaTokenSigner(keyring: self).publishedKeys()
            var stored = endorsements ?? [:]
            if published.count > 1, stored[published[1].kid] == nil, let signedBy = published[1].signedBy,
                let signature = published[1].signature
            {
                stored[published[1].kid] = Endorsement(signedBy: signedBy, signature: signature)
            }
            endorsements = stored
            let auditKey = AuditCheckpointSigner.publicKey(derivedFrom: signingKeys[0])
            retiredSigningKeys =
                (retiredSigningKeys ?? []) + [
                    RetiredKey(
                        id: id, publicKey: published[0].publicKey, auditPublicKey: auditKey ?? "",
                        retiredAt: now.epochSeconds)
                ]
            preserveCheckKey()
            signingKeys.removeFirst()
        }
        retiredIDs = (retiredIDs ?? []) + [id]
    }

    /// Keeps the keyring check stable across the retirement of a key it was derived from.
    private mutating func preserveCheckKey() {
        if checkKey == nil { checkKey = KeyringCheck.checkKey(for: self) }
    }

    /// A key for one purpose, derived (HKDF-SHA-256) from the first pepper with the label `gatehouse <purpose> v1`,
    /// so no two uses share a key and none uses a pepper itself. The first pepper never retires, so these keys live
    /// as long as the keyring.
    public func derivedKey(purpose: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: peppers[0].material), info: Array("gatehouse \(purpose) v1".utf8),
            outputByteCount: 32)
    }

    /// The pepper named `id`, if the keyring still holds it.
    public func pepper(id: String) -> Key? { peppers.first { $0.id == id } }

    /// The data key named `id`.
    public func dataKey(id: String) -> Key? { dataKeys.first { $0.id == id } }

    /// Public halves of the signing keys, for media servers to verify tokens offline.
    public func publicSigningKeys() -> [(id: String, publicKey: [UInt8])] {
        signingKeys.compactMap { key in
            guard let privateKey = try? Curve25519.Signing.PrivateKey(rawRepresentation: key.material) else {
                return nil
            }
            return (key.id, Array(privateKey.publicKey.rawRepresentation))
        }
    }

    /// Loads the keyring at `path`, or creates it (mode 0600) when the file does not exist.
    /// - Returns: the keyring and whether it was created now.
    public static func loadOrCreate(at path: String) throws -> (Keyring, created: Bool) {
        let manager = FileManager.default
        if manager.fileExists(atPath: path) {
            return (try load(from: path), false)
        }
        let ring = Keyring.generate()
        try ring.save(to: path)
        return (ring, true)
    }

    /// Loads a keyring, refusing one that others can read.
    public static func load(from path: String) throws -> Keyring {
        let manager = FileManager.default
        if let attributes = try? manager.attributesOfItem(atPath: path),
            let mode = attributes[.posixPermissions] as? NSNumber,
            mode.intValue & 0o077 != 0
        {
            throw Error.insecurePermissions(path: path)
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw Error.unreadable(path: path, reason: "\(error.localizedDescription)")
        }
        let ring: Keyring
        do {
            ring = try JSONDecoder().decode(Keyring.self, from: data)
        } catch {
            throw Error.unreadable(path: path, reason: "not a Gatehouse keyring")
        }
        if ring.peppers.isEmpty { throw Error.empty(kind: "pepper") }
        if ring.dataKeys.isEmpty { throw Error.empty(kind: "data") }
        if ring.signingKeys.isEmpty { throw Error.empty(kind: "signing") }
        return ring
    }

    /// Writes the keyring atomically with mode 0600.
    public func save(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(self)
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        let temporary = path + ".tmp-\(SecureRandom.identifier())"
        guard FileManager.default.createFile(atPath: temporary, contents: nil, attributes: [.posixPermissions: 0o600])
        else {
            throw Error.unreadable(path: temporary, reason: "cannot create file")
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
        try handle.write(contentsOf: data)
        try handle.synchronize()
        try handle.close()
        if rename(temporary, path) != 0 {
            throw Error.unreadable(path: path, reason: "cannot move keyring into place")
        }
    }
}
