import ArgumentParser
import Foundation
import GatehouseCore
import GatehouseHub
import GatehouseStore
import Logging

/// Reads a passphrase from `--passphrase-file` (its first line) or the terminal / standard input; never from the
/// command line. `confirm` asks twice on a terminal.
func readPassphrase(file: String?, confirm: Bool) throws -> String {
    if let file {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw CommandFailure("cannot read the passphrase file \(file)")
        }
        let text = String(decoding: data, as: UTF8.self)
        return String(text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
            .trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
    }
    let passphrase = readSecret(prompt: "Passphrase for the keyring export: ")
    if confirm && isatty(STDIN_FILENO) == 1 {
        guard readSecret(prompt: "Again: ") == passphrase else { throw CommandFailure("the passphrases differ") }
    }
    return passphrase
}

/// Writes `data` to a new file with mode 0600 (refusing to overwrite one).
func writePrivateFile(_ data: Data, to path: String) throws {
    guard !FileManager.default.fileExists(atPath: path) else {
        throw CommandFailure("\(path) exists; choose a new file")
    }
    guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600]) else {
        throw CommandFailure("cannot write \(path)")
    }
}

/// A timestamp for files set aside by a restore.
func restoreStamp() -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "yyyyMMdd-HHmmss"
    return formatter.string(from: Date())
}

struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "A consistent copy of the hub's database, taken while the hub runs. It never holds the keyring.",
        discussion: """
            SQLite: SQLite's online backup API copies every page inside one read transaction, so the copy is \
            consistent while the hub keeps writing. PostgreSQL: runs pg_dump (custom format; the password goes to \
            it through the environment, never its command line) and checks the dump's schema version. Keep the \
            keyring apart: gatehouse keys export --to FILE.
            """)

    @OptionGroup var hub: HubOptions

    @Option(help: "The backup file to write (must not exist; written with mode 0600).")
    var to: String

    func run() async throws {
        let settings = try await hub.settings()
        let configuration = try HubOptions.configuration(from: settings)
        let url = configuration.resolvedDatabaseURL
        let logger = try HubOptions.makeLogger(settings: settings, quiet: true)
        if let path = DatabaseLock.sqlitePath(ofURL: url) {
            do {
                try SQLStore.backupSQLite(from: path, to: to)
            } catch {
                throw CommandFailure("\(error)")
            }
            let inspection = try await SQLStore.inspectSQLite(path: to, logger: logger)
            guard inspection.integrity == "ok", let version = inspection.schemaVersions.last else {
                try? FileManager.default.removeItem(atPath: to)
                throw CommandFailure("the copy does not check out (\(inspection.integrity)); nothing was kept")
            }
            print("backed up \(path) to \(to) with \(SQLStore.sqliteBackupMethod)")
            print("schema version \(version), \(inspection.accounts) accounts, integrity ok")
            print(
                inspection.keyringCheck == nil
                    ? "the database records no keyring check yet (start the hub once to record it)"
                    : "the keyring is not in the backup: keep it apart with gatehouse keys export --to FILE")
        } else {
            let tools = try PostgresTools(url: url)
            let live = try tools.query("SELECT coalesce(max(version), 0) FROM schema_migrations").first.flatMap {
                Int($0.trimmingCharacters(in: .whitespaces))
            }
            guard !FileManager.default.fileExists(atPath: to) else {
                throw CommandFailure("\(to) exists; choose a new file")
            }
            guard FileManager.default.createFile(atPath: to, contents: nil, attributes: [.posixPermissions: 0o600])
            else {
                throw CommandFailure("cannot write \(to)")
            }
            do {
                try tools.run("pg_dump", ["--format=custom", "--no-owner", "--no-privileges", "--file=\(to)"])
                let dump = try PostgresDump.read(path: to, tools: tools)
                guard let version = dump.schemaVersions.last, version == live else {
                    throw CommandFailure(
                        "the dump's schema version (\(dump.schemaVersions.last.map(String.init) ?? "none")) is not the "
                            + "database's (\(live.map(String.init) ?? "unknown"))")
                }
                print("backed up PostgreSQL database \(tools.database) to \(to) with pg_dump (custom format)")
                print("schema version \(version), \(dump.tableCount) tables in the archive, checked with pg_restore")
                print("the keyring is not in the backup: keep it apart with gatehouse keys export --to FILE")
            } catch {
                try? FileManager.default.removeItem(atPath: to)
                throw CommandFailure("\(error)")
            }
        }
    }
}

