import Foundation

/// Everything the hub keeps, as one unit of work: the transaction a service's body runs in (``HubStore/transaction(_:)``),
/// or single statements that each commit on their own (``HubStore/autocommit``). One SQL implementation
/// (GatehouseStore) serves SQLite and PostgreSQL; each domain sees only its own small protocol.
public protocol StoreTransaction:
    AccountStore, CredentialStore, DeviceStore, AuditStore, OutboxStore, ThrottleStore, OneTimeTokenStore,
    TwoFactorStore, IncidentStore, ServerStore, ReleaseStore, PasskeyStore, DeviceGrantStore, CanaryStore,
    AppPasswordStore, DPoPStore, ProfileStore, LockdownStore, InvitationStore
{}

/// The hub's store: plain access and transactions.
public protocol HubStore: Sendable {
    /// Single statements outside a transaction: each one commits on its own (reads, and writes that stand alone).
    var autocommit: any StoreTransaction { get }
    /// Runs `body` in one transaction: all of its writes land, or none.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) async throws -> T) async throws
        -> T
    /// Which database this is, for logs (`sqlite` or `postgres`).
    var dialectName: String { get }
    /// Closes connections.
    func shutdown() async throws
    /// Chains audit entries written from now on under this key (HMAC-SHA-256, see ``AuditChain/mac``).
    func useAuditKey(_ key: [UInt8])
    /// Signals, while the stream is consumed, that some process appended to the revocation log (PostgreSQL
    /// `LISTEN gatehouse_revocations`); nil when the database has no such signal (SQLite: every writer is this
    /// process or an operator command, and the poll covers those).
    func revocationWakeups() -> AsyncStream<Void>?
}

extension HubStore {
    public func useAuditKey(_ key: [UInt8]) {}
    public func revocationWakeups() -> AsyncStream<Void>? { nil }
}
