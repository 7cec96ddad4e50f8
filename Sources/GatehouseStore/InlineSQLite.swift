import Logging
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit
import Synchronization
import VaporCSQLite

/// One SQLite connection whose statements run on the calling thread, with the prepared statements kept for reuse.
///
/// SQLiteNIO runs each statement on a thread pool and hands the result back through an event loop: three thread
/// switches per statement, about ninety context switches per sign-in, which cost more CPU on two cores than the
/// statements themselves (docs/benchmarks.md, "Sign-ins: thread hand-offs"). A SQLite statement of the hub's takes
/// microseconds, so it runs where it is asked for. The hub's statements already take turns through
/// ``AsyncGate`` (one writer); the mutex here makes the connection safe for anyone else as well.
///
/// What it costs: whatever a statement waits for, it waits on the calling thread (one of Swift's cooperative
/// threads) instead of a pool thread: another process's write lock (`busy_timeout`, 10 s: an operator's tool, or a
/// second hub during a restart), a checkpoint's writes at a commit, a long scan. The gate lets only one task into
/// SQLite at a time, so at most one cooperative thread is held; the others go on serving.
final class InlineSQLite: Sendable {
    /// A statement SQLite refused, with its extended result code.
    struct Failure: Error, CustomStringConvertible {
        let code: Int32
        let message: String

        var description: String { "SQLite error \(code): \(message)" }

        /// SQLITE_CONSTRAINT (19), _PRIMARYKEY (1555) and _UNIQUE (2067): the row exists.
        var isUniqueViolation: Bool { code == 19 || code == 1555 || code == 2067 }
    }

    /// A result's rows: the column names once, then each row's values in column order.
    struct Result: Sendable {
        var columns: [String] = []
        var rows: [[SQLiteData]] = []
    }

    private struct State {
        var handle: OpaquePointer?
        /// Prepared statements by SQL text; emptied when it reaches ``capacity``.
        var statements: [String: OpaquePointer] = [:]
        /// How many times SQLite prepared a kept statement again on its own (after a schema change, or when a new
        /// value was bound to a parameter its query planner had read, such as `LIMIT ?`: the store writes counts
        /// into the SQL text with `\(literal:)` for that reason).
        var reprepares = 0
    }

    /// How many prepared statements are kept, and the longest SQL text kept (a batch insert is prepared, used once
    /// and finalized).
    static let capacity = 256
    static let longestCached = 2_048

    private let state: Mutex<State>
    private static let initialized = Mutex(false)

