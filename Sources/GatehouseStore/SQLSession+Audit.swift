import Crypto
import Foundation
import GatehouseCore
import SQLKit

extension SQLSession {
    func decodeAudit(_ row: any SQLRow) throws -> AuditEvent {
        AuditEvent(
            id: try row.int("id"), chain: try row.string("chain"), kind: try row.string("kind"),
            ipAddress: try row.string("ip_address"), detail: try row.string("detail"),
            createdAt: try row.date("created_at"), previousHash: try row.string("previous_hash"),
            hash: try row.string("hash"))
    }

    /// The hash of a new entry: keyed under the hub's audit key when the store has one, plain otherwise.
    func auditHash(
        chain: String, kind: String, ipAddress: String, detail: String, createdAt: Date, previousHash: String
    ) -> String {
        if let auditKey {
            return AuditChain.mac(
                key: SymmetricKey(data: auditKey), chain: chain, kind: kind, ipAddress: ipAddress, detail: detail,
                createdAt: createdAt, previousHash: previousHash)
        }
        return AuditChain.hash(
            chain: chain, kind: kind, ipAddress: ipAddress, detail: detail, createdAt: createdAt,
            previousHash: previousHash)
    }

    func appendAudit(_ record: AuditRecord, at date: Date) async throws {
        let chain = record.accountID ?? AuditEvent.systemChain
        if dialect == .postgres {
            // Serialises appends to one chain across connections and hub instances until the transaction ends.
            try await exec("SELECT pg_advisory_xact_lock(hashtext(\(bind: chain)))")
        }
        let previous =
            try await first("SELECT hash FROM audit_events WHERE chain = \(bind: chain) ORDER BY id DESC LIMIT 1")?
            .string("hash") ?? AuditChain.genesis
        let stamp = Date(epochSeconds: date.epochSeconds)
        let hash = auditHash(
            chain: chain, kind: record.kind.rawValue, ipAddress: record.ipAddress, detail: record.detail,
            createdAt: stamp, previousHash: previous)
        try await exec(
            """
            INSERT INTO audit_events (chain, kind, ip_address, detail, created_at, previous_hash, hash)
            VALUES (\(bind: chain), \(bind: record.kind.rawValue), \(bind: record.ipAddress), \(bind: record.detail),
                \(bind: stamp.epochSeconds), \(bind: previous), \(bind: hash))
            """)
    }

    func appendAudit(
        kind: AuditEvent.Kind, detail: String, ipAddress: String, toChains chains: [String], at date: Date
    ) async throws {
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
                        chain: chain, kind: kind.rawValue, ipAddress: ipAddress, detail: detail, createdAt: stamp,
                        previousHash: prior)
                    insert = insert.values(
                        SQLBind(chain), SQLBind(kind.rawValue), SQLBind(ipAddress), SQLBind(detail),
                        SQLBind(stamp.epochSeconds), SQLBind(prior), SQLBind(hash))
                }
                try await insert.run()
            }
        }
    }

    func auditEvents(chain: String, limit: Int) async throws -> [AuditEvent] {
        try await all(
            "SELECT * FROM audit_events WHERE chain = \(bind: chain) ORDER BY id DESC LIMIT \(literal: limit)"
        ).map(decodeAudit)
    }

    func auditChain(_ chain: String) async throws -> [AuditEvent] {
        try await all("SELECT * FROM audit_events WHERE chain = \(bind: chain) ORDER BY id").map(decodeAudit)
    }

    func auditChains() async throws -> [String] {
        try await all("SELECT DISTINCT chain FROM audit_events ORDER BY chain").map { try $0.string("chain") }
    }

    func auditKeyedAfter() async throws -> Int64? {
        guard
            let value = try await first(
                "SELECT value FROM hub_facts WHERE name = \(bind: AuditChain.keyedAfterFact)")?.string("value")
        else { return nil }
        return Int64(value)
    }

    func auditHeads() async throws -> [AuditCheckpoint.Head] {
        // One statement, so every head comes from the same snapshot; appends to one chain are serialised, so a
        // chain's last id is its newest committed entry.
        try await all(
            """
            SELECT a.chain AS chain, a.id AS id, a.hash AS hash, c.n AS n FROM audit_events a
            JOIN (SELECT chain, MAX(id) AS last, COUNT(*) AS n FROM audit_events GROUP BY chain) c
                ON a.chain = c.chain AND a.id = c.last
            ORDER BY a.chain
            """
        ).map {
            AuditCheckpoint.Head(
                chain: try $0.string("chain"), lastID: try $0.int("id"), count: Int(try $0.int("n")),
                hash: try $0.string("hash"))
        }
    }

    func saveAuditCheckpoint(_ checkpoint: AuditCheckpoint) async throws {
        try await exec(
            """
            INSERT INTO audit_checkpoints (key_id, events, created_at, note)
            VALUES (\(bind: checkpoint.keyID), \(bind: checkpoint.size), \(bind: checkpoint.time), \(bind: checkpoint.note))
            """)
    }

    func latestAuditCheckpoint() async throws -> String? {
        try await first("SELECT note FROM audit_checkpoints ORDER BY id DESC LIMIT 1")?.string("note")
    }
}
