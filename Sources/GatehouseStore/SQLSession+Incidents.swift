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
                ORDER BY id LIMIT \(literal: limit)
                """
            ).map(decodeAccount)
        }
        return try await all(
            """
            SELECT \(unsafeRaw: Self.accountColumns.split(separator: ",").map { "a." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", "))
            FROM accounts a JOIN incident_targets t ON t.account_id = a.id
            WHERE t.incident_id = \(bind: incident.id) AND a.id > \(bind: incident.cursor)
            ORDER BY a.id LIMIT \(literal: limit)
            """
        ).map(decodeAccount)
    }

    func advanceIncident(_ incident: Incident, to last: String, count: Int) async throws -> Bool {
        // Exactly-once: the batch only applies if the cursor is still where this run read it.
        try await changes(
            """
            UPDATE incidents SET cursor = \(bind: last), processed = processed + \(bind: Int64(count))
            WHERE id = \(bind: incident.id) AND cursor = \(bind: incident.cursor) AND state = 'running'
            """) == 1
    }

    func setIncidentState(id: String, state: Incident.State, at date: Date) async throws {
        let resolved: Int64? = state == .resolved ? date.epochSeconds : nil
        try await exec(
            "UPDATE incidents SET state = \(bind: state.rawValue), resolved_at = \(bind: resolved) WHERE id = \(bind: id)"
        )
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
