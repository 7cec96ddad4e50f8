import Crypto
import Foundation

/// What a release says about itself. Its exact JSON bytes are what the release key signs.
public struct ReleaseManifest: Sendable, Codable, Equatable {
    public struct Artifact: Sendable, Codable, Equatable {
        public var name: String
        public var sha256: String
        public var size: Int64

        public init(name: String, sha256: String, size: Int64) {
            self.name = name
            self.sha256 = sha256
            self.size = size
        }
    }

    public var version: SemanticVersion
    public var channel: String
    /// When it was signed (ISO 8601).
    public var date: String
    public var artifact: Artifact
    public var notes: String

    public init(version: SemanticVersion, channel: String, date: String, artifact: Artifact, notes: String) {
        self.version = version
        self.channel = channel
        self.date = date
        self.artifact = artifact
        self.notes = notes
    }

    /// The manifest for a file: its size and SHA-256, read in chunks.
    public static func describe(
        artifactAt path: String, version: SemanticVersion, channel: String, notes: String, date: Date = Date()
    ) throws -> ReleaseManifest {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ReleaseError.unreadableArtifact(path) }
        defer { try? handle.close() }
        var hasher = SHA256()
        var size: Int64 = 0
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
            size += Int64(chunk.count)
        }
        let digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        let formatter = ISO8601DateFormatter()
        return ReleaseManifest(
            version: version, channel: channel, date: formatter.string(from: date),
            artifact: Artifact(name: "gatehouse-\(version)", sha256: digest, size: size), notes: notes)
    }
}

/// A manifest with its signature, as the hub stores and serves it. `manifest` holds the exact signed bytes
/// (base64url), so verification never depends on re-encoding JSON.
public struct SignedManifest: Sendable, Codable, Equatable {
    public var manifest: String
    public var keyID: String
    public var signature: String

    enum CodingKeys: String, CodingKey {
        case manifest
        case keyID = "key_id"
        case signature
    }

    public init(manifest: String, keyID: String, signature: String) {
        self.manifest = manifest
        self.keyID = keyID
        self.signature = signature
    }
}

/// A list of release keys, signed by a key of the list before it: the way the release key rotates without
/// re-pinning every media server.
public struct ReleaseKeyList: Sendable, Codable, Equatable {
    public struct Key: Sendable, Codable, Equatable {
        public var id: String
        public var publicKey: String

        enum CodingKeys: String, CodingKey {
            case id
            case publicKey = "public_key"
        }

        public init(id: String, publicKey: String) {
            self.id = id
            self.publicKey = publicKey
        }
    }

    public var sequence: Int
    public var keys: [Key]

    public init(sequence: Int, keys: [Key]) {
        self.sequence = sequence
        self.keys = keys
    }
}

/// A key list with its signature (by a key the previous list trusts).
public struct SignedKeyList: Sendable, Codable, Equatable {
    public var list: String
    public var keyID: String
    public var signature: String

    enum CodingKeys: String, CodingKey {
        case list
        case keyID = "key_id"
        case signature
    }

    public init(list: String, keyID: String, signature: String) {
        self.list = list
        self.keyID = keyID
        self.signature = signature
    }
}

public enum ReleaseError: Error, Equatable, CustomStringConvertible {
    case unreadableArtifact(String)
    case malformed(String)
    case unknownKey(String)
    case badSignature
    case brokenKeyChain(Int)
    case wrongChannel(String)
    case notNewer(current: String, offered: String)
    case artifactMismatch(String)

    public var description: String {
        switch self {
        case .unreadableArtifact(let path): "cannot read the artifact \(path)"
        case .malformed(let what): "malformed \(what)"
        case .unknownKey(let id): "signed by key \(id), which is not a trusted release key"
        case .badSignature: "the signature does not verify"
        case .brokenKeyChain(let sequence): "key list \(sequence) is not signed by a key trusted before it"
        case .wrongChannel(let channel): "release is for channel \(channel)"
        case .notNewer(let current, let offered): "\(offered) is not newer than \(current) (no downgrades)"
        case .artifactMismatch(let reason): "artifact does not match its manifest: \(reason)"
        }
    }
}

/// A release signing key (Ed25519), kept in a file of its own (mode 0600), apart from the hub's keyring, so
/// releases can be signed on an offline machine.
public struct ReleaseSigningKey: Sendable, Codable {
    public var id: String
    /// The 32-byte private key seed, base64url.
    public var privateKey: String

    enum CodingKeys: String, CodingKey {
        case id
        case privateKey = "private_key"
    }

