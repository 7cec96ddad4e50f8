import Foundation
import Synchronization

/// A small in-memory cache from credential digest to (account, device), in front of the store.
///
/// Entries live at most `lifetime` seconds; a revocation (or any account change) empties the affected entries
/// before the revoking request answers, so a revoked credential fails on its very next request.
public final class CredentialCache: Sendable {
    public struct Entry: Sendable {
        public var account: Account
        public var device: Device
        public var cachedAt: Date
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// Bumped by every eviction. A request that read the store before an eviction carries the older value and
        /// is not allowed to store what it read (it may be a credential revoked in between).
        var generation: UInt64 = 0
    }

    private let state = Mutex(State())
    private let lifetime: TimeInterval
    private let capacity: Int

    public init(lifetime: TimeInterval = 30, capacity: Int = 100_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    public func lookup(_ digest: String, now: Date) -> Entry? {
        state.withLock { state in
            guard let entry = state.entries[digest] else { return nil }
            if now.timeIntervalSince(entry.cachedAt) > lifetime {
                state.entries.removeValue(forKey: digest)
                return nil
            }
            return entry
        }
    }

    /// The current generation: read it before reading the store, and hand it back to ``store(_:account:device:now:generation:)``.
    public var generation: UInt64 { state.withLock { $0.generation } }

    /// Stores an entry read from the store, unless an eviction happened since `generation` was read.
    public func store(_ digest: String, account: Account, device: Device, now: Date, generation: UInt64) {
        guard lifetime > 0 else { return }
        state.withLock { state in
            guard state.generation == generation else { return }
            if state.entries.count >= capacity { state.entries.removeAll(keepingCapacity: true) }
            state.entries[digest] = Entry(account: account, device: device, cachedAt: now)
        }
    }

    /// Drops every entry of `accountID` (or only the given devices), and stops any read begun before now from
    /// being stored.
    public func evict(accountID: String, deviceIDs: [String]? = nil) {
        state.withLock { state in
            state.generation &+= 1
            state.entries = state.entries.filter { _, entry in
                guard entry.account.id == accountID else { return true }
                guard let deviceIDs else { return false }
                return !deviceIDs.contains(entry.device.id)
            }
        }
    }

    public func removeAll() {
        state.withLock {
            $0.generation &+= 1
            $0.entries.removeAll()
        }
    }
}
