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

    func enqueueMail(_ messages: [OutboxMessage]) async throws {
        for chunk in messages.chunked(200) {
            try await run { db in
                var insert = db.insert(into: "outbox").columns(
                    "id", "recipient", "subject", "text_body", "html_body", "kind", "created_at", "attempts",
                    "next_attempt_at", "template")
                for message in chunk {
                    insert = insert.values(
                        SQLBind(message.id), SQLBind(message.recipient), SQLBind(message.subject),
                        SQLBind(message.textBody), SQLBind(message.htmlBody), SQLBind(message.kind),
                        SQLBind(message.createdAt.epochSeconds), SQLBind(Int64(message.attempts)),
                        SQLBind(message.nextAttemptAt.epochSeconds), SQLBind(message.template))
                }
                try await insert.run()
            }
        }
    }

    func dueMail(now: Date, limit: Int) async throws -> [OutboxMessage] {
        try await all(
            """
            SELECT * FROM outbox WHERE sent_at IS NULL AND failed = 0 AND next_attempt_at <= \(bind: now.epochSeconds)
            ORDER BY created_at, id LIMIT \(bind: limit)
            """
        ).map(decodeOutboxRow)
    }

    func claimDueMail(now: Date, limit: Int, claimant: String, until: Date) async throws -> [OutboxMessage] {
        // One statement: the rows are chosen and claimed at once. PostgreSQL locks the chosen rows and skips rows
        // another instance is claiming right now (a concurrent claimer never waits, and never takes them: after
        // their claim commits, the re-checked condition `claimed_until <= now` excludes them). SQLite has one
        // writer, so the statement alone is atomic.
        let lock: SQLQueryString = dialect == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
        let rows = try await all(
            """
            UPDATE outbox SET claimed_by = \(bind: claimant), claimed_until = \(bind: until.epochSeconds)
            WHERE id IN (
                SELECT id FROM outbox
                WHERE sent_at IS NULL AND failed = 0 AND next_attempt_at <= \(bind: now.epochSeconds)
                    AND claimed_until <= \(bind: now.epochSeconds)
                ORDER BY created_at, id LIMIT \(bind: limit)\(lock)
            ) AND sent_at IS NULL AND failed = 0 AND claimed_until <= \(bind: now.epochSeconds)
            RETURNING *
            """)
        return try rows.map(decodeOutboxRow).sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    func renewMailClaim(id: String, claimant: String, now: Date, until: Date) async throws -> Bool {
        try await changes(
            """
            UPDATE outbox SET claimed_until = \(bind: until.epochSeconds)
            WHERE id = \(bind: id) AND claimed_by = \(bind: claimant) AND claimed_until > \(bind: now.epochSeconds)
                AND sent_at IS NULL AND failed = 0
            """) == 1
    }

    func releaseMailClaims(ids: [String], claimant: String) async throws {
        guard !ids.isEmpty else { return }
        let list = SQLList(ids.map { SQLBind($0) })
        try await exec(
            """
            UPDATE outbox SET claimed_by = NULL, claimed_until = 0
            WHERE id IN (\(list)) AND claimed_by = \(bind: claimant) AND sent_at IS NULL
            """)
    }

    func decodeOutboxRow(_ row: any SQLRow) throws -> OutboxMessage {
        OutboxMessage(
            id: try row.string("id"), recipient: try row.string("recipient"), subject: try row.string("subject"),
            textBody: try row.string("text_body"), htmlBody: try row.string("html_body"),
            kind: try row.string("kind"), createdAt: try row.date("created_at"),
            attempts: Int(try row.int("attempts")), nextAttemptAt: try row.date("next_attempt_at"),
            sentAt: try row.optionalDate("sent_at"), lastError: try row.optionalString("last_error"),
            template: try row.optionalString("template"))
    }

    func markMailSent(id: String, at date: Date) async throws {
        try await exec(
            """
            UPDATE outbox SET sent_at = \(bind: date.epochSeconds), attempts = attempts + 1, last_error = NULL, text_body = '',
                html_body = '', claimed_by = NULL, claimed_until = 0
            WHERE id = \(bind: id)
            """
        )
    }

    func markMailFailed(id: String, error: String, nextAttemptAt: Date, giveUp: Bool) async throws {
        try await exec(
            """
            UPDATE outbox SET attempts = attempts + 1, last_error = \(bind: error),
                next_attempt_at = \(bind: nextAttemptAt.epochSeconds), failed = \(bind: giveUp.sqlInt),
                claimed_by = NULL, claimed_until = 0
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

    func reserveAttempt(key: String, policy: ThrottlePolicy, now: Date) async throws -> Int {
        // Compare-and-swap on (failures, last_failure): a concurrent reservation changes the row, so this one
        // matches nothing and reads again. Each round admits at most one of the racers, on both databases.
        for _ in 0..<24 {
            if let row = try await first("SELECT failures, last_failure FROM throttle WHERE key = \(bind: key)") {
                let failures = try row.int("failures")
                let last = try row.int("last_failure")
                let expired = now.timeIntervalSince(Date(epochSeconds: last)) >= policy.window
                let counted = expired ? 0 : Int(failures)
                let wait = policy.wait(failures: counted, lastFailure: Date(epochSeconds: last), now: now)
                if wait > 0 { return wait }
                let swapped = try await changes(
                    """
                    UPDATE throttle SET failures = \(bind: Int64(counted + 1)), last_failure = \(bind: now.epochSeconds)
                    WHERE key = \(bind: key) AND failures = \(bind: failures) AND last_failure = \(bind: last)
                    """)
                if swapped == 1 { return 0 }
            } else {
                let inserted = try await changes(
                    """
                    INSERT INTO throttle (key, failures, last_failure) VALUES (\(bind: key), 1, \(bind: now.epochSeconds))
                    ON CONFLICT (key) DO NOTHING
                    """)
                if inserted == 1 { return 0 }
            }
        }
        // Heavy contention on one key: answer "later" rather than let anyone through unreserved.
        return 1
    }

    func refundAttempt(key: String) async throws {
        try await exec("UPDATE throttle SET failures = failures - 1 WHERE key = \(bind: key) AND failures > 0")
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
                    ORDER BY expires_at DESC, digest LIMIT \(bind: Int64(keeping))))
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
