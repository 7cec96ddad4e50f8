import Foundation
import GatehouseCore
import SQLKit

extension SQLSession {
    func enqueueMail(_ message: OutboxMessage) async throws {
        try await exec(
            """
            INSERT INTO outbox (id, recipient, subject, text_body, html_body, kind, created_at, attempts, next_attempt_at,
                template)
            VALUES (\(bind: message.id), \(bind: message.recipient), \(bind: message.subject), \(bind: message.textBody),
                \(bind: message.htmlBody), \(bind: message.kind), \(bind: message.createdAt.epochSeconds),
                \(bind: Int64(message.attempts)), \(bind: message.nextAttemptAt.epochSeconds), \(bind: message.template))
            """)
    }

    func dueMail(now: Date, limit: Int) async throws -> [OutboxMessage] {
        try await all(
            """
            SELECT * FROM outbox WHERE sent_at IS NULL AND failed = 0 AND next_attempt_at <= \(bind: now.epochSeconds)
            ORDER BY created_at, id LIMIT \(bind: limit)
            """
        ).map { row in
            OutboxMessage(
                id: try row.string("id"), recipient: try row.string("recipient"), subject: try row.string("subject"),
                textBody: try row.string("text_body"), htmlBody: try row.string("html_body"),
                kind: try row.string("kind"), createdAt: try row.date("created_at"),
                attempts: Int(try row.int("attempts")), nextAttemptAt: try row.date("next_attempt_at"),
                sentAt: try row.optionalDate("sent_at"), lastError: try row.optionalString("last_error"),
                template: try row.optionalString("template"))
        }
    }

    func markMailSent(id: String, at date: Date) async throws {
        try await exec(
            "UPDATE outbox SET sent_at = \(bind: date.epochSeconds), attempts = attempts + 1, last_error = NULL, text_body = '', html_body = '' WHERE id = \(bind: id)"
        )
    }

    func markMailFailed(id: String, error: String, nextAttemptAt: Date, giveUp: Bool) async throws {
        try await exec(
            """
            UPDATE outbox SET attempts = attempts + 1, last_error = \(bind: error),
                next_attempt_at = \(bind: nextAttemptAt.epochSeconds), failed = \(bind: giveUp.sqlInt)
            WHERE id = \(bind: id)
            """)
    }

    func mailCounts() async throws -> (pending: Int, sent: Int, failed: Int) {
        let row = try await first(
            """
            SELECT SUM(CASE WHEN sent_at IS NULL AND failed = 0 THEN 1 ELSE 0 END) AS pending,
                SUM(CASE WHEN sent_at IS NOT NULL THEN 1 ELSE 0 END) AS sent,
                SUM(CASE WHEN failed <> 0 THEN 1 ELSE 0 END) AS failed
            FROM outbox
            """)
        return (
            Int(try row?.optionalInt("pending") ?? 0), Int(try row?.optionalInt("sent") ?? 0),
            Int(try row?.optionalInt("failed") ?? 0)
        )
    }

    // MARK: Throttle

    func throttleState(key: String) async throws -> (failures: Int, lastFailure: Date)? {
        guard let row = try await first("SELECT failures, last_failure FROM throttle WHERE key = \(bind: key)") else {
            return nil
        }
        return (Int(try row.int("failures")), try row.date("last_failure"))
    }

    func throttleStates(keys: [String]) async throws -> [String: (failures: Int, lastFailure: Date)] {
        guard !keys.isEmpty else { return [:] }
        let list = SQLList(keys.map { SQLBind($0) })
        var states: [String: (failures: Int, lastFailure: Date)] = [:]
        for row in try await all("SELECT key, failures, last_failure FROM throttle WHERE key IN (\(list))") {
            states[try row.string("key")] = (Int(try row.int("failures")), try row.date("last_failure"))
        }
        return states
    }

    func recordThrottleFailure(key: String, at date: Date) async throws {
        let cutoff = date.epochSeconds - 86_400
        try await exec(
            """
            INSERT INTO throttle (key, failures, last_failure) VALUES (\(bind: key), 1, \(bind: date.epochSeconds))
            ON CONFLICT (key) DO UPDATE SET
                failures = CASE WHEN throttle.last_failure < \(bind: cutoff) THEN 1 ELSE throttle.failures + 1 END,
                last_failure = \(bind: date.epochSeconds)
            """)
    }

    func clearThrottle(key: String) async throws {
        try await exec("DELETE FROM throttle WHERE key = \(bind: key)")
    }

    // MARK: One-time tokens

    func decodeToken(_ row: any SQLRow) throws -> OneTimeToken? {
        guard let purpose = OneTimeToken.Purpose(rawValue: try row.string("purpose")) else { return nil }
        return OneTimeToken(
            purpose: purpose, accountID: try row.string("account_id"), digest: try row.string("digest"),
            payload: try row.string("payload"), expiresAt: try row.date("expires_at"),
            attempts: Int(try row.int("attempts")))
    }

    func issueToken(_ token: OneTimeToken) async throws {
        if token.purpose != .signInChallenge {
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

    func countTokenAttempt(purpose: OneTimeToken.Purpose, digest: String) async throws -> Int {
        try await exec(
            "UPDATE one_time_tokens SET attempts = attempts + 1 WHERE digest = \(bind: digest) AND purpose = \(bind: purpose.rawValue)"
        )
        return Int(try await first("SELECT attempts FROM one_time_tokens WHERE digest = \(bind: digest)")?
            .int("attempts") ?? 0)
    }

    func voidTokens(purpose: OneTimeToken.Purpose, accountID: String) async throws {
        try await exec(
            "DELETE FROM one_time_tokens WHERE account_id = \(bind: accountID) AND purpose = \(bind: purpose.rawValue)")
    }
}
