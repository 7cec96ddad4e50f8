import Crypto
import Foundation

/// A security advisory as the release key signs it: versions in `affected` have a problem fixed in `fixed`.
/// Media servers act only on advisories whose signature verifies against their pinned release keys, so whoever
/// holds the hub (or a copy of its data folder) cannot declare every version vulnerable.
public struct AdvisoryDocument: Sendable, Codable, Equatable {
    public var id: String
    public var affected: String
    public var fixed: String
    public var severity: String
    public var summary: String
    /// When it was signed (ISO 8601).
    public var date: String

    public init(id: String, affected: String, fixed: String, severity: String, summary: String, date: String) {
        self.id = id
        self.affected = affected
        self.fixed = fixed
        self.severity = severity
        self.summary = summary
        self.date = date
    }

    /// The reasons this advisory is not well formed, or nil when it is.
    public var problem: String? {
        guard !id.isEmpty, id.count <= 64 else { return "the advisory id is empty or longer than 64 characters" }
        guard VersionRange(affected) != nil else { return "affected is a range like '>=1.0.0, <1.4.2'" }
        guard SemanticVersion(fixed) != nil else { return "fixed is a version like 1.4.2" }
        guard ["low", "medium", "high", "critical"].contains(severity) else {
            return "severity is low, medium, high or critical"
        }
        guard summary.count <= 2_000 else { return "the summary is longer than 2000 characters" }
        return nil
    }
}

/// An advisory with its signature: `advisory` holds the exact signed bytes (base64url).
public struct SignedAdvisory: Sendable, Codable, Equatable {
    public var advisory: String
    public var keyID: String
    public var signature: String

    enum CodingKeys: String, CodingKey {
        case advisory
        case keyID = "key_id"
        case signature
    }

    public init(advisory: String, keyID: String, signature: String) {
        self.advisory = advisory
        self.keyID = keyID
        self.signature = signature
    }

    /// SHA-256 (lower-case hex) of the signed bytes, as a release list names it.
    public var digest: String? { Base64URL.decode(advisory).map(SignedDigest.hex) }
}

/// The release key's statement of everything published, with an expiry: signed again at least before `expires`
/// (a timestamp in TUF's sense). A media server that sees only an expired list, or a list older than one it saw
/// before, knows the hub is frozen or replaying; one that sees a release or advisory named here but not served
/// knows it is being withheld.
public struct ReleaseList: Sendable, Codable, Equatable {
    public struct Entry: Sendable, Codable, Equatable {
        /// A release's version, or an advisory's id.
        public var name: String
        /// SHA-256 (lower-case hex) of the signed manifest's or advisory's bytes.
        public var sha256: String
        /// A release's channel (nil for advisories).
        public var channel: String?

        public init(name: String, sha256: String, channel: String? = nil) {
            self.name = name
            self.sha256 = sha256
            self.channel = channel
        }
    }

    /// Grows with every list (the signing time in seconds by default); an older one is a replay.
    public var sequence: Int64
    /// When it was signed (ISO 8601).
    public var issued: String
    /// After this (ISO 8601) the list is stale and a media server warns its owner.
    public var expires: String
    public var releases: [Entry]
    public var advisories: [Entry]

    public init(sequence: Int64, issued: String, expires: String, releases: [Entry], advisories: [Entry]) {
        self.sequence = sequence
        self.issued = issued
        self.expires = expires
        self.releases = releases
        self.advisories = advisories
    }

    /// A list naming `manifests` and `advisories`, valid for `lifetime` seconds from `now`.
    public static func covering(
        manifests: [SignedManifest], advisories: [SignedAdvisory], lifetime: TimeInterval, now: Date = Date()
    ) throws -> ReleaseList {
        let formatter = ISO8601DateFormatter()
        let releases = try manifests.map { signed -> Entry in
            guard let bytes = Base64URL.decode(signed.manifest),
                let manifest = try? JSONDecoder().decode(ReleaseManifest.self, from: Data(bytes))
            else { throw ReleaseError.malformed("manifest") }
            return Entry(name: manifest.version.description, sha256: SignedDigest.hex(bytes), channel: manifest.channel)
        }
        let named = try advisories.map { signed -> Entry in
            guard let bytes = Base64URL.decode(signed.advisory),
                let advisory = try? JSONDecoder().decode(AdvisoryDocument.self, from: Data(bytes))
            else { throw ReleaseError.malformed("advisory") }
            return Entry(name: advisory.id, sha256: SignedDigest.hex(bytes))
        }
        return ReleaseList(
            sequence: Int64(now.timeIntervalSince1970), issued: formatter.string(from: now),
            expires: formatter.string(from: now.addingTimeInterval(lifetime)), releases: releases, advisories: named)
    }

    /// The expiry as a date; nil when it does not parse.
    public var expiryDate: Date? { ISO8601DateFormatter().date(from: expires) }
}

