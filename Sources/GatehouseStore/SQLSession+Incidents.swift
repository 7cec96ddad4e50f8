import Foundation
import GatehouseCore
import SQLKit

extension SQLSession {
    func decodeIncident(_ row: any SQLRow) throws -> Incident {
        Incident(
            id: try row.string("id"), reason: try row.string("reason"),
            scope: Incident.Scope(rawValue: try row.string("scope")) ?? .accounts,
            forceReset: try row.bool("force_reset"), signOutAll: try row.bool("sign_out_all"),
            notify: try row.bool("notify"), banner: try row.optionalString("banner"),
            state: Incident.State(rawValue: try row.string("state")) ?? .running, cursor: try row.string("cursor"),
            processed: Int(try row.int("processed")), total: Int(try row.int("total")),
            createdAt: try row.date("created_at"), resolvedAt: try row.optionalDate("resolved_at"))
    }

    private static let incidentColumns = """
        id, reason, scope, force_reset, sign_out_all, notify, banner, state, cursor, processed, total, created_at,
        resolved_at
        """

    func insertIncident(_ incident: Incident, targets: [String]) async throws {
        try await exec(
            """
            INSERT INTO incidents (id, reason, scope, force_reset, sign_out_all, notify, banner, state, cursor,
                processed, total, created_at)
            VALUES (\(bind: incident.id), \(bind: incident.reason), \(bind: incident.scope.rawValue),
                \(bind: incident.forceReset.sqlInt), \(bind: incident.signOutAll.sqlInt),
                \(bind: incident.notify.sqlInt), \(bind: incident.banner), \(bind: incident.state.rawValue), '', 0,
                \(bind: Int64(incident.total)), \(bind: incident.createdAt.epochSeconds))
            """)
        for target in targets {
            try await exec(
                "INSERT INTO incident_targets (incident_id, account_id) VALUES (\(bind: incident.id), \(bind: target))")
        }
    }

    func incident(id: String) async throws -> Incident? {
        try await first("SELECT \(unsafeRaw: Self.incidentColumns) FROM incidents WHERE id = \(bind: id)")
            .map(decodeIncident)
    }

    func incidents() async throws -> [Incident] {
        try await all("SELECT \(unsafeRaw: Self.incidentColumns) FROM incidents ORDER BY created_at DESC, id")
            .map(decodeIncident)
    }

    func incidentBatch(_ incident: Incident, limit: Int) async throws -> [Account] {
        if incident.scope == .all {
            return try await all(
                """
                SELECT \(unsafeRaw: Self.accountColumns) FROM accounts WHERE id > \(bind: incident.cursor)
                ORDER BY id LIMIT \(bind: limit)
                """
            ).map(decodeAccount)
        }
        return try await all(
            """
            SELECT \(unsafeRaw: Self.accountColumns.split(separator: ",").map { "a." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", "))
            FROM accounts a JOIN incident_targets t ON t.account_id = a.id
            WHERE t.incident_id = \(bind: incident.id) AND a.id > \(bind: incident.cursor)
            ORDER BY a.id LIMIT \(bind: limit)
            """
        ).map(decodeAccount)
    }

