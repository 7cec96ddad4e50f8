import Foundation

/// Locked accounts ("This wasn't me") and the links already used.
public protocol LockdownStore: Sendable {
    /// Records a used link; false when it was used before (single use, however many arrive at once).
    func useLockLink(id: String, accountID: String, at: Date) async throws -> Bool
    /// Marks the account locked (idempotent: the first lock's time stays).
    func lockAccount(accountID: String, reason: String, at: Date) async throws
    /// When the account was locked, or nil.
    func lockedAt(accountID: String) async throws -> Date?
    /// Lifts the lock (a reset completed with the second factor).
    func unlockAccount(accountID: String) async throws
    /// Forgets used-link ids older than `date` (their links expired long before).
    func purgeLockLinks(before date: Date) async throws -> Int
}
