import Foundation
import GatehouseCore
import Logging
import SQLKit
import SQLiteKit

#if canImport(VaporCSQLite)
    import VaporCSQLite
#endif

/// What operators' tools (backup, restore, doctor) need from the store, beside the domain statements.
extension SQLStore {
    /// The newest schema version this build knows.
    public static var latestSchemaVersion: Int {
        Migrations.all(.sqlite).map(\.version).max() ?? 0
    }

    /// The schema versions applied to this database, in order.
    public func appliedSchemaVersions() async throws -> [Int] {
        let session = SQLSession(database: database, dialect: dialect, gate: gateForOperations)
        return try await session.all("SELECT version FROM schema_migrations ORDER BY version").map {
            Int(try $0.int("version"))
        }
    }

    /// A number from an operator's query whose one column is named `n` (e.g. `SELECT count(*) AS n FROM ...`).
    public func number(_ sql: String) async throws -> Int {
        let session = SQLSession(database: database, dialect: dialect, gate: gateForOperations)
        return Int(try await session.first(SQLQueryString(sql))?.int("n") ?? 0)
    }

    /// A fact about this database (`hub_facts`), or nil.
    public func fact(_ name: String) async throws -> String? {
        let session = SQLSession(database: database, dialect: dialect, gate: gateForOperations)
        let row = try await session.first("SELECT value FROM hub_facts WHERE name = \(bind: name)")
        return try row?.string("value")
    }

    /// Records a fact unless one of that name exists; returns the value in force.
    @discardableResult
    public func recordFactIfMissing(_ name: String, value: String) async throws -> String {
        let session = SQLSession(database: database, dialect: dialect, gate: gateForOperations)
        try await session.exec(
            "INSERT INTO hub_facts (name, value) VALUES (\(bind: name), \(bind: value)) ON CONFLICT (name) DO NOTHING")
        return try await fact(name) ?? value
    }

    /// A few sealed values (two-factor seeds, sealed mail bodies) and the owners they are bound to.
    public func sealedSamples(limit: Int = 5) async throws -> [KeyringCheck.SealedSample] {
        let session = SQLSession(database: database, dialect: dialect, gate: gateForOperations)
        var samples: [KeyringCheck.SealedSample] = []
        for row in try await session.all(
            "SELECT account_id, sealed_secret FROM totp ORDER BY account_id LIMIT \(literal: limit)")
        {
            samples.append(
                KeyringCheck.SealedSample(
                    sealed: try row.string("sealed_secret"), owner: try row.string("account_id"),
                    what: "a two-factor secret"))
        }
        let prefix = MailComposer.sealedPrefix
        for row in try await session.all(
            "SELECT id, text_body FROM outbox WHERE text_body LIKE \(bind: prefix + "%") ORDER BY created_at DESC LIMIT \(literal: limit)"
        ) {
            samples.append(
                KeyringCheck.SealedSample(
                    sealed: String(try row.string("text_body").dropFirst(prefix.count)),
                    owner: "mail:" + (try row.string("id")), what: "a sealed mail body"))
        }
        return samples
    }

    /// Compares `keyring` with this database (see ``KeyringCheck``).
    public func keyringVerdict(_ keyring: Keyring) async throws -> KeyringCheck.Verdict {
        KeyringCheck.evaluate(
            keyring: keyring, stored: try await fact(KeyringCheck.factName), samples: try await sealedSamples())
    }

    /// At start: compares the keyring with the database and, when nothing contradicts it, records its check value
    /// (so later starts, restores and `gatehouse doctor` can tell a wrong keyring at once).
    public func checkKeyring(_ keyring: Keyring) async throws -> KeyringCheck.Verdict {
        let verdict = try await keyringVerdict(keyring)
        if verdict.isMismatch { return verdict }
        let stored = try await recordFactIfMissing(KeyringCheck.factName, value: KeyringCheck.value(for: keyring))
        return KeyringCheck.evaluate(keyring: keyring, stored: stored, samples: [])
    }

    private var gateForOperations: AsyncGate? { gateIfAny }

    public enum BackupError: Swift.Error, CustomStringConvertible {
        case missing(String)
        case failed(String)

        public var description: String {
            switch self {
            case .missing(let path): "no SQLite database at \(path)"
            case .failed(let reason): "backup failed: \(reason)"
            }
        }
    }

    /// How ``backupSQLite(from:to:)`` copies.
    public static var sqliteBackupMethod: String {
        #if canImport(VaporCSQLite)
            "SQLite's online backup API (sqlite3_backup_*)"
        #else
            "VACUUM INTO"
        #endif
    }