/// A release list with its signature.
public struct SignedReleaseList: Sendable, Codable, Equatable {
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

/// SHA-256 in lower-case hex.
public enum SignedDigest {
    public static func hex(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }
}

extension SignedManifest {
    /// SHA-256 (lower-case hex) of the signed bytes, as a release list names it.
    public var digest: String? { Base64URL.decode(manifest).map(SignedDigest.hex) }
}

extension ReleaseSigningKey {
    public func sign(_ advisory: AdvisoryDocument) throws -> SignedAdvisory {
        let (bytes, signature) = try signEncoded(advisory)
        return SignedAdvisory(advisory: bytes, keyID: id, signature: signature)
    }

    public func sign(_ list: ReleaseList) throws -> SignedReleaseList {
        let (bytes, signature) = try signEncoded(list)
        return SignedReleaseList(list: bytes, keyID: id, signature: signature)
    }

    private func signEncoded(_ value: some Encodable) throws -> (String, String) {
        let bytes = try ReleaseJSON.encoder.encode(value)
        return (Base64URL.encode(Array(bytes)), Base64URL.encode(Array(try key().signature(for: bytes))))
    }
}

extension ReleaseVerifier {
    /// The advisory inside `signed`, when a trusted key signed it and it is well formed.
    public func verify(_ signed: SignedAdvisory) throws -> AdvisoryDocument {
        let advisory = try verifyDocument(
            AdvisoryDocument.self, signed.advisory, signed.keyID, signed.signature, "advisory")
        if let problem = advisory.problem { throw ReleaseError.malformed("advisory: \(problem)") }
        return advisory
    }

    /// The release list inside `signed`, when a trusted key signed it (its expiry is the caller's to judge).
    public func verify(_ signed: SignedReleaseList) throws -> ReleaseList {
        try verifyDocument(ReleaseList.self, signed.list, signed.keyID, signed.signature, "release list")
    }

    private func verifyDocument<T: Decodable>(
        _ type: T.Type, _ encoded: String, _ keyID: String, _ signature: String, _ what: String
    ) throws -> T {
        guard let bytes = Base64URL.decode(encoded) else { throw ReleaseError.malformed(what) }
        guard let raw = trusted[keyID] else { throw ReleaseError.unknownKey(keyID) }
        guard let signatureBytes = Base64URL.decode(signature),
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw),
            key.isValidSignature(signatureBytes, for: bytes)
        else { throw ReleaseError.badSignature }
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch {
            throw ReleaseError.malformed(what)
        }
    }
}

/// Where a release signing key may live: never inside a hub's data folder or beside its keyring, so that a copy of
/// the hub (or of its backups) never holds the power to sign code every media server installs.
public enum ReleaseKeyLocation {
    /// Why `keyPath` is not an acceptable place for a release key, or nil when it is. `hubFolders` are the hub's data
    /// folder and keyring folder as configured; any folder above the key that looks like a hub's data folder (a
    /// `gatehouse.sqlite`, a `keyring.json` or a `keys/keyring.json`) is refused too, so a copied or restored data
    /// folder is caught wherever it lies.
    public static func refusal(keyPath: String, hubFolders: [String]) -> String? {
        let key = resolved(keyPath)
        for folder in hubFolders where !folder.isEmpty {
            let root = resolved(folder)
            if key == root || key.hasPrefix(root.hasSuffix("/") ? root : root + "/") {
                return "the release key \(keyPath) lies inside the hub's folder \(folder); keep it offline "
                    + "(`gatehouse releases keygen --out FILE` on another machine) and upload only signed files"
            }
        }
        var folder = (key as NSString).deletingLastPathComponent
        while !folder.isEmpty {
            for marker in ["gatehouse.sqlite", "keyring.json", "keys/keyring.json"]
            where FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent(marker)) {
                return "the release key \(keyPath) lies inside what looks like a hub's data folder (\(folder) holds "
                    + "\(marker)); keep it offline and upload only signed files"
            }
            if folder == "/" { break }
            folder = (folder as NSString).deletingLastPathComponent
        }
        return nil
    }

    /// An absolute path with symbolic links resolved as far as the file system has them (the key file itself may
    /// not exist yet).
    static func resolved(_ path: String) -> String {
        let absolute =
            path.hasPrefix("/")
            ? path : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
        var existing = (absolute as NSString).standardizingPath
        var rest: [String] = []
        while !FileManager.default.fileExists(atPath: existing), existing != "/" {
            rest.insert((existing as NSString).lastPathComponent, at: 0)
            existing = (existing as NSString).deletingLastPathComponent
        }
        var real = (existing as NSString).resolvingSymlinksInPath
        for part in rest { real = (real as NSString).appendingPathComponent(part) }
        return real
    }
}
