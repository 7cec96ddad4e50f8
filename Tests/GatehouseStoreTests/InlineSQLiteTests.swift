import Foundation
import GatehouseCore
import Logging
import SQLKit
import SQLiteKit
import Testing

@testable import GatehouseStore

/// The SQLite connection the hub's statements run on (no thread pool): values, kept statements, errors, concurrency.
@Suite("SQLite on the calling thread")
struct InlineSQLiteTests {
    private static func withDatabase(_ body: (InlineSQLite, InlineSQLiteDatabase, String) async throws -> Void)
        async throws
    {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gh-inline-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("db.sqlite").path
        let connection = try InlineSQLite(path: path)
        defer { connection.close() }
        _ = try connection.run("PRAGMA journal_mode = WAL", [])
        try await body(connection, InlineSQLiteDatabase(connection: connection, logger: Logger(label: "test")), path)
    }

    @Test("every kind of value comes back as it went in; an empty blob stays a blob, not NULL")
    func values() async throws {
        try await Self.withDatabase { _, db, _ in
            try await db.raw("CREATE TABLE v (i INTEGER, f REAL, t TEXT, b BLOB, n TEXT)").run()
            let text = "Zoë 🎬 a\u{0}b"
            let bytes = Data([0, 1, 2, 255])
            try await db.raw(
                "INSERT INTO v VALUES (\(bind: Int64.min), \(bind: 0.25), \(bind: text), \(bind: bytes), \(bind: String?.none))"
            ).run()
            try await db.raw("INSERT INTO v (i, t, b) VALUES (1, \(bind: ""), \(bind: Data()))").run()
            let rows = try await db.raw("SELECT i, f, t, b, n, typeof(b) AS kind FROM v ORDER BY rowid").all()
            #expect(rows.count == 2)
            #expect(try rows[0].decode(column: "i", as: Int64.self) == Int64.min)
            #expect(try rows[0].decode(column: "f", as: Double.self) == 0.25)
            #expect(try rows[0].decode(column: "t", as: String.self) == text)
            #expect(try rows[0].decode(column: "b", as: Data.self) == bytes)
            #expect(try rows[0].decodeNil(column: "n"))
            #expect(try rows[0].decode(column: "n", as: String?.self) == nil)
            #expect(try rows[1].decode(column: "t", as: String.self) == "")
            #expect(try rows[1].decode(column: "kind", as: String.self) == "blob")
            #expect(try rows[1].decode(column: "b", as: Data.self) == Data())
            #expect(rows[0].allColumns == ["i", "f", "t", "b", "n", "kind"])
            #expect(!rows[0].contains(column: "missing"))
            #expect(throws: InlineSQLiteRow.MissingColumn.self) { try rows[0].decode(column: "missing", as: Int.self) }
        }
    }

    @Test("a kept statement is reset after each use, so it holds no read snapshot that blocks a checkpoint")
    func keptStatementsAreReset() async throws {
        try await Self.withDatabase { connection, db, path in
            try await db.raw("CREATE TABLE t (x INTEGER)").run()
            for x in 0..<50 { try await db.raw("INSERT INTO t VALUES (\(bind: x))").run() }
            for _ in 0..<3 {
                let first = try await db.raw("SELECT x FROM t ORDER BY x").first()
                #expect(try first?.decode(column: "x", as: Int.self) == 0)
            }
            // Another connection can truncate the WAL: nothing of the first one is still reading.
            let other = try InlineSQLite(path: path)
            defer { other.close() }
            let checkpoint = try other.run("PRAGMA wal_checkpoint(TRUNCATE)", [])
            #expect(checkpoint.rows.first?.first == .integer(0))
            // More distinct statements than are kept: the cache empties itself and every answer stays right.
            for x in 0..<(InlineSQLite.capacity + 20) {
                let row = try connection.run("SELECT \(x) + ? AS n", [.integer(1)])
                #expect(row.rows == [[.integer(x + 1)]])
            }
            let count = try await db.raw("SELECT count(*) AS n FROM t").first()
            #expect(try count?.decode(column: "n", as: Int.self) == 50)
        }
    }

    @Test("a kept SELECT * sees a table another connection rebuilt: the columns are the new table's, in its order")
    func keptStatementAfterSchemaChange() async throws {
        try await Self.withDatabase { _, db, path in
            try await db.raw("CREATE TABLE t (a INTEGER, b INTEGER)").run()
            try await db.raw("INSERT INTO t VALUES (1, 2)").run()
            let before = try await db.raw("SELECT * FROM t").first()
            #expect(before?.allColumns == ["a", "b"])
            let other = try InlineSQLite(path: path)
            defer { other.close() }
            for statement in [
                "DROP TABLE t", "CREATE TABLE t (c TEXT, b INTEGER, a INTEGER)", "INSERT INTO t VALUES ('x', 2, 1)",
            ] {
                _ = try other.run(statement, [])
            }
            let after = try await db.raw("SELECT * FROM t").first()
            #expect(after?.allColumns == ["c", "b", "a"])
            #expect(try after?.decode(column: "a", as: Int.self) == 1)
            #expect(try after?.decode(column: "b", as: Int.self) == 2)
            #expect(try after?.decode(column: "c", as: String.self) == "x")
        }
    }

