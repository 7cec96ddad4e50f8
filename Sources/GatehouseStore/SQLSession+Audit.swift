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
        let hash = AuditChain.hash(
            chain: chain, kind: record.kind.rawValue, ipAddress: record.ipAddress, detail: record.detail,
            createdAt: stamp, previousHash: previous)
        try await exec(
            """
            INSERT INTO audit_events (chain, kind, ip_address, detail, created_at, previous_hash, hash)
            VALUES (\(bind: chain), \(bind: record.kind.rawValue), \(bind: record.ipAddress), \(bind: record.detail),
                \(bind: stamp.epochSeconds), \(bind: previous), \(bind: hash))
            """)
    }

    func auditEvents(chain: String, limit: Int) async throws -> [AuditEvent] {
        try await all(
            "SELECT * FROM audit_events WHERE chain = \(bind: chain) ORDER BY id DESC LIMIT \(bind: limit)"
        ).map(decodeAudit)
    }

    func auditChain(_ chain: String) async throws -> [AuditEvent] {
        try await all("SELECT * FROM audit_events WHERE chain = \(bind: chain) ORDER BY id").map(decodeAudit)
    }

    func auditChains() async throws -> [String] {
        try await all("SELECT DISTINCT chain FROM audit_events ORDER BY chain").map { try $0.string("chain") }
    }
}
