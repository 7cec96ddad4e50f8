import Foundation

/// Single-use, short-lived tokens (email verification, password reset, sign-in challenges), stored as digests.
public struct OneTimeToken: Sendable, Equatable {
    public enum Purpose: String, Sendable {
        case verifyEmail = "verify_email"
        case passwordReset = "password_reset"
        case signInChallenge = "signin_challenge"
        case serverClaim = "server_claim"
        /// A link to the old address after an e-mail change: undoes it, signs everyone out, forces a reset.
        case emailRevert = "email_revert"
        /// A passkey registration ceremony's challenge (bound to the account).
        case passkeyRegistration = "passkey_registration"
        /// A discoverable passkey sign-in's challenge (no account yet: kept under the caller's address key).
        case passkeySignIn = "passkey_signin"
        /// A passkey re-authentication's challenge (bound to the account and the device).
        case passkeyReauthentication = "passkey_reauth"
        /// A passkey answering a password sign-in's second step (bound to the account and the sign-in challenge).
        case passkeySecondFactor = "passkey_second_factor"
        /// The one-time link printed on the console of a hub without an admin (no account yet: kept under
        /// ``OneTimeToken/hubAccount``); it creates the first admin.
        case adminSetup = "admin_setup"
        /// A recovery link an admin issued for a member who lost their mailbox (payload: the admin's id).
        case adminRecovery = "admin_recovery"

        /// Whether issuing a token voids the account's older ones of the purpose. Sign-in ceremonies run side by
        /// side (several tabs, several people behind one address), so they are trimmed instead.
        public var voidsOlderTokens: Bool {
            switch self {
            case .signInChallenge, .passkeySignIn: false
            default: true
            }
        }
    }

    /// The account id that tokens belonging to no account (the setup link) are kept under.
    public static let hubAccount = "-hub-"

    public var purpose: Purpose
    public var accountID: String
    public var digest: String
    public var payload: String
    public var expiresAt: Date
    public var attempts: Int

    public init(
        purpose: Purpose, accountID: String, digest: String, payload: String, expiresAt: Date, attempts: Int = 0
    ) {
        self.purpose = purpose
        self.accountID = accountID
        self.digest = digest
        self.payload = payload
        self.expiresAt = expiresAt
        self.attempts = attempts
    }
}

/// Storage of one-time tokens.
public protocol OneTimeTokenStore: Sendable {
    /// Stores a token and voids every older token of the same purpose for the account.
    func issueToken(_ token: OneTimeToken) async throws
    /// Finds a live token without using it.
    func peekToken(purpose: OneTimeToken.Purpose, digest: String, now: Date) async throws -> OneTimeToken?
    /// Uses a token: returns it and deletes it, atomically; nil when unknown, used or expired.
    func consumeToken(purpose: OneTimeToken.Purpose, digest: String, now: Date) async throws -> OneTimeToken?
    /// Reserves one attempt on a live token when fewer than `limit` were made; false when the token is used up,
    /// expired or unknown. Atomic: concurrent callers never pass more than `limit` attempts in total.
    func reserveTokenAttempt(purpose: OneTimeToken.Purpose, digest: String, limit: Int, now: Date) async throws -> Bool
    /// Deletes expired tokens of the purpose for the account, and all but the newest `keeping` live ones.
    func trimLiveTokens(purpose: OneTimeToken.Purpose, accountID: String, keeping: Int, now: Date) async throws
    /// Whether `address` is the old address of a live e-mail-change revert link: such an address stays held for
    /// its owner, so nobody can register it in the meantime and block the revert.
    func isAddressHeldForRevert(_ address: String, now: Date) async throws -> Bool
    /// Counts a failed attempt against a token; returns the new count.
    func countTokenAttempt(purpose: OneTimeToken.Purpose, digest: String) async throws -> Int
    func voidTokens(purpose: OneTimeToken.Purpose, accountID: String) async throws
    /// ``voidTokens(purpose:accountID:)`` for many accounts in one statement (an incident's batch).
    func voidTokens(purpose: OneTimeToken.Purpose, accountIDs: [String]) async throws
    /// Deletes every expired token of the purpose, whatever its account; returns how many.
    func purgeExpiredTokens(purpose: OneTimeToken.Purpose, now: Date) async throws -> Int
}
