import Foundation

/// A TOTP enrolment: the sealed secret, whether it was confirmed, and the last time step used (no replay).
public struct TOTPEnrollment: Sendable, Equatable {
    public var accountID: String
    public var sealedSecret: String
    public var confirmedAt: Date?
    public var lastUsedStep: Int64

    public init(accountID: String, sealedSecret: String, confirmedAt: Date?, lastUsedStep: Int64) {
        self.accountID = accountID
        self.sealedSecret = sealedSecret
        self.confirmedAt = confirmedAt
        self.lastUsedStep = lastUsedStep
    }

    public var isConfirmed: Bool { confirmedAt != nil }
}

/// Storage of second factors: the sealed TOTP secret and hashed recovery codes.
public protocol TwoFactorStore: Sendable {
    func totpEnrollment(accountID: String) async throws -> TOTPEnrollment?
    /// Starts (or restarts) an unconfirmed enrolment.
    func saveTOTPEnrollment(_ enrollment: TOTPEnrollment) async throws
    func confirmTOTP(accountID: String, at: Date, step: Int64) async throws
    func deleteTOTP(accountID: String) async throws
    /// Records `step` as used when it is newer than the last one; false means a replay.
    func claimTOTPStep(accountID: String, step: Int64) async throws -> Bool
    /// Replaces the recovery codes (digests) of the account.
    func replaceRecoveryCodes(accountID: String, digests: [String], at: Date) async throws
    /// Uses a recovery code once; false when unknown or already used.
    func useRecoveryCode(accountID: String, digest: String, at: Date) async throws -> Bool
    func remainingRecoveryCodes(accountID: String) async throws -> Int
}
