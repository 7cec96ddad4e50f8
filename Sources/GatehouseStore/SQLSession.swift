import Foundation
import GatehouseCore
import PostgresKit
import SQLKit

/// The store's statements, on one database handle: a pooled one for single statements, or one connection inside a
/// transaction. Extensions per domain hold the statements (`SQLSession+Accounts.swift`, ...).
struct SQLSession: StoreTransaction {
    let database: any SQLDatabase
    let dialect: SQLStore.Dialect
    /// Set outside transactions on SQLite, so a single statement never runs inside another task's transaction.
    let gate: AsyncGate?
    /// The key audit entries are chained under (``AuditChain/mac``), when the hub gave one (``SQLStore/useAuditKey``).
    var auditKey: [UInt8]? = nil

    func run<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        if let gate {
            return try await gate.withLock { try await body(database) }
        }
        return try await body(database)
    }

    func all(_ query: SQLQueryString) async throws -> [any SQLRow] {
        try await run { try await $0.raw(query).all() }
    }

    func first(_ query: SQLQueryString) async throws -> (any SQLRow)? {
        try await run { try await $0.raw(query).first() }
    }

    func exec(_ query: SQLQueryString) async throws {
        try await run { try await $0.raw(query).run() }
    }

    /// Runs an UPDATE or DELETE and returns how many rows it touched.
    func changes(_ query: SQLQueryString) async throws -> Int {
        switch dialect {
        case .postgres:
            let rows = try await run { db in
                try await db.raw(query + " RETURNING 1 AS one").all()
            }
            return rows.count
        case .sqlite:
            return try await run { db in
                try await db.raw(query).run()
                let row = try await db.raw("SELECT changes() AS n").first()
                return try row?.decode(column: "n", as: Int.self) ?? 0
            }
        }
    }

    /// True when `error` is a unique-constraint violation.
    static func isUniqueViolation(_ error: any Error) -> Bool {
        if let error = error as? PSQLError, let state = error.serverInfo?[.sqlState] { return state == "23505" }
        if let error = error as? InlineSQLite.Failure { return error.isUniqueViolation }
        return false
    }
}

extension SQLRow {
    func string(_ column: String) throws -> String { try decode(column: column, as: String.self) }
    func optionalString(_ column: String) throws -> String? { try decode(column: column, as: String?.self) }
    func int(_ column: String) throws -> Int64 { try decode(column: column, as: Int64.self) }
    func optionalInt(_ column: String) throws -> Int64? { try decode(column: column, as: Int64?.self) }
    func bool(_ column: String) throws -> Bool { try int(column) != 0 }
    func date(_ column: String) throws -> Date { Date(epochSeconds: try int(column)) }
    func optionalDate(_ column: String) throws -> Date? { try optionalInt(column).map(Date.init(epochSeconds:)) }
}

extension Bool {
    var sqlInt: Int64 { self ? 1 : 0 }
}
