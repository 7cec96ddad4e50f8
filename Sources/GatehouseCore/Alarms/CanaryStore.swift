import Foundation

/// Canary accounts are ordinary rows in `accounts`; what makes one a canary is a keyed digest of its id in
/// `canaries`. With the database alone (no keyring), nobody can tell which accounts they are.
public protocol CanaryStore: Sendable {
    func insertCanary(digest: String, at: Date) async throws
    /// Every canary digest.
    func canaryDigests() async throws -> [String]
    /// Admin accounts with a verified address (who get operators' alerts).
    func alertRecipients() async throws -> [Account]
}
