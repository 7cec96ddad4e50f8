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

    private let entries = Mutex<[String: Entry]>([:])
    private let lifetime: TimeInterval
    private let capacity: Int

    public init(lifetime: TimeInterval = 30, capacity: Int = 100_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    public func lookup(_ digest: String, now: Date) -> Entry? {
        entries.withLock { entries in
            guard let entry = entries[digest] else { return nil }
            if now.timeIntervalSince(entry.cachedAt) > lifetime {
                entries.removeValue(forKey: digest)
                return nil
            }
            return entry
        }
    }

    public func store(_ digest: String, account: Account, device: Device, now: Date) {
        guard lifetime > 0 else { return }
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[digest] = Entry(account: account, device: device, cachedAt: now)
        }
    }

    /// Drops every entry of `accountID` (or only the given devices).
    public func evict(accountID: String, deviceIDs: [String]? = nil) {
        entries.withLock { entries in
            entries = entries.filter { _, entry in
                guard entry.account.id == accountID else { return true }
                guard let deviceIDs else { return false }
                return !deviceIDs.contains(entry.device.id)
            }
        }
    }

    public func removeAll() {
        entries.withLock { $0.removeAll() }
    }
}