/// What a pg_dump archive holds, read with pg_restore (without touching any database).
struct PostgresDump {
    let schemaVersions: [Int]
    let keyringCheck: String?
    let samples: [KeyringCheck.SealedSample]
    let tableCount: Int

    static func read(path: String, tools: PostgresTools) throws -> PostgresDump {
        let list = try tools.run("pg_restore", ["--list", path])
        let tables = list.split(separator: "\n").filter { $0.contains(" TABLE DATA ") }.count
        let script = try tools.run(
            "pg_restore",
            ["--file=-", "--data-only", "--table=schema_migrations", "--table=hub_facts", "--table=totp", path])
        let versions = PostgresTools.copyRows(in: script, table: "schema_migrations").compactMap { row in
            (row["version"] ?? nil).flatMap { Int($0) }
        }.sorted()
        let check = PostgresTools.copyRows(in: script, table: "hub_facts").first {
            ($0["name"] ?? nil) == KeyringCheck.factName
        }
        .flatMap { $0["value"] ?? nil }
        let samples = PostgresTools.copyRows(in: script, table: "totp").prefix(5).compactMap {
            row -> KeyringCheck.SealedSample? in
            guard let sealed = row["sealed_secret"] ?? nil, let owner = row["account_id"] ?? nil else { return nil }
            return KeyringCheck.SealedSample(sealed: sealed, owner: owner, what: "a two-factor secret")
        }
        return PostgresDump(schemaVersions: versions, keyringCheck: check, samples: Array(samples), tableCount: tables)
    }
}

struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Replace the hub's database (and keyring) from a backup, after checking both.",
        discussion: """
            Checks before replacing anything: the backup opens and its schema version is one this build knows; the \
            keyring export opens with the passphrase; the keyring is the one the backup was written with (the \
            database's keyring check, or its sealed values, verify under it); and no hub or operator command has \
            the database open. The replaced database and keyring are set aside beside them (.before-restore-TIME). \
            Stop the hub first.
            """)

    @OptionGroup var hub: HubOptions

    @Option(help: "The backup made by gatehouse backup.")
    var from: String

    @Option(help: "The keyring export made by gatehouse keys export.")
    var keys: String?

    @Option(help: "Read the passphrase from this file's first line (otherwise the terminal or standard input).")
    var passphraseFile: String?

    @Flag(help: "Restore the database alone, keeping the keyring in place: nothing made before will verify.")
    var withoutKeyring = false

    func run() async throws {
        let settings = try await hub.settings()
        let configuration = try HubOptions.configuration(from: settings)
        let url = configuration.resolvedDatabaseURL
        let keyringPath = configuration.resolvedKeyringPath
        let logger = try HubOptions.makeLogger(settings: settings, quiet: true)
        guard FileManager.default.fileExists(atPath: from) else { throw CommandFailure("no backup at \(from)") }
        guard keys != nil || withoutKeyring else {
            throw CommandFailure(
                "give the keyring export with --keys FILE (or --without-keyring, after which nothing made before "
                    + "verifies: every person must reset their password)")
        }
        // 1. The keyring export opens (before any work on the database).
        var keyring: Keyring?
        if let keys {
            guard let data = FileManager.default.contents(atPath: keys) else {
                throw CommandFailure("cannot read the keyring export \(keys)")
            }
            do {
                let export = try KeyringExport.parse(data)
                keyring = try export.open(passphrase: try readPassphrase(file: passphraseFile, confirm: false))
            } catch let error as KeyringExport.Error {
                throw CommandFailure("\(error); nothing was replaced")
            }
            print("check: the keyring export opens")
        }
        if let path = DatabaseLock.sqlitePath(ofURL: url) {
            try await restoreSQLite(target: path, keyring: keyring, keyringPath: keyringPath, logger: logger)
        } else {
            try restorePostgres(url: url, keyring: keyring, keyringPath: keyringPath)
        }
    }

    private func checkVersions(_ versions: [Int]) throws -> Int {
        guard let version = versions.last else {
            throw CommandFailure(
                "the backup has no schema version: it is not a Gatehouse database; nothing was replaced")
        }
        guard version <= SQLStore.latestSchemaVersion else {
            throw CommandFailure(
                "the backup's schema version \(version) is newer than this build knows (\(SQLStore.latestSchemaVersion)): "
                    + "restore it with the version of gatehouse that made it; nothing was replaced")
        }
        print("check: the backup opens, schema version \(version) (this build: \(SQLStore.latestSchemaVersion))")
        return version
    }

    private func checkMatch(_ verdict: KeyringCheck.Verdict) throws {
        switch verdict {
        case .matches(let evidence): print("check: the keyring matches the backup (\(evidence))")
        case .unknown: print("check: nothing in the backup depends on a keyring yet")
        case .mismatch:
            throw CommandFailure("\(verdict); this is not the keyring of this backup, nothing was replaced")
        }
    }

    private func restoreSQLite(target: String, keyring: Keyring?, keyringPath: String, logger: Logger) async throws {
        let inspection = try await SQLStore.inspectSQLite(path: from, logger: logger)
        guard inspection.integrity == "ok" else {
            throw CommandFailure("the backup is damaged (\(inspection.integrity)); nothing was replaced")
        }
        _ = try checkVersions(inspection.schemaVersions)
        // Stage a copy beside the target (same file system, so the final move is a rename), and bring it to this
        // build's schema there: the backup file itself is never changed.
        let folder = (target as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(
            atPath: folder.isEmpty ? "." : folder, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        let staging = target + ".restoring-\(SecureRandom.identifier())"
        // With --without-keyring: how the keyring already in place compares with the backup.
        var keptKeyringVerdict: KeyringCheck.Verdict?
        func discardStaging() {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: staging + suffix) }
        }
        do {
            try SQLStore.backupSQLite(from: from, to: staging)
            let store = try await SQLStore.open(url: "sqlite:" + staging, logger: logger)
            var verdict: KeyringCheck.Verdict?
            do {
                if let keyring {
                    verdict = try await store.keyringVerdict(keyring)
                } else if let current = try? Keyring.load(from: keyringPath) {
                    keptKeyringVerdict = try await store.keyringVerdict(current)
                }
            } catch {
                try? await store.shutdown()
                throw error
            }
            try? await store.shutdown()
            if let verdict { try checkMatch(verdict) }
        } catch {
            discardStaging()
            throw error
        }
        // 2. Nobody has the database open; held until the swap is done, so no hub can open it halfway.
        let lock: DatabaseLock
        do {
            lock = try DatabaseLock(databasePath: target, exclusive: true)
        } catch {
            discardStaging()
            throw CommandFailure("\(error); nothing was replaced")
        }
        let stamp = restoreStamp()
        let manager = FileManager.default
        if manager.fileExists(atPath: target) {
            try manager.moveItem(atPath: target, toPath: target + ".before-restore-\(stamp)")
            for suffix in ["-wal", "-shm"] where manager.fileExists(atPath: target + suffix) {
                try manager.moveItem(atPath: target + suffix, toPath: target + ".before-restore-\(stamp)" + suffix)
            }
        }
        for suffix in ["-wal", "-shm"] { try? manager.removeItem(atPath: staging + suffix) }
        try manager.moveItem(atPath: staging, toPath: target)
        chmod(target, 0o600)
        print("restored the database to \(target)")
        try installKeyring(keyring, at: keyringPath, stamp: stamp, kept: keptKeyringVerdict)
        withExtendedLifetime(lock) {}
    }

    private func restorePostgres(url: String, keyring: Keyring?, keyringPath: String) throws {
        let tools = try PostgresTools(url: url)
        let dump: PostgresDump
        do {
            dump = try PostgresDump.read(path: from, tools: tools)
        } catch {
            throw CommandFailure("the backup does not open with pg_restore (\(error)); nothing was replaced")
        }
        _ = try checkVersions(dump.schemaVersions)
        var keptKeyringVerdict: KeyringCheck.Verdict?
        if let keyring {
            try checkMatch(KeyringCheck.evaluate(keyring: keyring, stored: dump.keyringCheck, samples: dump.samples))
        } else if let current = try? Keyring.load(from: keyringPath) {
            keptKeyringVerdict = KeyringCheck.evaluate(
                keyring: current, stored: dump.keyringCheck, samples: dump.samples)
        }
        let others = try tools.query(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        guard let count = others.first.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }), count == 0 else {
            throw CommandFailure(
                "the database \(tools.database) is in use (\(others.first ?? "?") other connections): stop every hub "
                    + "and operator command first; nothing was replaced")
        }
        // One transaction: the database is either wholly replaced or left as it was.
        try tools.run(
            "pg_restore",
            [
                "--clean", "--if-exists", "--single-transaction", "--no-owner", "--no-privileges", "--exit-on-error",
                "--dbname=\(tools.database)", from,
            ])
        print("restored PostgreSQL database \(tools.database) from \(from)")
        try installKeyring(keyring, at: keyringPath, stamp: restoreStamp(), kept: keptKeyringVerdict)
    }

    private func installKeyring(_ keyring: Keyring?, at path: String, stamp: String, kept: KeyringCheck.Verdict?) throws
    {
        guard let keyring else {
            if let kept, kept.isMatch {
                print("restored without --keys: the keyring already at \(path) matches this database, and stays")
                return
            }
            print(
                "WARNING: restored WITHOUT the keyring. The keyring at \(path) (or a new one) does not match this "
                    + "database: no password, device, two-factor secret, recovery code or mailed link made before will "
                    + "verify. The hub says so at every start until the right keyring is restored (gatehouse keys "
                    + "import), and gatehouse doctor reports it.")
            return
        }
        let manager = FileManager.default
        if manager.fileExists(atPath: path) {
            if let current = try? Keyring.load(from: path), current == keyring {
                print("the keyring at \(path) is already this one")
                return
            }
            try manager.moveItem(atPath: path, toPath: path + ".before-restore-\(stamp)")
        }
        try keyring.save(to: path)
        print("restored the keyring to \(path) (mode 0600)")
    }
}

