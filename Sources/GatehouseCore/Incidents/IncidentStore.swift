import Foundation

/// A declared security incident and its progress through the accounts it covers.
public struct Incident: Sendable, Equatable, Codable {
    public enum State: String, Sendable, Codable {
        /// Declared; accounts are still being processed (re-run `incident declare` or `incident resume` to go on).
        case running
        /// Every account was processed; the banner still shows.
        case applied
        /// Closed by an operator; the banner is gone.
        case resolved
    }

    /// Whom an incident covers.
    public enum Scope: String, Sendable, Codable {
        /// Every account.
        case all
        /// The accounts it names (in `incident_targets`).
        case accounts
    }

    public var id: String
    public var reason: String
    public var scope: Scope
    public var forceReset: Bool
    public var signOutAll: Bool
    public var notify: Bool
    public var banner: String?
    public var state: State
    /// The last account id processed (accounts go in id order).
    public var cursor: String
    public var processed: Int
    public var total: Int
    public var createdAt: Date
    public var resolvedAt: Date?

    public init(
        id: String, reason: String, scope: Scope, forceReset: Bool, signOutAll: Bool, notify: Bool, banner: String?,
        state: State, cursor: String, processed: Int, total: Int, createdAt: Date, resolvedAt: Date?
    ) {
        self.id = id
        self.reason = reason
        self.scope = scope
        self.forceReset = forceReset
        self.signOutAll = signOutAll
        self.notify = notify
        self.banner = banner
        self.state = state
        self.cursor = cursor
        self.processed = processed
        self.total = total
        self.createdAt = createdAt
        self.resolvedAt = resolvedAt
    }
}

/// One account's share of an incident batch, prepared by the service and written in bulk by the owning stores'
/// primitives (``IncidentService``'s `apply`).
public struct IncidentAccountWork: Sendable {
    public var account: Account
    /// The notice mailed to the account, when the incident notifies.
    public var notice: OutboxMessage?

    public init(account: Account, notice: OutboxMessage?) {
        self.account = account
        self.notice = notice
    }
}

/// Storage of incidents and their progress.
public protocol IncidentStore: Sendable {
    func insertIncident(_ incident: Incident, targets: [String]) async throws
    func incident(id: String) async throws -> Incident?
    func incidents() async throws -> [Incident]
    /// The next accounts of the incident after its cursor, in id order.
    func incidentBatch(_ incident: Incident, limit: Int) async throws -> [Account]
    /// Moves the cursor of a running incident from `incident.cursor` to `last`, counting `count` more accounts
    /// processed; false (and nothing changes) when the cursor is no longer where this run read it: exactly-once.
    func advanceIncident(_ incident: Incident, to last: String, count: Int) async throws -> Bool
    func setIncidentState(id: String, state: Incident.State, at: Date) async throws
    /// Banners of incidents not yet resolved.
    func activeBanners() async throws -> [String]
}