    public static func generate(id: String) -> ReleaseSigningKey {
        ReleaseSigningKey(
            id: id, privateKey: Base64URL.encode(Array(Curve25519.Signing.PrivateKey().rawRepresentation)))
    }

    public init(id: String, privateKey: String) {
        self.id = id
        self.privateKey = privateKey
    }

    func key() throws -> Curve25519.Signing.PrivateKey {
        guard let bytes = Base64URL.decode(privateKey) else { throw ReleaseError.malformed("release key") }
        return try Curve25519.Signing.PrivateKey(rawRepresentation: bytes)
    }

    public func publicKey() throws -> ReleaseKeyList.Key {
        ReleaseKeyList.Key(id: id, publicKey: Base64URL.encode(Array(try key().publicKey.rawRepresentation)))
    }

    public func sign(_ manifest: ReleaseManifest) throws -> SignedManifest {
        let bytes = try ReleaseJSON.encoder.encode(manifest)
        return SignedManifest(
            manifest: Base64URL.encode(Array(bytes)), keyID: id,
            signature: Base64URL.encode(Array(try key().signature(for: bytes))))
    }

    public func sign(_ list: ReleaseKeyList) throws -> SignedKeyList {
        let bytes = try ReleaseJSON.encoder.encode(list)
        return SignedKeyList(
            list: Base64URL.encode(Array(bytes)), keyID: id,
            signature: Base64URL.encode(Array(try key().signature(for: bytes))))
    }

    public static func load(from path: String) throws -> ReleaseSigningKey {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReleaseError.malformed("key file \(path)")
        }
        return try JSONDecoder().decode(ReleaseSigningKey.self, from: data)
    }

    public func save(to path: String) throws {
        let data = try ReleaseJSON.encoder.encode(self)
        guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600])
        else {
            throw ReleaseError.malformed("cannot write \(path)")
        }
    }
}

/// Verifies manifests against pinned keys, following signed key lists for rotation.
public struct ReleaseVerifier: Sendable {
    /// Trusted public keys by id.
    public private(set) var trusted: [String: [UInt8]]

    /// Starts from the pinned key(s).
    public init(pinned: [ReleaseKeyList.Key]) {
        var trusted: [String: [UInt8]] = [:]
        for key in pinned { if let bytes = Base64URL.decode(key.publicKey) { trusted[key.id] = bytes } }
        self.trusted = trusted
    }

    /// Accepts each key list in order of sequence when a currently trusted key signed it; the keys it names become
    /// the trusted set. Stops at the first list that does not verify.
    public mutating func follow(_ lists: [SignedKeyList]) throws {
        let decoded = try lists.map { signed -> (SignedKeyList, ReleaseKeyList, [UInt8]) in
            guard let bytes = Base64URL.decode(signed.list) else { throw ReleaseError.malformed("key list") }
            return (signed, try JSONDecoder().decode(ReleaseKeyList.self, from: Data(bytes)), bytes)
        }.sorted { $0.1.sequence < $1.1.sequence }
        for (signed, list, bytes) in decoded {
            guard try verify(bytes: bytes, keyID: signed.keyID, signature: signed.signature) else {
                throw ReleaseError.brokenKeyChain(list.sequence)
            }
            var next: [String: [UInt8]] = [:]
            for key in list.keys { if let raw = Base64URL.decode(key.publicKey) { next[key.id] = raw } }
            trusted = next
        }
    }

    /// The manifest inside `signed`, when a trusted key signed it.
    public func verify(_ signed: SignedManifest) throws -> ReleaseManifest {
        guard let bytes = Base64URL.decode(signed.manifest) else { throw ReleaseError.malformed("manifest") }
        guard try verify(bytes: bytes, keyID: signed.keyID, signature: signed.signature) else {
            throw ReleaseError.badSignature
        }
        do {
            return try JSONDecoder().decode(ReleaseManifest.self, from: Data(bytes))
        } catch {
            throw ReleaseError.malformed("manifest")
        }
    }

    private func verify(bytes: [UInt8], keyID: String, signature: String) throws -> Bool {
        guard let raw = trusted[keyID] else { throw ReleaseError.unknownKey(keyID) }
        guard let signatureBytes = Base64URL.decode(signature),
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
        else { return false }
        return key.isValidSignature(signatureBytes, for: bytes)
    }
}

enum ReleaseJSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}

/// Unpadded base64url.
public enum Base64URL {
    public static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(
            of: "/", with: "_"
        )
        .replacingOccurrences(of: "=", with: "")
    }

    public static func decode(_ text: String) -> [UInt8]? {
        guard text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            return nil
        }
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while standard.count % 4 != 0 { standard.append("=") }
        return Data(base64Encoded: standard).map(Array.init)
    }
}
