import Foundation
import GatehouseCore
import Logging
import NIOCore
import NIOPosix
import PostgresKit
import SQLKit
import SQLiteKit
import Synchronization
import Tracing

/// The hub's store on SQLKit: one implementation for SQLite (embedded default) and PostgreSQL (scale).
public final class SQLStore: HubStore {
    /// Which database.
    public enum Dialect: String, Sendable {
        case sqlite
        case postgres
    }

    public enum Error: Swift.Error, CustomStringConvertible {
        case unsupportedURL(String)
        case migrationFailed(version: Int, reason: String)

        public var description: String {
            switch self {
            case .unsupportedURL(let url): "unsupported database URL '\(url)': use sqlite:PATH or postgres://..."
            case .migrationFailed(let version, let reason): "migration \(version) failed: \(reason)"
            }
        }
    }

    public let dialect: Dialect
    public var dialectName: String { dialect.rawValue }
    let database: any SQLDatabase
    private let gate: AsyncGate?
    var gateIfAny: AsyncGate? { gate }
    private let closer: @Sendable () async throws -> Void
    private let auditKeyHolder = Mutex<[UInt8]?>(nil)
    /// How to open a connection of its own (PostgreSQL), for `LISTEN`.
    private let listenConfiguration: SQLPostgresConfiguration?
    private let logger: Logger

    private init(
        dialect: Dialect, database: any SQLDatabase, gate: AsyncGate?,
        listenConfiguration: SQLPostgresConfiguration? = nil,
        logger: Logger, closer: @escaping @Sendable () async throws -> Void
    ) {
        self.dialect = dialect
        self.database = database
        self.gate = gate
        self.listenConfiguration = listenConfiguration
        self.logger = logger
        self.closer = closer
    }

