import Foundation

/// The outcome of checking a password against a stored hash.
public enum PasswordVerification: Sendable, Equatable {
    case invalid
    /// Correct; `needsRehash` when the hash uses older parameters or an older pepper.
    case valid(needsRehash: Bool)

    public var isValid: Bool {
        if case .valid = self { return true }
        return false
    }
}

/// Hashes and verifies passwords. Implementations are keyed (peppered) and run off the event loop.
public protocol PasswordHashing: Sendable {
    /// A new hash of `password` (already normalised) with the current parameters and pepper.
    func hash(_ password: String) async throws -> String
    /// Checks `password` against `storedHash` in constant time.
    func verify(_ password: String, against storedHash: String) async throws -> PasswordVerification
    /// Checks `password` against `accountID`'s current `storedHash`: as ``verify(_:against:)``, and the account
    /// id names the account in warnings about a refused stored hash and lets the hasher learn which parameters
    /// real accounts' hashes use (see ``verifyDummy(_:)``). Defaults to ``verify(_:against:)``.
    func verify(_ password: String, against storedHash: String, accountID: String?) async throws
        -> PasswordVerification
    /// Spends the same work as a real verification, for unknown accounts.
    func verifyDummy(_ password: String) async throws
}

extension PasswordHashing {
    public func verify(_ password: String, against storedHash: String, accountID: String?) async throws
        -> PasswordVerification
    {
        try await verify(password, against: storedHash)
    }
}

/// Password text as it is hashed: Unicode NFKC, so the same password typed on different keyboards matches.
public enum PasswordText {
    /// The longest password accepted anywhere, in UTF-8 bytes (not characters: one grapheme can carry kilobytes).
    public static let maximumBytes = 4_096

    public static func normalize(_ password: String) -> String {
        password.precomposedStringWithCompatibilityMapping
    }
}