    /// Opens (creating when missing) the file at `path`, or an in-memory database for `:memory:`.
    init(path: String) throws {
        Self.initialized.withLock { done in
            if !done {
                _ = sqlite_nio_sqlite3_initialize()
                done = true
            }
        }
        var handle: OpaquePointer?
        let flags =
            SQLITE_OPEN_CREATE | SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_URI | SQLITE_OPEN_EXRESCODE
        let opened = sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil)
        guard opened == SQLITE_OK, let handle else {
            let message = handle.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "cannot open"
            if let handle { _ = sqlite_nio_sqlite3_close_v2(handle) }
            throw Failure(code: opened, message: message)
        }
        _ = sqlite_nio_sqlite3_busy_timeout(handle, 10_000)
        state = Mutex(State(handle: handle))
    }

    /// Runs one statement with its values bound, and returns every row it produced.
    func run(_ sql: String, _ binds: [SQLiteData]) throws -> Result {
        try state.withLock { state -> Result in
            guard let handle = state.handle else { throw Failure(code: SQLITE_MISUSE, message: "connection closed") }
            let cached = sql.utf8.count <= Self.longestCached
            let statement: OpaquePointer
            if cached, let kept = state.statements[sql] {
                statement = kept
            } else {
                var prepared: OpaquePointer?
                let flags = cached ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0
                let code = sqlite_nio_sqlite3_prepare_v3(handle, sql, -1, flags, &prepared, nil)
                guard code == SQLITE_OK, let prepared else { throw Self.failure(code, handle) }
                statement = prepared
                if cached {
                    if state.statements.count >= Self.capacity {
                        for kept in state.statements.values { sqlite_nio_sqlite3_finalize(kept) }
                        state.statements.removeAll(keepingCapacity: true)
                    }
                    state.statements[sql] = statement
                }
            }
            defer {
                if cached {
                    sqlite_nio_sqlite3_reset(statement)
                    // The values are let go (a kept statement holds no digest or hash between uses) by binding NULL
                    // one by one: `sqlite3_clear_bindings` would also mark for re-preparation every statement whose
                    // planner looked at a parameter (`chain = ?` does, to tell 0 and 1 from other values), and
                    // binding NULL over a text value does not.
                    for index in 0..<sqlite_nio_sqlite3_bind_parameter_count(statement) {
                        sqlite_nio_sqlite3_bind_null(statement, index + 1)
                    }
                } else {
                    sqlite_nio_sqlite3_finalize(statement)
                }
            }
            try Self.bind(binds, to: statement, handle)
            var result = Result()
            // The columns are read after the first step: a kept statement whose table changed since it was prepared
            // (another hub migrating the file) is prepared again inside that step, and its columns with it.
            var step = sqlite_nio_sqlite3_step(statement)
            let count = sqlite_nio_sqlite3_column_count(statement)
            result.columns.reserveCapacity(Int(count))
            for index in 0..<count {
                result.columns.append(
                    sqlite_nio_sqlite3_column_name(statement, index).map { String(cString: $0) } ?? "")
            }
            while step != SQLITE_DONE {
                guard step == SQLITE_ROW else { throw Self.failure(step, handle) }
                var row: [SQLiteData] = []
                row.reserveCapacity(Int(count))
                for index in 0..<count { row.append(Self.value(statement, index)) }
                result.rows.append(row)
                step = sqlite_nio_sqlite3_step(statement)
            }
            state.reprepares += Int(sqlite_nio_sqlite3_stmt_status(statement, SQLITE_STMTSTATUS_REPREPARE, 1))
            return result
        }
    }

    /// How many times kept statements were prepared again by SQLite itself (see ``State/reprepares``).
    var reprepares: Int { state.withLock { $0.reprepares } }

    /// Finalizes the kept statements and closes the connection; later statements fail.
    func close() {
        state.withLock { state in
            for statement in state.statements.values { sqlite_nio_sqlite3_finalize(statement) }
            state.statements.removeAll()
            if let handle = state.handle { _ = sqlite_nio_sqlite3_close_v2(handle) }
            state.handle = nil
        }
    }

    deinit { close() }

    private static func failure(_ code: Int32, _ handle: OpaquePointer) -> Failure {
        Failure(
            code: sqlite_nio_sqlite3_extended_errcode(handle),
            message: sqlite_nio_sqlite3_errmsg(handle).map { String(cString: $0) } ?? "error \(code)")
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private static func bind(_ binds: [SQLiteData], to statement: OpaquePointer, _ handle: OpaquePointer) throws {
        let parameters = Int(sqlite_nio_sqlite3_bind_parameter_count(statement))
        guard binds.count == parameters else {
            throw Failure(code: SQLITE_RANGE, message: "\(binds.count) values for \(parameters) parameters")
        }
        for (offset, value) in binds.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .integer(let number): code = sqlite_nio_sqlite3_bind_int64(statement, index, Int64(number))
            case .float(let number): code = sqlite_nio_sqlite3_bind_double(statement, index, number)
            case .null: code = sqlite_nio_sqlite3_bind_null(statement, index)
            case .text(let text):
                code = sqlite_nio_sqlite3_bind_text64(
                    statement, index, text, UInt64(text.utf8.count), transient, UInt8(SQLITE_UTF8))
            case .blob(let buffer):
                code = buffer.withUnsafeReadableBytes { bytes in
                    // An empty blob stays an empty blob (a null pointer would bind NULL).
                    guard let base = bytes.baseAddress, !bytes.isEmpty else {
                        return sqlite_nio_sqlite3_bind_zeroblob64(statement, index, 0)
                    }
                    return sqlite_nio_sqlite3_bind_blob64(statement, index, base, UInt64(bytes.count), transient)
                }
            }
            guard code == SQLITE_OK else { throw failure(code, handle) }
        }
    }

    private static func value(_ statement: OpaquePointer, _ index: Int32) -> SQLiteData {
        switch sqlite_nio_sqlite3_column_type(statement, index) {
        case SQLITE_INTEGER: return .integer(Int(sqlite_nio_sqlite3_column_int64(statement, index)))
        case SQLITE_FLOAT: return .float(sqlite_nio_sqlite3_column_double(statement, index))
        case SQLITE_TEXT:
            let pointer = sqlite_nio_sqlite3_column_text(statement, index)
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, index))
            guard let pointer else { return .text("") }
            return .text(String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, index))
            var buffer = ByteBufferAllocator().buffer(capacity: count)
            if let pointer = sqlite_nio_sqlite3_column_blob(statement, index) {
                buffer.writeBytes(UnsafeRawBufferPointer(start: pointer, count: count))
            }
            return .blob(buffer)
        default: return .null
        }
    }
}

