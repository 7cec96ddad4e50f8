import Foundation
import GatehouseCore
import SQLKit

extension SQLSession {
    static let appPasswordColumns =
        "id, account_id, name, scopes, created_at, expires_at, last_used_at, last_used_address, revoked_at"

    func decodeAppPassword(_ row: any SQLRow) throws -> AppPassword {
        AppPassword(
            id: try row.string("id"), accountID: try row.string("account_id"), name: try row.string("name"),
            scopes: try row.string("scopes").split(separator: " ").compactMap {
                AppPassword.Scope(rawValue: String($0))
            },
            createdAt: try row.date("created_at"), expiresAt: try row.date("expires_at"),
            lastUsedAt: try row.optionalDate("last_used_at"),
            lastUsedAddress: try row.optionalString("last_used_address"),
            revokedAt: try row.optionalDate("revoked_at"))
    }

    func insertAppPassword(_ password: AppPassword, digest: String) async throws {
        try await exec(
            """
            INSERT INTO app_passwords (id, account_id, name, scopes, digest, created_at, expires_at)
            VALUES (\(bind: password.id), \(bind: password.accountID), \(bind: password.name),
                \(bind: password.scopes.map(\.rawValue).joined(separator: " ")), \(bind: digest),
                \(bind: password.createdAt.epochSeconds), \(bind: password.expiresAt.epochSeconds))
            """)
    }

    func appPassword(digest: String) async throws -> AppPassword? {
        try await first(
            "SELECT \(unsafeRaw: Self.appPasswordColumns) FROM app_passwords WHERE digest = \(bind: digest) AND revoked_at IS NULL"
        ).map(decodeAppPassword)
    }

    func appPasswords(accountID: String) async throws -> [AppPassword] {
        try await all(
            """
            SELECT \(unsafeRaw: Self.appPasswordColumns) FROM app_passwords
            WHERE account_id = \(bind: accountID) AND revoked_at IS NULL ORDER BY created_at DESC, id
            """
        ).map(decodeAppPassword)
    }

    func countAppPasswords(accountID: String) async throws -> Int {
        Int(
            try await first(
                "SELECT COUNT(*) AS n FROM app_passwords WHERE account_id = \(bind: accountID) AND revoked_at IS NULL"
            )?.optionalInt("n") ?? 0)
    }

    func revokeAppPassword(id: String, accountID: String, at date: Date) async throws -> Bool {
        let changed =
            try await changes(
                """
                UPDATE app_passwords SET revoked_at = \(bind: date.epochSeconds)
                WHERE id = \(bind: id) AND account_id = \(bind: accountID) AND revoked_at IS NULL
                """) > 0
        if changed { try await logRevocation(accountID: accountID, deviceIDs: [id], allDevices: false, at: date) }
        return changed
    }

    /// Revokes every live app password of the account (sign-out-all, password reset, e-mail revert); returns their
    /// ids. The caller logs the revocation with the devices'.
    func revokeAllAppPasswords(accountID: String, at date: Date) async throws -> [String] {
        let ids = try await all(
            "SELECT id FROM app_passwords WHERE account_id = \(bind: accountID) AND revoked_at IS NULL"
        ).map { try $0.string("id") }
        guard !ids.isEmpty else { return [] }
        try await exec(
            "UPDATE app_passwords SET revoked_at = \(bind: date.epochSeconds) WHERE account_id = \(bind: accountID) AND revoked_at IS NULL"
        )
        return ids
    }

    func touchAppPassword(id: String, at date: Date, address: String) async throws {
        try await exec(
            """
            UPDATE app_passwords SET last_used_at = \(bind: date.epochSeconds), last_used_address = \(bind: address)
            WHERE id = \(bind: id)
            """)
    }
}
