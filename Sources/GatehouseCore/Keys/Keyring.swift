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
        peppers.append(Key(id: "p\(peppers.count + 1)", material: SecureRandom.bytes(32), createdAt: stamp))
        dataKeys.append(Key(id: "d\(dataKeys.count + 1)", material: SecureRandom.bytes(32), createdAt: stamp))
        signingKeys.append(Key(id: "s\(signingKeys.count + 1)", material: SecureRandom.bytes(32), createdAt: stamp))
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
