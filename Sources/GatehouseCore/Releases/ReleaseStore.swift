import Foundation
import GatehouseReleases

/// A published release as the hub keeps it.
public struct StoredRelease: Sendable, Equatable {
    public var version: String
    public var channel: String
    public var signed: SignedManifest
    public var publishedAt: Date

    public init(version: String, channel: String, signed: SignedManifest, publishedAt: Date) {
        self.version = version
        self.channel = channel
        self.signed = signed
        self.publishedAt = publishedAt
    }
}

/// A security advisory: versions in `affected` have a known problem fixed in `fixed`.
public struct Advisory: Sendable, Equatable, Codable {
    public var id: String
    public var affected: String
    public var fixed: String
    public var severity: String
    public var summary: String
    public var createdAt: Date
    /// The advisory as the release key signed it, served to media servers as given (nil for advisories stored
    /// before advisories were signed: media servers ignore those).
    public var signed: SignedAdvisory?

    public init(
        id: String, affected: String, fixed: String, severity: String, summary: String, createdAt: Date,
        signed: SignedAdvisory? = nil
    ) {
        self.id = id
        self.affected = affected
        self.fixed = fixed
        self.severity = severity
        self.summary = summary
        self.createdAt = createdAt
        self.signed = signed
    }
}

/// Where an owner-alert for a vulnerable server stands.
public struct ServerAlertState: Sendable, Equatable {
    public var serverID: String
    public var advisoryID: String
    public var nextAlertAt: Date
    public var alertsSent: Int

    public init(serverID: String, advisoryID: String, nextAlertAt: Date, alertsSent: Int) {
        self.serverID = serverID
        self.advisoryID = advisoryID
        self.nextAlertAt = nextAlertAt
        self.alertsSent = alertsSent
    }
}

/// Storage of releases, release key lists, advisories and alert state.
public protocol ReleaseStore: Sendable {
    func insertRelease(_ release: StoredRelease) async throws
    func releases(channel: String?) async throws -> [StoredRelease]
    func appendKeyList(sequence: Int, signed: SignedKeyList) async throws
    func keyLists() async throws -> [SignedKeyList]
    func insertAdvisory(_ advisory: Advisory) async throws
    func advisories() async throws -> [Advisory]
    /// Keeps a signed release list; `sequence` must be new.
    func storeReleaseList(sequence: Int64, signed: SignedReleaseList) async throws
    /// The release lists with the highest sequences, newest first.
    func recentReleaseLists(limit: Int) async throws -> [(sequence: Int64, signed: SignedReleaseList)]
    func allServers() async throws -> [MediaServer]
    func alertState(serverID: String) async throws -> ServerAlertState?
    /// Moves a server's alert state from `expected` to `next` (compare-and-set, so two hub instances never both mail).
    func advanceAlert(serverID: String, expected: ServerAlertState?, next: ServerAlertState?) async throws -> Bool
}