    @Test("a kept statement runs again without being prepared again, unless a bound LIMIT makes SQLite re-plan it")
    func noRepreparation() async throws {
        try await Self.withDatabase { connection, db, _ in
            try await db.raw("CREATE TABLE t (x INTEGER)").run()
            for x in 0..<10 { try await db.raw("INSERT INTO t VALUES (\(bind: x))").run() }
            let start = connection.reprepares
            for limit in [1, 2, 3, 3] {
                let rows = try await db.raw("SELECT x FROM t WHERE x >= \(bind: 0) ORDER BY x LIMIT \(literal: limit)")
                    .all()
                #expect(rows.count == limit)
            }
            #expect(connection.reprepares == start)
            // The reason the store writes its counts into the text: SQLite re-prepares a statement each time a new
            // value is bound to a LIMIT parameter (its planner read the value), the first run included.
            for limit in [1, 2, 3] {
                let rows = try await db.raw("SELECT x FROM t ORDER BY x LIMIT \(bind: limit)").all()
                #expect(rows.count == limit)
            }
            #expect(connection.reprepares == start + 3)
        }
    }

    @Test("the store's hot statements (audit entries, outbox claims, the revocation log) are prepared once")
    func storeStatementsArePreparedOnce() async throws {
        try await withStore(.sqlite) { store in
            let connection = try #require((store.database as? InlineSQLiteDatabase)?.connection)
            let now = Date(epochSeconds: 1_800_000_000)
            func round(_ index: Int) async throws {
                try await store.transaction { tx in
                    try await tx.appendAudit(
                        AuditRecord(accountID: "a1", kind: .signIn, ipAddress: "192.0.2.\(index)"), at: now)
                    try await tx.enqueueMail(
                        OutboxMessage(
                            id: "m\(index)", recipient: "a@example.com", subject: "s", textBody: "t", htmlBody: "h",
                            kind: "k", createdAt: now, nextAttemptAt: now))
                }
                let claimed = try await store.autocommit.claimDueMail(
                    now: now, limit: 50, claimant: "me", until: now.addingTimeInterval(60))
                #expect(claimed.map(\.id) == ["m\(index)"])
                try await store.autocommit.markMailSent(id: "m\(index)", at: now)
                _ = try await store.autocommit.revocations(after: 0, limit: 100)
                _ = try await store.autocommit.auditEvents(chain: "a1", limit: 2)
            }
            try await round(0)
            let warm = connection.reprepares
            for index in 1...5 { try await round(index) }
            #expect(connection.reprepares == warm)
        }
    }

    @Test("a refused statement says why, a duplicate row is told as such, and the connection goes on")
    func errors() async throws {
        try await Self.withDatabase { connection, db, _ in
            try await db.raw("CREATE TABLE u (name TEXT PRIMARY KEY, other TEXT UNIQUE)").run()
            try await db.raw("INSERT INTO u VALUES ('a', 'x')").run()
            for statement in ["INSERT INTO u VALUES ('a', 'y')", "INSERT INTO u VALUES ('b', 'x')"] {
                do {
                    try await db.raw(SQLQueryString(statement)).run()
                    Issue.record("a duplicate was accepted: \(statement)")
                } catch {
                    #expect(SQLSession.isUniqueViolation(error), "\(error)")
                }
            }
            do {
                try await db.raw("SELEC nonsense").run()
                Issue.record("a syntax error was accepted")
            } catch let failure as InlineSQLite.Failure {
                #expect(failure.message.contains("syntax error"))
                #expect(!failure.isUniqueViolation)
            }
            // Fewer values than parameters is refused, not run with NULL (or the previous run's values) in the rest.
            #expect(throws: InlineSQLite.Failure.self) { try connection.run("SELECT ?1 + ?2 AS n", [.integer(1)]) }
            let count = try await db.raw("SELECT count(*) AS n FROM u").first()
            #expect(try count?.decode(column: "n", as: Int.self) == 1)
        }
    }

    @Test("hundreds of tasks at once on one connection: every statement runs whole, none is lost")
    func concurrency() async throws {
        try await Self.withDatabase { _, db, _ in
            try await db.raw("CREATE TABLE c (x INTEGER)").run()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for x in 0..<400 {
                    group.addTask {
                        try await db.raw("INSERT INTO c VALUES (\(bind: x))").run()
                        _ = try await db.raw("SELECT x FROM c WHERE x = \(bind: x)").all()
                    }
                }
                try await group.waitForAll()
            }
            let row = try await db.raw("SELECT count(*) AS n, sum(x) AS s FROM c").first()
            #expect(try row?.decode(column: "n", as: Int.self) == 400)
            #expect(try row?.decode(column: "s", as: Int.self) == 399 * 400 / 2)
        }
    }

    @Test("a closed connection refuses statements instead of touching freed memory")
    func closed() async throws {
        try await Self.withDatabase { connection, db, _ in
            connection.close()
            await #expect(throws: InlineSQLite.Failure.self) { try await db.raw("SELECT 1").run() }
        }
    }
}
