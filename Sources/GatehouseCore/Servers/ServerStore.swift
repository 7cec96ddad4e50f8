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
    /// Adds a share of one section, pending unless `accepted` (an invitation's preset shares, accepted by joining);
    /// an existing share of that section is left as it is. Returns whether a share was added.
    func share(serverID: String, section: String, accountID: String, at: Date, accepted: Bool) async throws -> Bool
    /// Deletes the account's shares of the server (one section, or all), pending or accepted; when any existed, logs
    /// a revocation of the account's tokens for that server only, in the same transaction. Returns how many.
    func unshare(serverID: String, section: String?, accountID: String, at: Date) async throws -> Int
    /// Every share of a server, pending and accepted.
    func shares(serverID: String) async throws -> [ServerShare]
    /// Live servers shared with an account (not its own), accepted shares only.
    func serversShared(with accountID: String) async throws -> [MediaServer]
    /// Shares waiting for the account's answer, on live servers, oldest first.
    func pendingShares(accountID: String) async throws -> [ShareInvitation]
    /// Every share, pending or accepted, of the live servers an account owns, with the recipients' usernames.
    func outgoingShares(ownerID: String) async throws -> [OutgoingShare]
    /// Accepts the account's pending shares of a server; returns how many.
    func acceptShares(serverID: String, accountID: String, at: Date) async throws -> Int
    /// Deletes the account's pending shares of a server; returns how many.
    func declineShares(serverID: String, accountID: String) async throws -> Int
}

/// One shared section: pending until the recipient accepts it (`acceptedAt`).
public struct ServerShare: Sendable, Equatable {
    public var serverID: String
    public var section: String
    public var accountID: String
    public var createdAt: Date
    public var acceptedAt: Date?

    public var isAccepted: Bool { acceptedAt != nil }

    public init(serverID: String, section: String, accountID: String, createdAt: Date, acceptedAt: Date?) {
        self.serverID = serverID
        self.section = section
        self.accountID = accountID
        self.createdAt = createdAt
        self.acceptedAt = acceptedAt
    }
}

/// A pending share as its recipient sees it: the server, who owns it, which sections.
public struct ShareInvitation: Sendable, Equatable {
    public var server: MediaServer
    public var ownerUsername: String
    public var sections: [String]
    public var createdAt: Date

    public init(server: MediaServer, ownerUsername: String, sections: [String], createdAt: Date) {
        self.server = server
        self.ownerUsername = ownerUsername
        self.sections = sections
        self.createdAt = createdAt
    }
}

/// A share as its owner sees it: which server, to whom, and whether it was accepted.
public struct OutgoingShare: Sendable, Equatable {
    public var share: ServerShare
    public var serverName: String
    public var username: String

    public init(share: ServerShare, serverName: String, username: String) {
        self.share = share
        self.serverName = serverName
        self.username = username
    }
}