/// ``InlineSQLite`` as an SQLKit database: the same SQL, binds and row decoding as SQLiteKit's (its dialect, its
/// `SQLiteDataEncoder` and `SQLiteDataDecoder`), without the hand-offs.
struct InlineSQLiteDatabase: SQLDatabase {
    let connection: InlineSQLite
    let logger: Logger
    let eventLoop: any EventLoop
    var dialect: any SQLDialect { SQLiteDialect() }
    var queryLogLevel: Logger.Level? { nil }
    private let encoder = SQLiteDataEncoder()
    private let decoder = SQLiteDataDecoder()

    init(
        connection: InlineSQLite, logger: Logger, eventLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.any()
    ) {
        self.connection = connection
        self.logger = logger
        self.eventLoop = eventLoop
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        try runNow(query, onRow)
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void)
        -> EventLoopFuture<Void>
    {
        do {
            try runNow(query, onRow)
            return eventLoop.makeSucceededVoidFuture()
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
    }

    private func runNow(_ query: any SQLExpression, _ onRow: (any SQLRow) -> Void) throws {
        let (sql, binds) = serialize(query)
        let values = try binds.map { try encoder.encode($0) }
        let result = try connection.run(sql, values)
        guard !result.rows.isEmpty else { return }
        let columns = InlineSQLiteRow.Columns(result.columns)
        for values in result.rows { onRow(InlineSQLiteRow(columns: columns, values: values, decoder: decoder)) }
    }
}

/// A row of ``InlineSQLiteDatabase``: a column is found by name (the first of that name, as SQLiteNIO does).
struct InlineSQLiteRow: SQLRow {
    final class Columns: Sendable {
        let names: [String]
        init(_ names: [String]) { self.names = names }
    }

    struct MissingColumn: Error, CustomStringConvertible {
        let column: String
        var description: String { "no column \(column) in the row" }
    }

    let columns: Columns
    let values: [SQLiteData]
    let decoder: SQLiteDataDecoder

    var allColumns: [String] { columns.names }

    private func value(_ column: String) -> SQLiteData? {
        columns.names.firstIndex(of: column).map { values[$0] }
    }

    func contains(column: String) -> Bool { columns.names.contains(column) }

    func decodeNil(column: String) throws -> Bool { (value(column) ?? .null) == .null }

    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
        guard let data = value(column) else { throw MissingColumn(column: column) }
        return try decoder.decode(D.self, from: data)
    }
}
