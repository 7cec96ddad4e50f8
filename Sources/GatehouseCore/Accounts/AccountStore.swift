import Foundation

/// Errors any store may throw.
public enum StoreError: Error, Equatable {
    /// A unique value (username, email) is already taken.
    case conflict(field: String)
    /// The database answered something the store cannot read.
    case corrupt(String)
}

/// Reads and writes accounts (not their credentials).
public protocol AccountStore: Sendable {
    /// Inserts a new account with its first password hash. Throws ``StoreError/conflict(field:)`` when the
    /// username or email is taken.
    func insertAccount(_ account: Account, passwordHash: String) async throws
    func account(id: String) async throws -> Account?
    /// Looks an account up by username or email, case-insensitively.
    func account(identifier: String) async throws -> Account?
    func updateAccount(_ account: Account) async throws
    /// Flags many accounts for a forced reset in one statement (an incident's batch).
    func requireReset(accountIDs: [String]) async throws
    /// Serialises account creation until the transaction ends (the first-admin decision depends on it).
    func lockAccountCreation() async throws
    func accountCount() async throws -> Int
    /// Accounts whose username or email contains `text` (operators' search), at most `limit`.
    func searchAccounts(_ text: String, limit: Int) async throws -> [Account]
}

/// Privileged reads and writes of credentials. Kept apart from ``AccountStore`` so that code which only shows
/// accounts never touches a hash.
public protocol CredentialStore: Sendable {
    func passwordHash(accountID: String) async throws -> String?
    /// Replaces the password hash; the previous one moves to the history.
    func setPasswordHash(accountID: String, hash: String, at: Date) async throws
    /// Replaces the hash without touching history (a rehash of the same password).
    func replacePasswordHash(accountID: String, hash: String) async throws
    /// The previous password hashes, newest first.
    func passwordHistory(accountID: String, limit: Int) async throws -> [String]
}