    /// Opens (creating when needed) the database named by `url` and runs pending migrations.
    ///
    /// `url` is `sqlite:/path/to/file.sqlite`, `sqlite::memory:`, or `postgres://user:pass@host:port/db`.
    /// `schema` (PostgreSQL only) puts every table in that schema, created when missing: the contract tests give
    /// each test a schema of its own.
    public static func open(url: String, logger: Logger, schema: String? = nil, migrate: Bool = true) async throws
        -> SQLStore
    {
        let store: SQLStore
        if url.hasPrefix("sqlite:") {
            store = try await openSQLite(path: String(url.dropFirst("sqlite:".count)), logger: logger)
        } else if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            store = try await openPostgres(url: url, logger: logger, schema: schema)
        } else {
            throw Error.unsupportedURL(url)
        }
        if migrate {
            do {
                try await store.migrate(logger: logger)
            } catch {
                // A pool must be shut down before it is released: close it, then report the migration's error.
                try? await store.shutdown()
                throw error
            }
        }
        return store
    }

    private static func openSQLite(path: String, logger: Logger) async throws -> SQLStore {
        let connection = try InlineSQLite(path: path)
        let db = InlineSQLiteDatabase(connection: connection, logger: logger)
        // WAL lets readers of another process (backups, `gatehouse audit verify`) see a consistent file while the
        // hub writes; the hub itself uses one connection behind one gate.
        // A 64 MiB page cache and in-memory temporary tables keep large transactions (an incident's batches) off
        // the disk until commit.
        for pragma in [
            "PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = ON",
            "PRAGMA busy_timeout = 10000", "PRAGMA cache_size = -65536", "PRAGMA temp_store = MEMORY",
        ] {
            do {
                try await db.raw(SQLQueryString(pragma)).run()
            } catch {
                // Not a database (or unreadable): close the connection before it is released, then report.
                connection.close()
                throw error
            }
        }
        return SQLStore(dialect: .sqlite, database: db, gate: AsyncGate(), logger: logger) {
            connection.close()
        }
    }

    private static func openPostgres(url: String, logger: Logger, schema: String?) async throws -> SQLStore {
        var configuration = try SQLPostgresConfiguration(url: url)
        if let schema {
            guard schema.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                throw Error.unsupportedURL("schema name \(schema)")
            }
            let setup = PostgresConnectionSource(sqlConfiguration: configuration)
            let connection = try await setup.makeConnection(
                logger: logger, on: MultiThreadedEventLoopGroup.singleton.any()
            ).get()
            try await connection.sql().raw("CREATE SCHEMA IF NOT EXISTS \(unsafeRaw: schema)").run()
            try await connection.close()
            configuration.searchPath = [schema]
        }
        let source = PostgresConnectionSource(sqlConfiguration: configuration)
        let group = MultiThreadedEventLoopGroup.singleton
        // A burst (hundreds of sign-ins at once) queues for a connection rather than failing: a request waits up to
        // 30 s (AsyncKit's default is 10 s, which a loaded 2-core host can exceed, turning a burst into 500s).
        let pool = EventLoopGroupConnectionPool(
            source: source, maxConnectionsPerEventLoop: 4, requestTimeout: .seconds(30), pruneInterval: .seconds(60),
            logger: logger, on: group)
        let db = pool.database(logger: logger).sql(queryLogLevel: nil)
        let handle = PoolHandle(pool: pool)
        return SQLStore(dialect: .postgres, database: db, gate: nil, listenConfiguration: configuration, logger: logger)
        {
            try await handle.pool.shutdownAsync()
        }
    }

    public var autocommit: any StoreTransaction {
        SQLSession(database: database, dialect: dialect, gate: gate, auditKey: auditKeyHolder.withLock { $0 })
    }

    /// Chains audit entries written from now on under `key` (``HubEnvironment`` passes the keyring-derived key).
    public func useAuditKey(_ key: [UInt8]) {
        auditKeyHolder.withLock { $0 = key }
    }

    public func transaction<T: Sendable>(_ body: @escaping @Sendable (any StoreTransaction) async throws -> T)
        async throws -> T
    {
        let dialect = self.dialect
        let auditKey = auditKeyHolder.withLock { $0 }
        let work: @Sendable () async throws -> T = {
            try await self.database.withSession { connection in
                try await connection.raw("BEGIN").run()
                do {
                    let value = try await body(
                        SQLSession(database: connection, dialect: dialect, gate: nil, auditKey: auditKey))
                    try await connection.raw("COMMIT").run()
                    return value
                } catch {
                    try? await connection.raw("ROLLBACK").run()
                    throw error
                }
            }
        }
        // One span per transaction, waiting for SQLite's single writer included; no statement text or values.
        let system = dialect == .postgres ? "postgresql" : "sqlite"
        return try await Telemetry.span("store.transaction", ofKind: .client) { span in
            span.attributes["db.system"] = system
            if let gate { return try await gate.withLock(work) }
            return try await work()
        }
    }

    public func shutdown() async throws {
        try await closer()
    }

    /// The channel the revocation log's trigger notifies (migration 17).
    static let revocationChannel = "gatehouse_revocations"

    /// PostgreSQL: a connection of its own runs `LISTEN gatehouse_revocations` and yields once per notification,
    /// and once each time it (re)connects (a notification may have been missed while it was down). It reconnects
    /// after a failure, a second apart; the consumer's poll covers the gap. Ends when the stream is dropped.
    public func revocationWakeups() -> AsyncStream<Void>? {
        guard let configuration = listenConfiguration else { return nil }
        let logger = self.logger
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let task = Task {
            while !Task.isCancelled {
                do {
                    let connection = try await PostgresConnectionSource(sqlConfiguration: configuration).makeConnection(
                        logger: logger, on: MultiThreadedEventLoopGroup.singleton.any()
                    ).get()
                    do {
                        try await connection.listen(on: Self.revocationChannel) { notifications in
                            continuation.yield()
                            for try await _ in notifications { continuation.yield() }
                        }
                    } catch {
                        if !Task.isCancelled {
                            logger.warning(
                                "revocation notifications stopped; reconnecting", metadata: ["error": "\(error)"])
                        }
                    }
                    try? await connection.close()
                } catch {
                    if !Task.isCancelled {
                        logger.warning("revocation notifications unavailable; polling", metadata: ["error": "\(error)"])
                    }
                }
                try? await Task.sleep(for: .seconds(1))
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Runs raw SQL for tests and operators' tools (not for domain code).
    public func execute(_ sql: String) async throws {
        let db = database
        if let gate {
            try await gate.withLock { try await db.raw(SQLQueryString(sql)).run() }
        } else {
            try await db.raw(SQLQueryString(sql)).run()
        }
    }

    /// Runs a raw query for tests and operators' tools (not for domain code): each row as its columns' values in
    /// text (text as is, integers in decimal, bytes in base64), joined by `|`.
    public func rawRows(_ sql: String) async throws -> [String] {
        let db = database
        let query: @Sendable () async throws -> [String] = {
            try await db.raw(SQLQueryString(sql)).all().map { row in
                row.allColumns.map { column -> String in
                    if let text = try? row.decode(column: column, as: String.self) { return text }
                    if let number = try? row.decode(column: column, as: Int64.self) { return String(number) }
                    if let bytes = try? row.decode(column: column, as: Data.self) { return bytes.base64EncodedString() }
                    return "?"
                }.joined(separator: "|")
            }
        }
        if let gate { return try await gate.withLock(query) }
        return try await query()
    }

    private func migrate(logger: Logger) async throws {
        let types: Migrations.Types = dialect == .sqlite ? .sqlite : .postgres
        let db = database
        let create: @Sendable () async throws -> Void = {
            try await db.raw(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version \(unsafeRaw: types.int) PRIMARY KEY, applied_at \(unsafeRaw: types.int) NOT NULL)"
            ).run()
        }
        if let gate { try await gate.withLock(create) } else { try await create() }
        for migration in Migrations.all(types) {
            let version = migration.version
            let applied = try await transaction { tx -> Bool in
                guard let session = tx as? SQLSession else { return false }
                if self.dialect == .postgres {
                    // Several hub instances may start at once; one migrates, the others wait.
                    try await session.database.raw("SELECT pg_advisory_xact_lock(7261001)").run()
                }
                let done = try await session.database.raw(
                    "SELECT version FROM schema_migrations WHERE version = \(bind: version)"
                ).first()
                if done != nil { return false }
                for statement in migration.statements {
                    try await session.database.raw(SQLQueryString(statement)).run()
                }
                try await session.database.raw(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (\(bind: version), \(bind: Date().epochSeconds))"
                ).run()
                return true
            }
            if applied { logger.info("applied database migration \(version)") }
        }
    }
}

/// The pool is not marked Sendable by AsyncKit, but it guards all of its state with its own lock and is meant to be
/// shared across event loops; the store only calls `shutdownAsync()` on it once, at the end.
private struct PoolHandle: @unchecked Sendable {
    let pool: EventLoopGroupConnectionPool<PostgresConnectionSource>
}
