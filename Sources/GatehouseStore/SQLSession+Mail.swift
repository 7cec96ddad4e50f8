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
            ORDER BY created_at, id LIMIT \(literal: limit)
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
                ORDER BY created_at, id LIMIT \(literal: limit)\(lock)
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
}