    /// A consistent copy of the SQLite database at `source`, taken while a hub may be writing to it: the online
    /// backup API copies every page inside one read transaction (WAL readers never block the hub's writer).
    /// `destination` must not exist; it is created with mode 0600.
    public static func backupSQLite(from source: String, to destination: String) throws {
        guard FileManager.default.fileExists(atPath: source) else { throw BackupError.missing(source) }
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw BackupError.failed("\(destination) exists; choose a new file")
        }
        guard FileManager.default.createFile(atPath: destination, contents: nil, attributes: [.posixPermissions: 0o600])
        else { throw BackupError.failed("cannot create \(destination)") }
        do {
            #if canImport(VaporCSQLite)
                try copyWithBackupAPI(from: source, to: destination)
            #else
                throw BackupError.failed("the SQLite C API is not available in this build")
            #endif
        } catch {
            try? FileManager.default.removeItem(atPath: destination)
            throw error
        }
    }

    #if canImport(VaporCSQLite)
        private static func copyWithBackupAPI(from source: String, to destination: String) throws {
            var from: OpaquePointer?
            var to: OpaquePointer?
            defer {
                if let from { _ = sqlite_nio_sqlite3_close_v2(from) }
                if let to { _ = sqlite_nio_sqlite3_close_v2(to) }
            }
            // Read-write (not read-only) so that the source's WAL can be read even when no hub has it open.
            guard sqlite_nio_sqlite3_open_v2(source, &from, SQLITE_OPEN_READWRITE, nil) == SQLITE_OK, let from else {
                throw BackupError.failed("cannot open \(source)")
            }
            _ = sqlite_nio_sqlite3_busy_timeout(from, 10_000)
            guard
                sqlite_nio_sqlite3_open_v2(destination, &to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nil)
                    == SQLITE_OK,
                let to
            else { throw BackupError.failed("cannot open \(destination)") }
            guard let backup = sqlite_nio_sqlite3_backup_init(to, "main", from, "main") else {
                throw BackupError.failed(String(cString: sqlite_nio_sqlite3_errmsg(to)))
            }
            // -1: every page in one step, inside one read transaction on the source: a consistent snapshot.
            var result = sqlite_nio_sqlite3_backup_step(backup, -1)
            var tries = 0
            while result == SQLITE_BUSY || result == SQLITE_LOCKED, tries < 100 {
                tries += 1
                usleep(100_000)
                result = sqlite_nio_sqlite3_backup_step(backup, -1)
            }
            let finished = sqlite_nio_sqlite3_backup_finish(backup)
            guard result == SQLITE_DONE, finished == SQLITE_OK else {
                throw BackupError.failed(String(cString: sqlite_nio_sqlite3_errmsg(to)))
            }
        }
    #endif
}

/// An advisory lock (flock) beside a SQLite database: every hub and operator command holds it shared while the
/// database is open; `gatehouse restore` takes it exclusively, so it never replaces a file in use, and nothing
/// opens the file while a restore replaces it. The kernel drops the lock when the process ends, however it ends.
public final class DatabaseLock: Sendable {
    public enum Error: Swift.Error, CustomStringConvertible {
        case busy(path: String, exclusive: Bool)
        case cannotOpen(path: String)

        public var description: String {
            switch self {
            case .busy(let path, true):
                "the database is in use (a running hub or operator command holds \(path)); stop the hub first"
            case .busy(let path, false):
                "the database is being restored (\(path) is held by gatehouse restore); try again when it is done"
            case .cannotOpen(let path): "cannot open the lock file \(path)"
            }
        }
    }

    private let descriptor: Int32
    public let path: String

    /// The lock file of the database at `databasePath`.
    public static func path(forDatabase databasePath: String) -> String { databasePath + ".lock" }

    /// Takes the lock without waiting, or throws ``Error/busy(path:exclusive:)``.
    public init(databasePath: String, exclusive: Bool) throws {
        let path = Self.path(forDatabase: databasePath)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Error.cannotOpen(path: path) }
        if flock(descriptor, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0 {
            close(descriptor)
            throw Error.busy(path: path, exclusive: exclusive)
        }
        self.descriptor = descriptor
        self.path = path
    }

    deinit {
        close(descriptor)
    }

    /// The SQLite path of a `sqlite:PATH` URL (nil for PostgreSQL and in-memory databases).
    public static func sqlitePath(ofURL url: String) -> String? {
        guard url.hasPrefix("sqlite:") else { return nil }
        let path = String(url.dropFirst("sqlite:".count))
        return path == ":memory:" ? nil : path
    }
}

/// What a SQLite file holds, read without changing it (for backups and restores).
public struct SQLiteInspection: Sendable {
    /// "ok", or what `PRAGMA quick_check` found.
    public let integrity: String
    public let schemaVersions: [Int]
    public let keyringCheck: String?
    public let accounts: Int
}

extension SQLStore {
    /// Opens the SQLite file at `path` (which must exist) and reads its integrity, schema versions and keyring check.
    public static func inspectSQLite(path: String, logger: Logger) async throws -> SQLiteInspection {
        guard FileManager.default.fileExists(atPath: path) else { throw BackupError.missing(path) }
        let connection = try InlineSQLite(path: path)
        defer { connection.close() }
        let db = InlineSQLiteDatabase(connection: connection, logger: logger)
        let integrity = try await db.raw("PRAGMA quick_check").all().compactMap {
            try? $0.decode(column: "quick_check", as: String.self)
        }.joined(separator: "; ")
        let hasMigrations =
            try await db.raw(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
            ).first() != nil
        var versions: [Int] = []
        var check: String?
        var accounts = 0
        if hasMigrations {
            versions = try await db.raw("SELECT version FROM schema_migrations ORDER BY version").all().map {
                try $0.decode(column: "version", as: Int.self)
            }
            if try await db.raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'hub_facts'")
                .first()
                != nil
            {
                check = try await db.raw(
                    "SELECT value FROM hub_facts WHERE name = \(bind: KeyringCheck.factName)"
                ).first()?.decode(column: "value", as: String.self)
            }
            if try await db.raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'accounts'").first()
                != nil
            {
                accounts =
                    try await db.raw("SELECT count(*) AS n FROM accounts").first()?.decode(
                        column: "n", as: Int.self) ?? 0
            }
        }
        return SQLiteInspection(
            integrity: integrity.isEmpty ? "unknown" : integrity, schemaVersions: versions, keyringCheck: check,
            accounts: accounts)
    }
}
