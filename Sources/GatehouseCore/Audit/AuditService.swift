import Foundation

/// Reads of the audit log for the pages, the API and the CLI, so no route or command touches the store for them.
/// Writing happens inside each service's own transaction (`appendAudit`); checkpoints are ``AuditCheckpointService``.
public struct AuditService: Sendable {
    let store: any HubStore

    public init(environment: HubEnvironment) {
        self.store = environment.store
    }

    /// The newest `limit` entries of one account's chain, newest first (its security activity). At most 500.
    public func recentEvents(of account: Account, limit: Int = 100) async throws -> [AuditEvent] {
        try await store.autocommit.auditEvents(chain: account.id, limit: min(max(limit, 0), 500))
    }

    /// Every chain, each oldest first (`gatehouse audit export`), handed to `body` one event at a time.
    public func exportAll(_ body: (AuditEvent) throws -> Void) async throws {
        for chain in try await store.autocommit.auditChains() {
            for event in try await store.autocommit.auditChain(chain) { try body(event) }
        }
    }
}
