import Foundation
import GatehouseCore
import SQLKit

extension SQLSession {
    func decodeToken(_ row: any SQLRow) throws -> OneTimeToken? {
        guard let purpose = OneTimeToken.Purpose(rawValue: try row.string("purpose")) else { return nil }
        return OneTimeToken(
            purpose: purpose, accountID: try row.string("account_id"), digest: try row.string("digest"),
            payload: try row.string("payload"), expiresAt: try row.date("expires_at"),
            attempts: Int(try row.int("attempts")))
    }

    func issueToken(_ token: OneTimeToken) async throws {
        if token.purpose.voidsOlderTokens {
            try await voidTokens(purpose: token.purpose, accountID: token.accountID)
        }
        try await exec(
            """
            INSERT INTO one_time_tokens (digest, purpose, account_id, payload, expires_at, attempts)
            VALUES (\(bind: token.digest), \(bind: token.purpose.rawValue), \(bind: token.accountID),
                \(bind: token.payload), \(bind: token.expiresAt.epochSeconds), 0)
            """)
    }

    func peekToken(purpose: OneTimeToken.Purpose, digest: String, now: Date) async throws -> OneTimeToken? {
        try await first(
            """
            SELECT * FROM one_time_tokens WHERE digest = \(bind: digest) AND purpose = \(bind: purpose.rawValue)
                AND expires_at > \(bind: now.epochSeconds)
            """
        ).flatMap(decodeToken)
    }

    func consumeToken(purpose: OneTimeToken.Purpose, digest: String, now: Date) async throws -> OneTimeToken? {
        guard let token = try await peekToken(purpose: purpose, digest: digest, now: now) else { return nil }
        let deleted = try await changes(
            "DELETE FROM one_time_tokens WHERE digest = \(bind: digest) AND purpose = \(bind: purpose.rawValue)")
        return deleted == 1 ? token : nil
    }

    func reserveTokenAttempt(purpose: OneTimeToken.Purpose, digest: String, limit: Int, now: Date) async throws -> Bool
    {
        try await changes(
            """
            UPDATE one_time_tokens SET attempts = attempts + 1
            WHERE digest = \(bind: digest) AND purpose = \(bind: purpose.rawValue) AND attempts < \(bind: Int64(limit))
                AND expires_at > \(bind: now.epochSeconds)
            """) == 1
    }

    func trimLiveTokens(purpose: OneTimeToken.Purpose, accountID: String, keeping: Int, now: Date) async throws {
        try await exec(
            """
            DELETE FROM one_time_tokens WHERE account_id = \(bind: accountID) AND purpose = \(bind: purpose.rawValue)
                AND (expires_at <= \(bind: now.epochSeconds) OR digest NOT IN (
                    SELECT digest FROM one_time_tokens WHERE account_id = \(bind: accountID)
                        AND purpose = \(bind: purpose.rawValue) AND expires_at > \(bind: now.epochSeconds)
                    ORDER BY expires_at DESC, digest LIMIT \(literal: Int64(keeping))))
            """)
    }

    func isAddressHeldForRevert(_ address: String, now: Date) async throws -> Bool {
        try await first(
            """
            SELECT 1 AS one FROM one_time_tokens WHERE purpose = \(bind: OneTimeToken.Purpose.emailRevert.rawValue)
                AND LOWER(payload) = \(bind: AccountNames.canonical(address)) AND expires_at > \(bind: now.epochSeconds)
            LIMIT 1
            """) != nil
    }

    func countTokenAttempt(purpose: OneTimeToken.Purpose, digest: String) async throws -> Int {
        try await exec(
            "UPDATE one_time_tokens SET attempts = attempts + 1 WHERE digest = \(bind: digest) AND purpose = \(bind: purpose.rawValue)"
        )
        return Int(
            try await first("SELECT attempts FROM one_time_tokens WHERE digest = \(bind: digest)")?
                .int("attempts") ?? 0)
    }

    func voidTokens(purpose: OneTimeToken.Purpose, accountID: String) async throws {
        try await exec(
            "DELETE FROM one_time_tokens WHERE account_id = \(bind: accountID) AND purpose = \(bind: purpose.rawValue)")
    }

    func voidTokens(purpose: OneTimeToken.Purpose, accountIDs: [String]) async throws {
        guard !accountIDs.isEmpty else { return }
        let idList = SQLGroupExpression(SQLList(accountIDs.map { SQLBind($0) }))
        try await run { db in
            try await db.delete(from: "one_time_tokens").where("purpose", .equal, SQLBind(purpose.rawValue))
                .where("account_id", .in, idList).run()
        }
    }

    func purgeExpiredTokens(purpose: OneTimeToken.Purpose, now: Date) async throws -> Int {
        try await changes(
            "DELETE FROM one_time_tokens WHERE purpose = \(bind: purpose.rawValue) AND expires_at <= \(bind: now.epochSeconds)"
        )
    }
}
