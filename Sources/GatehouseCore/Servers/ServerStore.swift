import Foundation

/// A media server claimed by an account.
public struct MediaServer: Sendable, Equatable, Codable {
    public var id: String
    public var ownerID: String
    public var name: String
    public var version: String
    public var platform: String
    public var url: String
    public var createdAt: Date
    public var lastSeenAt: Date

    public init(
        id: String, ownerID: String, name: String, version: String, platform: String, url: String, createdAt: Date,
        lastSeenAt: Date
    ) {
        self.id = id
        self.ownerID = ownerID
        self.name = name
        self.version = version
        self.platform = platform
        self.url = url
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
    }
}

/// A media server waiting to be claimed: what it said about itself, and the digests of its claim code and of the
/// credential it made for itself.
public struct ServerClaim: Sendable, Equatable {
    public var codeDigest: String
    public var name: String
    public var version: String
    public var platform: String
    public var url: String
    public var credentialDigest: String
    public var expiresAt: Date

    public init(
        codeDigest: String, name: String, version: String, platform: String, url: String, credentialDigest: String,
        expiresAt: Date
    ) {
        self.codeDigest = codeDigest
        self.name = name
        self.version = version
        self.platform = platform
        self.url = url
        self.credentialDigest = credentialDigest
        self.expiresAt = expiresAt
    }
}

/// Storage of claimed media servers and their shares.
public protocol ServerStore: Sendable {
    func insertClaim(_ claim: ServerClaim) async throws
    /// Turns a live claim into a server owned by `ownerID`; nil when the code is unknown or expired.
    func completeClaim(codeDigest: String, serverID: String, ownerID: String, at: Date) async throws -> MediaServer?
    /// Deletes every claim that expired at or before `date`; returns how many.
    func purgeExpiredClaims(before date: Date) async throws -> Int
    /// The live server whose credential has this digest.
    func server(credentialDigest: String) async throws -> MediaServer?
    /// Moves a server to a new credential digest (upgrading a legacy unkeyed digest in place).
    func replaceServerCredentialDigest(serverID: String, from old: String, to new: String) async throws
    func server(id: String) async throws -> MediaServer?
    func servers(ownerID: String) async throws -> [MediaServer]
    func recordHeartbeat(serverID: String, version: String, platform: String, at: Date) async throws
    func removeServer(id: String, ownerID: String, at: Date) async throws -> Bool
    func share(serverID: String, section: String, accountID: String, at: Date) async throws
    func unshare(serverID: String, section: String?, accountID: String) async throws -> Int
    /// (section, account id) pairs of a server.
    func shares(serverID: String) async throws -> [(section: String, accountID: String)]
    /// Live servers shared with an account (not its own).
    func serversShared(with accountID: String) async throws -> [MediaServer]
}