    func applyIncidentBatch(_ incident: Incident, work: [IncidentAccountWork], at date: Date)
        async throws -> Incident
    {
        guard let last = work.last?.account.id else { return incident }
        let ids = work.map(\.account.id)
        let idList = SQLGroupExpression(SQLList(ids.map { SQLBind($0) }))
        let stamp = date.epochSeconds
        // Exactly-once: the batch only applies if the cursor is still where this run read it.
        let moved = try await changes(
            """
            UPDATE incidents SET cursor = \(bind: last), processed = processed + \(bind: Int64(ids.count))
            WHERE id = \(bind: incident.id) AND cursor = \(bind: incident.cursor) AND state = 'running'
            """)
        guard moved == 1 else { return try await self.incident(id: incident.id) ?? incident }
        if incident.forceReset {
            try await run { db in
                try await db.update("accounts").set("reset_required", to: 1).where("id", .in, idList).run()
            }
            try await run { db in
                try await db.delete(from: "one_time_tokens").where("purpose", .equal, SQLBind("password_reset"))
                    .where("account_id", .in, idList).run()
            }
        }
        if incident.signOutAll || incident.forceReset {
            try await run { db in
                try await db.update("devices").set("revoked_at", to: SQLBind(stamp))
                    .where("account_id", .in, idList).where("revoked_at", .is, SQLLiteral.null).run()
            }
            // App passwords die with the devices (the account-wide revocation below covers their media tokens).
            try await run { db in
                try await db.update("app_passwords").set("revoked_at", to: SQLBind(stamp))
                    .where("account_id", .in, idList).where("revoked_at", .is, SQLLiteral.null).run()
            }
            let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
            for chunk in ids.chunked(200) {
                try await run { db in
                    var insert = db.insert(into: "revocations").columns("account_id", "device_ids", "all_devices", "at_ms")
                    for accountID in chunk {
                        insert = insert.values(SQLBind(accountID), SQLBind(""), SQLBind(Int64(1)), SQLBind(milliseconds))
                    }
                    try await insert.run()
                }
            }
        }
        let notices = work.compactMap(\.notice)
        for chunk in notices.chunked(200) {
            try await run { db in
                var insert = db.insert(into: "outbox").columns(
                    "id", "recipient", "subject", "text_body", "html_body", "kind", "created_at", "attempts",
                    "next_attempt_at", "template")
                for message in chunk {
                    insert = insert.values(
                        SQLBind(message.id), SQLBind(message.recipient), SQLBind(message.subject),
                        SQLBind(message.textBody), SQLBind(message.htmlBody), SQLBind(message.kind),
                        SQLBind(message.createdAt.epochSeconds), SQLBind(Int64(0)),
                        SQLBind(message.nextAttemptAt.epochSeconds), SQLBind(message.template))
                }
                try await insert.run()
            }
        }
        try await appendAuditBatch(
            chains: ids, kind: AuditEvent.Kind.incidentApplied.rawValue,
            detail: "incident \(incident.id)" + (incident.forceReset ? ", reset required" : "")
                + (incident.signOutAll || incident.forceReset ? ", signed out" : ""), at: date)
        return try await self.incident(id: incident.id) ?? incident
    }

    /// Appends one event to each of many chains with a few statements.
    private func appendAuditBatch(chains: [String], kind: String, detail: String, at date: Date) async throws {
        let stamp = Date(epochSeconds: date.epochSeconds)
        var previous: [String: String] = [:]
        for chunk in chains.chunked(500) {
            let list = SQLList(chunk.map { SQLBind($0) })
            if dialect == .postgres {
                for chain in chunk { try await exec("SELECT pg_advisory_xact_lock(hashtext(\(bind: chain)))") }
            }
            let rows = try await all(
                """
                SELECT e.chain, e.hash FROM audit_events e
                JOIN (SELECT chain, MAX(id) AS id FROM audit_events WHERE chain IN (\(list)) GROUP BY chain) m
                ON e.id = m.id
                """)
            for row in rows { previous[try row.string("chain")] = try row.string("hash") }
        }
        let known = previous
        for chunk in chains.chunked(200) {
            try await run { db in
                var insert = db.insert(into: "audit_events").columns(
                    "chain", "kind", "ip_address", "detail", "created_at", "previous_hash", "hash")
                for chain in chunk {
                    let prior = known[chain] ?? AuditChain.genesis
                    let hash = auditHash(
                        chain: chain, kind: kind, ipAddress: "operator", detail: detail, createdAt: stamp,
                        previousHash: prior)
                    insert = insert.values(
                        SQLBind(chain), SQLBind(kind), SQLBind("operator"), SQLBind(detail),
                        SQLBind(stamp.epochSeconds), SQLBind(prior), SQLBind(hash))
                }
                try await insert.run()
            }
        }
    }

    func setIncidentState(id: String, state: Incident.State, at date: Date) async throws {
        let resolved: Int64? = state == .resolved ? date.epochSeconds : nil
        try await exec(
            "UPDATE incidents SET state = \(bind: state.rawValue), resolved_at = \(bind: resolved) WHERE id = \(bind: id)")
    }

    func activeBanners() async throws -> [String] {
        try await all(
            "SELECT banner FROM incidents WHERE state <> 'resolved' AND banner IS NOT NULL ORDER BY created_at DESC"
        ).map { try $0.string("banner") }
    }
}

extension Array {
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