extension KeysCommand {
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Write the keyring sealed under a passphrase (Argon2id, then AES-256-GCM), to keep apart from backups.")
        @OptionGroup var hub: HubOptions
        @Option(help: "The file to write (must not exist; mode 0600).") var to: String
        @Option(help: "Read the passphrase from this file's first line (otherwise the terminal or standard input).")
        var passphraseFile: String?

        func run() async throws {
            let ring = try await Keyring.load(from: hub.configuration().resolvedKeyringPath)
            let passphrase = try readPassphrase(file: passphraseFile, confirm: true)
            guard passphrase.unicodeScalars.count >= 12 else {
                throw CommandFailure("the passphrase needs at least 12 characters")
            }
            let export = try KeyringExport.seal(ring, passphrase: passphrase)
            try writePrivateFile(try export.encoded(), to: to)
            print(
                "wrote the keyring sealed under the passphrase to \(to) (Argon2id m=\(export.kdf.memoryKiB) "
                    + "t=\(export.kdf.iterations), AES-256-GCM); keep it apart from the database's backups")
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Install a keyring from an export (gatehouse keys export); the current one is set aside.")
        @OptionGroup var hub: HubOptions
        @Option(help: "The keyring export.") var from: String
        @Option(help: "Read the passphrase from this file's first line (otherwise the terminal or standard input).")
        var passphraseFile: String?

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: from) else {
                throw CommandFailure("cannot read \(from)")
            }
            let ring: Keyring
            do {
                ring = try KeyringExport.parse(data).open(
                    passphrase: try readPassphrase(file: passphraseFile, confirm: false))
            } catch let error as KeyringExport.Error {
                throw CommandFailure("\(error)")
            }
            let path = try await hub.configuration().resolvedKeyringPath
            if FileManager.default.fileExists(atPath: path) {
                let aside = path + ".before-import-\(restoreStamp())"
                try FileManager.default.moveItem(atPath: path, toPath: aside)
                print("set the old keyring aside at \(aside)")
            }
            try ring.save(to: path)
            print("installed the keyring at \(path) (mode 0600); restart the hub")
        }
    }
}

/// A failure an operator command reports as one line (`Error: ...`, exit 1), without the usage text that
/// ArgumentParser adds to a `ValidationError`.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
