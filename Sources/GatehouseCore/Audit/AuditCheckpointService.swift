import Crypto
import Foundation

/// Writes and checks signed audit checkpoints (``AuditCheckpoint``): periodically from the hub, on demand from
/// `gatehouse audit checkpoint`, and `gatehouse audit verify --checkpoint` checks the chains against one.
public struct AuditCheckpointService: Sendable {
    let store: any HubStore
    let keyring: Keyring
    let clock: any WallClock

    public init(environment: HubEnvironment) {
        self.init(store: environment.store, keyring: environment.keyring, clock: environment.clock)
    }

    public init(store: any HubStore, keyring: Keyring, clock: any WallClock) {
        self.store = store
        self.keyring = keyring
        self.clock = clock
    }

    /// Signs every chain's head now and stores the checkpoint.
    @discardableResult
    public func write() async throws -> AuditCheckpoint {
        let checkpoint = try AuditCheckpoint.sign(
            heads: try await store.autocommit.auditHeads(), at: clock.now(), keyring: keyring,
            keyedAfter: try await store.autocommit.auditKeyedAfter())
        try await store.autocommit.saveAuditCheckpoint(checkpoint)
        return checkpoint
    }

    /// Writes a checkpoint unless the heads are those of the newest stored one (the periodic writer: a quiet hub adds
    /// no rows). Returns the checkpoint written, if any.
    public func writeIfChanged() async throws -> AuditCheckpoint? {
        let heads = try await store.autocommit.auditHeads()
        if heads.isEmpty { return nil }
        if let latest = try await store.autocommit.latestAuditCheckpoint(),
            let previous = try? AuditCheckpoint.open(latest, keyring: keyring),
            previous.heads == heads.sorted(by: { $0.chain < $1.chain })
        {
            return nil
        }
        let checkpoint = try AuditCheckpoint.sign(
            heads: heads, at: clock.now(), keyring: keyring, keyedAfter: try await store.autocommit.auditKeyedAfter())
        try await store.autocommit.saveAuditCheckpoint(checkpoint)
        return checkpoint
    }

    /// The newest stored checkpoint's note.
    public func latest() async throws -> String? {
        try await store.autocommit.latestAuditCheckpoint()
    }

    /// Checks every chain (or the named ones) by the chain rule, keyed entries under the keyring's audit key.
    /// Returns the chains checked, the events read and the broken chains with their first problem.
    public func verifyChains(_ only: [String]? = nil) async throws -> (
        chains: Int, events: Int, broken: [(chain: String, problem: AuditChain.Break)]
    ) {
        let key = keyring.derivedKey(purpose: AuditChain.keyPurpose)
        let keyedAfter = try await store.autocommit.auditKeyedAfter()
        let chains: [String]
        if let only { chains = only } else { chains = try await store.autocommit.auditChains() }
        var events = 0
        var broken: [(chain: String, problem: AuditChain.Break)] = []
        for chain in chains {
            let entries = try await store.autocommit.auditChain(chain)
            events += entries.count
            if let problem = AuditChain.verify(entries, key: key, keyedAfter: keyedAfter) {
                broken.append((chain, problem))
            }
        }
        return (chains.count, events, broken)
    }

    /// What checking the log against a checkpoint found.
    public struct Report: Sendable {
        public let checkpoint: AuditCheckpoint
        public let chains: Int
        public let events: Int
        /// Empty when every chain holds.
        public let problems: [String]
    }

    /// Checks the signature of `note`, then every chain of the database against it (and every chain by the chain
    /// rule). Throws when the note itself is not a valid checkpoint of this keyring.
    public func verify(note: String) async throws -> Report {
        let checkpoint = try AuditCheckpoint.open(note, keyring: keyring)
        var chains: [String: [AuditEvent]] = [:]
        var events = 0
        var problems: [String] = []
        for chain in try await store.autocommit.auditChains() {
            let entries = try await store.autocommit.auditChain(chain)
            events += entries.count
            chains[chain] = entries
        }
        let key = keyring.derivedKey(purpose: AuditChain.keyPurpose)
        let keyedAfter = try await store.autocommit.auditKeyedAfter()
        problems += checkpoint.verify(chains: chains, key: key, keyedAfter: keyedAfter)
        let named = Set(checkpoint.heads.map(\.chain))
        for (chain, entries) in chains.sorted(by: { $0.key < $1.key }) where !named.contains(chain) {
            if let problem = AuditChain.verify(entries, key: key, keyedAfter: keyedAfter) {
                problems.append("chain \(chain): \(problem)")
            }
        }
        return Report(checkpoint: checkpoint, chains: chains.count, events: events, problems: problems)
    }
}
