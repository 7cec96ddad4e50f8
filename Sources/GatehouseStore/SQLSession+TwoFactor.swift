import Foundation
import GatehouseCore
import SQLKit

extension SQLSession {
    func totpEnrollment(accountID: String) async throws -> TOTPEnrollment? {
        guard let row = try await first("SELECT * FROM totp WHERE account_id = \(bind: accountID)") else { return nil }
        return TOTPEnrollment(
            accountID: accountID, sealedSecret: try row.string("sealed_secret"),
            confirmedAt: try row.optionalDate("confirmed_at"), lastUsedStep: try row.int("last_used_step"))
    }

    func saveTOTPEnrollment(_ enrollment: TOTPEnrollment) async throws {
        try await exec("DELETE FROM totp WHERE account_id = \(bind: enrollment.accountID)")
        try await exec(
            """
            INSERT INTO totp (account_id, sealed_secret, confirmed_at, last_used_step)
            VALUES (\(bind: enrollment.accountID), \(bind: enrollment.sealedSecret),
                \(bind: enrollment.confirmedAt?.epochSeconds), \(bind: enrollment.lastUsedStep))
            """)
    }

    func confirmTOTP(accountID: String, at date: Date, step: Int64) async throws {
        try await exec(
            "UPDATE totp SET confirmed_at = \(bind: date.epochSeconds), last_used_step = \(bind: step) WHERE account_id = \(bind: accountID)"
        )
    }

    func deleteTOTP(accountID: String) async throws {
        try await exec("DELETE FROM totp WHERE account_id = \(bind: accountID)")
    }

    func claimTOTPStep(accountID: String, step: Int64) async throws -> Bool {
        try await changes(
            "UPDATE totp SET last_used_step = \(bind: step) WHERE account_id = \(bind: accountID) AND last_used_step < \(bind: step)"
        ) == 1
    }

    func replaceRecoveryCodes(accountID: String, digests: [String], at date: Date) async throws {
        try await exec("DELETE FROM recovery_codes WHERE account_id = \(bind: accountID)")
        for digest in digests {
            try await exec(
                "INSERT INTO recovery_codes (account_id, digest, created_at) VALUES (\(bind: accountID), \(bind: digest), \(bind: date.epochSeconds))"
            )
        }
    }

    func useRecoveryCode(accountID: String, digest: String, at date: Date) async throws -> Bool {
        try await changes(
            """
            UPDATE recovery_codes SET used_at = \(bind: date.epochSeconds)
            WHERE account_id = \(bind: accountID) AND digest = \(bind: digest) AND used_at IS NULL
            """) == 1
    }

    func remainingRecoveryCodes(accountID: String) async throws -> Int {
        Int(
            try await first(
                "SELECT COUNT(*) AS n FROM recovery_codes WHERE account_id = \(bind: accountID) AND used_at IS NULL")?
                .int("n") ?? 0)
    }
}
