import Foundation
import GatehouseCore
import SQLKit

extension SQLSession {
    func useLockLink(id: String, accountID: String, at date: Date) async throws -> Bool {
        try await changes(
            """
            INSERT INTO lock_links_used (id, account_id, used_at)
            VALUES (\(bind: id), \(bind: accountID), \(bind: date.epochSeconds))
            ON CONFLICT (id) DO NOTHING
            """) > 0
    }

    func lockAccount(accountID: String, reason: String, at date: Date) async throws {
        try await exec(
            """
            INSERT INTO account_locks (account_id, reason, locked_at)
            VALUES (\(bind: accountID), \(bind: reason), \(bind: date.epochSeconds))
            ON CONFLICT (account_id) DO NOTHING
            """)
    }

    func lockedAt(accountID: String) async throws -> Date? {
        try await first("SELECT locked_at FROM account_locks WHERE account_id = \(bind: accountID)")
            .map { try $0.date("locked_at") }
    }

    func unlockAccount(accountID: String) async throws {
        try await exec("DELETE FROM account_locks WHERE account_id = \(bind: accountID)")
    }

    func purgeLockLinks(before date: Date) async throws -> Int {
        try await changes("DELETE FROM lock_links_used WHERE used_at < \(bind: date.epochSeconds)")
    }
}
