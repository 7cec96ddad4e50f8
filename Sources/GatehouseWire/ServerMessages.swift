import Foundation

// The bodies a media server and the hub exchange on the server endpoints (docs/media-protocol.md). Keys are spelled
// by each type's CodingKeys (snake_case): encode and decode them with `WireJSON`, never with a key strategy that
// rewrites names (a `convertFromSnakeCase` decoder would look for `credentialDigest` and miss the field).

/// `POST /api/v1/servers/claims`: a media server asks for a claim code, sending only the SHA-256 of its credential.
public struct ServerClaimRequest: Codable, Sendable, Equatable {
    public var name: String
    public var version: String
    public var platform: String
    /// Where devices reach the server; empty when it has no public address.
    public var url: String
    /// Lower-case hex SHA-256 of the server credential (never the credential itself).
    public var credentialDigest: String

    public init(name: String, version: String, platform: String, url: String, credentialDigest: String) {
        self.name = name
        self.version = version
        self.platform = platform
        self.url = url
        self.credentialDigest = credentialDigest
    }

    enum CodingKeys: String, CodingKey {
        case name, version, platform, url
        case credentialDigest = "credential_digest"
    }
}

/// The hub's answer to a claim request: the code the owner types, and when it expires (epoch seconds).
public struct ServerClaimCode: Codable, Sendable, Equatable {
    public var code: String
    public var expiresAt: Int64

    public init(code: String, expiresAt: Int64) {
        self.code = code
        self.expiresAt = expiresAt
    }

    enum CodingKeys: String, CodingKey {
        case code
        case expiresAt = "expires_at"
    }
}

/// `GET /api/v1/servers/me` once claimed: who the server is and who owns it.
public struct ServerInfo: Codable, Sendable, Equatable {
    public var serverID: String
    public var ownerID: String
    public var name: String?

    public init(serverID: String, ownerID: String, name: String?) {
        self.serverID = serverID
        self.ownerID = ownerID
        self.name = name
    }

    enum CodingKeys: String, CodingKey {
        case serverID = "server_id"
        case ownerID = "owner_id"
        case name
    }
}

/// `POST /api/v1/servers/me/heartbeat`: the version and platform the server runs.
public struct ServerHeartbeat: Codable, Sendable, Equatable {
    public var version: String
    public var platform: String

    public init(version: String, platform: String) {
        self.version = version
        self.platform = platform
    }
}

/// `POST /api/v1/servers/me/update-report`: how a self-update ended.
public struct ServerUpdateReport: Codable, Sendable, Equatable {
    public var version: String
    public var outcome: String
    public var reason: String?

    public init(version: String, outcome: String, reason: String?) {
        self.version = version
        self.outcome = outcome
        self.reason = reason
    }
}

/// JSON for the wire types: no key strategy (each type names its keys), sorted keys, slashes unescaped.
public enum WireJSON {
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    public static let decoder = JSONDecoder()
}
