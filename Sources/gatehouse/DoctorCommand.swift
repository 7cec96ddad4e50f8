import Argon2
import ArgumentParser
import AsyncHTTPClient
import Foundation
import GatehouseCore
import GatehouseHub
import GatehouseReleases
import GatehouseSettings
import GatehouseStore
import Logging
import NIOCore

/// `gatehouse doctor`: is this hub ready to face the Internet? A table of checks; non-zero exit on anything critical.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the hub's setup: prints check, status, why and how to fix; exits 1 on anything critical.",
        discussion: """
            Takes the same flags and environment as gatehouse serve, and reads the data folder, keyring and \
            database without changing them. Run it with the hub's own settings, on the hub's host.
            """)

    @OptionGroup var serve: ServeCommand

    @Option(help: "A folder your backups copy (e.g. the one a nightly job archives); the keyring must not be in it.")
    var backupDir: [String] = []

    @Option(
        help: ArgumentHelp(
            "More folders to search for release-signing keys (the data, keyring and database folders, the "
                + "current folder and the home folder are always searched)."))
    var scan: [String] = []

    @Option(help: "An https URL whose Date header is the reference for clock skew. Env: GATEHOUSE_TIME_URL.")
    var timeURL: String?

    @Flag(help: "Skip measuring one password hash at the configured cost.")
    var skipHashTiming = false

    enum Status: String {
        case ok = "ok"
        case warning = "WARNING"
        case critical = "CRITICAL"
        case unknown = "unknown"
    }

    struct Finding {
        let check: String
        let status: Status
        let why: String
        let fix: String
    }

    func run() async throws {
        let configuration: HubConfiguration
        let settings: Settings
        do {
            settings = try await serve.settings()
            configuration = try serve.makeConfiguration(settings)
        } catch {
            throw ValidationError("the hub's settings do not parse: \(error)")
        }
        var findings: [Finding] = []
        findings += keyringFindings(configuration)
        findings += releaseKeyFindings(configuration)
        findings.append(transportFinding(configuration))
        findings += await databaseFindings(configuration)
        findings += argon2Findings(configuration)
        findings.append(breachIndexFinding(configuration))
        findings.append(await smtpFinding(configuration))
        findings.append(await clockFinding(url: try timeURL ?? settings.string(.timeURL)))
        findings.append(diskFinding(configuration))
        print(Self.table(findings))
        let critical = findings.filter { $0.status == .critical }.count
        let warnings = findings.filter { $0.status == .warning }.count
        print("\n\(findings.count) checks: \(critical) critical, \(warnings) warnings")
        if critical > 0 { throw ExitCode(1) }
    }

    // MARK: The checks

    func keyringFindings(_ configuration: HubConfiguration) -> [Finding] {
        let path = configuration.resolvedKeyringPath
        var findings: [Finding] = []
        let manager = FileManager.default
        guard let attributes = try? manager.attributesOfItem(atPath: path) else {
            return [
                Finding(
                    check: "keyring", status: .warning, why: "no keyring at \(path) (the hub makes one at first start)",
                    fix: "restoring? gatehouse restore --keys FILE, or gatehouse keys import --from FILE")
            ]
        }
        let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0
        let owner = (attributes[.ownerAccountID] as? NSNumber)?.uint32Value
        if mode & 0o077 != 0 {
            findings.append(
                Finding(
                    check: "keyring permissions", status: .critical,
                    why: "\(path) has mode \(String(mode, radix: 8)): others can read the peppers and data keys",
                    fix: "chmod 600 \(path) (the hub refuses to start like this)"))
        } else if let owner, owner != getuid() {
            findings.append(
                Finding(
                    check: "keyring permissions", status: .warning,
                    why: "\(path) belongs to uid \(owner), not to the user running this check (\(getuid()))",
                    fix: "run the doctor as the hub's user, and keep the keyring owned by it"))
        } else {
            findings.append(
                Finding(
                    check: "keyring permissions", status: .ok,
                    why: "mode \(String(mode, radix: 8)), owned by this user", fix: ""))
        }
        let folder = (path as NSString).deletingLastPathComponent
        if let folderMode = (try? manager.attributesOfItem(atPath: folder))?[.posixPermissions] as? NSNumber,
            folderMode.intValue & 0o022 != 0
        {
            findings.append(
                Finding(
                    check: "keyring folder", status: .critical,
                    why: "others can write to \(folder) and so replace the keyring",
                    fix: "chmod 700 \(folder)"))
        }
        // Where backups go.
        let keyring = ReleaseKeyLocationProbe.resolved(path)
        var placement = Finding(
            check: "keyring outside backups", status: .ok, why: "the keyring is not beside the database", fix: "")
        for backup in backupDir {
            let root = ReleaseKeyLocationProbe.resolved(backup)
            if keyring.hasPrefix(root.hasSuffix("/") ? root : root + "/") {
                placement = Finding(
                    check: "keyring outside backups", status: .critical,
                    why: "the keyring lies inside \(backup), which your backups copy: a stolen backup opens everything",
                    fix: "move it out (--keyring PATH elsewhere) and keep gatehouse keys export apart")
            }
        }
        if placement.status == .ok, let database = DatabaseLock.sqlitePath(ofURL: configuration.resolvedDatabaseURL) {
            let databaseFolder = (ReleaseKeyLocationProbe.resolved(database) as NSString).deletingLastPathComponent
            let keyringFolder = (keyring as NSString).deletingLastPathComponent
            if keyringFolder == databaseFolder {
                placement = Finding(
                    check: "keyring outside backups", status: .critical,
                    why: "the keyring sits in the same folder as the database (\(databaseFolder)): a copy of that "
                        + "folder holds both, and a database with its keyring is no longer useless to a thief",
                    fix: "move the keyring to another folder (--keyring), back up with gatehouse backup")
            } else if keyring.hasPrefix(databaseFolder + "/") {
                placement = Finding(
                    check: "keyring outside backups", status: .warning,
                    why: "the keyring is inside the database's folder (\(databaseFolder)); a copy of the whole folder "
                        + "would take it along",
                    fix: "back up with gatehouse backup (never the folder), or move the keyring out with --keyring")
            }
        }
        findings.append(placement)
        return findings
    }

    func releaseKeyFindings(_ configuration: HubConfiguration) -> [Finding] {
        var roots = [
            configuration.dataDirectory, (configuration.resolvedKeyringPath as NSString).deletingLastPathComponent,
            FileManager.default.currentDirectoryPath,
        ]
        if let database = DatabaseLock.sqlitePath(ofURL: configuration.resolvedDatabaseURL) {
            roots.append((database as NSString).deletingLastPathComponent)
        }
        if let home = ProcessInfo.processInfo.environment["HOME"] { roots.append(home) }
        roots += scan
        var found: [String] = []
        var seen = Set<String>()
        var budget = 20_000
        for root in roots where !root.isEmpty {
            Self.search(ReleaseKeyLocationProbe.resolved(root), depth: 0, budget: &budget, seen: &seen, found: &found)
        }
        if found.isEmpty {
            return [
                Finding(
                    check: "release key on this host", status: .ok,
                    why: "no release-signing key in the hub's folders, here or in the home folder", fix: "")
            ]
        }
        return [
            Finding(
                check: "release key on this host", status: .critical,
                why: "release-signing key found: \(found.prefix(3).joined(separator: ", ")); whoever takes this host "
                    + "can sign updates every media server installs",
                fix: "move it to an offline machine (docs/update-protocol.md) and delete it here")
        ]
    }

    static func search(_ folder: String, depth: Int, budget: inout Int, seen: inout Set<String>, found: inout [String])
    {
        guard depth <= 3, budget > 0, seen.insert(folder).inserted else { return }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names.sorted() {
            budget -= 1
            if budget <= 0 { return }
            let path = (folder as NSString).appendingPathComponent(name)
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { continue }
            if isFolder.boolValue {
                if name.hasPrefix(".") && depth > 0 || ["node_modules", ".build", ".git"].contains(name) { continue }
                search(path, depth: depth + 1, budget: &budget, seen: &seen, found: &found)
            } else if name.hasSuffix(".json"),
                let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber,
                size.intValue < 16_384, let data = FileManager.default.contents(atPath: path),
                let key = try? JSONDecoder().decode(ReleaseSigningKey.self, from: data), (try? key.publicKey()) != nil
            {
                found.append(path)
            }
        }
    }

    func transportFinding(_ configuration: HubConfiguration) -> Finding {
        let https = configuration.publicURL.lowercased().hasPrefix("https://")
        let proxies = configuration.trustedProxies
        switch (https, proxies.isEmpty) {
        case (true, false):
            return Finding(
                check: "TLS and proxy", status: .ok,
                why:
                    "public URL is https; client addresses come from trusted proxies \(proxies.map(\.description).joined(separator: ", "))",
                fix: "")
        case (true, true):
            return Finding(
                check: "TLS and proxy", status: .warning,
                why: "public URL is https (so a proxy terminates TLS) but no --trusted-proxy: every client shares the "
                    + "proxy's address, and so its sign-in throttle",
                fix: "--trusted-proxy with your proxy's address or network")
        case (false, false):
            return Finding(
                check: "TLS and proxy", status: .critical,
                why: "public URL \(configuration.publicURL) is not https: passwords, codes and mailed links cross the "
                    + "network in clear (the proxy is trusted but the URL people use is plain http)",
                fix: "terminate TLS at the proxy and set --public-url https://...")
        case (false, true):
            return Finding(
                check: "TLS and proxy", status: .critical,
                why: "no TLS (public URL \(configuration.publicURL)) and no trusted proxy: the hub itself speaks plain "
                    + "HTTP, so passwords and tokens cross the network in clear",
                fix: "put a TLS proxy in front (nginx, Caddy), set --public-url https://... and --trusted-proxy")
        }
    }

    func databaseFindings(_ configuration: HubConfiguration) async -> [Finding] {
        let url = configuration.resolvedDatabaseURL
        if let path = DatabaseLock.sqlitePath(ofURL: url), !FileManager.default.fileExists(atPath: path) {
            return [
                Finding(
                    check: "migrations", status: .warning, why: "no database at \(path) yet",
                    fix: "start the hub once (or gatehouse restore)")
            ]
        }
        var logger = Logger(label: "gatehouse-doctor")
        logger.logLevel = .critical
        let store: SQLStore
        do {
            store = try await SQLStore.open(url: url, logger: logger, migrate: false)
        } catch {
            return [
                Finding(
                    check: "database", status: .critical, why: "cannot open the database: \(error)",
                    fix: "check --database")
            ]
        }
        let findings = await databaseFindings(configuration, store: store)
        try? await store.shutdown()
        return findings
    }

    func databaseFindings(_ configuration: HubConfiguration, store: SQLStore) async -> [Finding] {
        var findings: [Finding] = []
        let versions = (try? await store.appliedSchemaVersions()) ?? []
        let latest = SQLStore.latestSchemaVersion
        let current = versions.last ?? 0
        if current > latest {
            findings.append(
                Finding(
                    check: "migrations", status: .critical,
                    why: "the database is at schema \(current), newer than this build knows (\(latest))",
                    fix: "run the gatehouse version that wrote it, or restore a matching backup"))
        } else if current < latest {
            findings.append(
                Finding(
                    check: "migrations", status: .warning,
                    why: "schema \(current); this build brings \(latest) (\(latest - current) pending)",
                    fix: "they run at the hub's next start; back up first (gatehouse backup)"))
        } else {
            findings.append(Finding(check: "migrations", status: .ok, why: "schema \(current), up to date", fix: ""))
        }
        // The keyring against the database.
        let keyringPath = configuration.resolvedKeyringPath
        var loaded: Keyring?
        do {
            loaded = try Keyring.load(from: keyringPath)
        } catch {
            if FileManager.default.fileExists(atPath: keyringPath) {
                findings.append(
                    Finding(
                        check: "keyring matches database", status: .unknown, why: "cannot load the keyring: \(error)",
                        fix: "fix the keyring first (see above)"))
            }
        }
        if let keyring = loaded {
            // nil too when the database predates `hub_facts` (sealed values then decide).
            let stored = (try? await store.fact(KeyringCheck.factName)) ?? nil
            let samples = (try? await store.sealedSamples()) ?? []
            let verdict = KeyringCheck.evaluate(keyring: keyring, stored: stored, samples: samples)
            switch verdict {
            case .matches(let evidence):
                findings.append(Finding(check: "keyring matches database", status: .ok, why: evidence, fix: ""))
            case .unknown:
                findings.append(
                    Finding(
                        check: "keyring matches database", status: .unknown,
                        why: "nothing in the database depends on a keyring yet", fix: ""))
            case .mismatch:
                findings.append(
                    Finding(
                        check: "keyring matches database", status: .critical, why: "\(verdict)",
                        fix: "restore the keyring exported with this database (gatehouse keys import --from FILE)"))
            }
        }
        // Sign-up and admins, as the hub does them today.
        let accounts = (try? await store.number("SELECT count(*) AS n FROM accounts")) ?? 0
        let admins = (try? await store.number("SELECT count(*) AS n FROM accounts WHERE role = 'admin'")) ?? 0
        let adminsWith2FA =
            (try? await store.number(
                "SELECT count(*) AS n FROM accounts a JOIN totp t ON t.account_id = a.id "
                    + "WHERE a.role = 'admin' AND t.confirmed_at IS NOT NULL")) ?? 0
        let adminsWithPasskey =
            (try? await store.number(
                "SELECT count(DISTINCT a.id) AS n FROM accounts a JOIN passkeys p ON p.account_id = a.id "
                    + "WHERE a.role = 'admin'")) ?? 0
        let mode = configuration.signUpMode.rawValue
        if configuration.firstAccountIsAdmin {
            findings.append(
                Finding(
                    check: "sign-up", status: .warning,
                    why: "--first-account-is-admin is deprecated and has no effect (the first admin comes from the "
                        + "setup link printed at start); sign-up mode \(mode), \(accounts) accounts, \(admins) admins",
                    fix: "drop --first-account-is-admin"))
        } else if admins == 0 {
            findings.append(
                Finding(
                    check: "sign-up", status: .warning,
                    why: "no admin yet: each start prints a one-time setup link on the console; sign-up mode \(mode), "
                        + "\(accounts) accounts",
                    fix: "open the setup link from the hub's console (or gatehouse admin create)"))
        } else {
            findings.append(
                Finding(
                    check: "sign-up", status: .ok,
                    why: "sign-up mode \(mode)"
                        + (configuration.signUpMode == .invite ? " (by invitation)" : "")
                        + (configuration.membersCanInvite ? ", members can invite" : "")
                        + ", \(accounts) accounts, \(admins) admins",
                    fix: ""))
        }
        if configuration.adminsNeedPasskey {
            let missing = admins - adminsWithPasskey
            findings.append(
                Finding(
                    check: "admin credentials", status: missing > 0 ? .warning : .ok,
                    why: "admins sign in with a passkey only; \(admins) admins, \(missing) without a passkey"
                        + (missing > 0 ? " (locked out)" : ""),
                    fix: missing > 0 ? "start without --admin-credential passkey until they add one" : ""))
        } else {
            let weak = admins - adminsWith2FA
            findings.append(
                Finding(
                    check: "admin credentials", status: weak > 0 ? .warning : .ok,
                    why: "admins sign in with a password (+ two-factor if on); \(admins) admins, \(weak) without "
                        + "two-factor sign-in, \(adminsWithPasskey) with a passkey",
                    fix: weak > 0 || admins > adminsWithPasskey
                        ? "turn on two-factor for every admin, add passkeys, then --admin-credential passkey" : ""))
        }
        return findings
    }

    func argon2Findings(_ configuration: HubConfiguration) -> [Finding] {
        let parameters = Argon2.Parameters(
            memoryKiB: configuration.argon2MemoryKiB, iterations: configuration.argon2Iterations, parallelism: 1)
        var findings: [Finding] = []
        do {
            try Argon2PasswordHasher.checkSettings(parameters)
            findings.append(
                Finding(
                    check: "Argon2 cost", status: .ok,
                    why: "m=\(parameters.memoryKiB) KiB t=\(parameters.iterations) p=1, at or above OWASP's minimum",
                    fix: ""))
        } catch {
            findings.append(
                Finding(
                    check: "Argon2 cost", status: .critical,
                    why: "m=\(parameters.memoryKiB) KiB t=\(parameters.iterations): \(error)"
                        + (configuration.allowWeakArgon2
                            ? " (GATEHOUSE_ARGON2_ALLOW_WEAK=1 lets the hub start anyway)" : ""),
                    fix:
                        "unset GATEHOUSE_ARGON2_MEMORY_KIB/_ITERATIONS and GATEHOUSE_ARGON2_ALLOW_WEAK (default m=19456 t=2)"
                ))
        }
        if !skipHashTiming, (try? parameters.validate()) != nil, parameters.memoryKiB <= 1_048_576 {
            let start = DispatchTime.now().uptimeNanoseconds
            let hashed =
                (try? Argon2.hash(
                    password: Array("doctor".utf8), salt: SecureRandom.bytes(16), parameters: parameters,
                    secret: SecureRandom.bytes(32))) != nil
            let milliseconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            let text = String(format: "%.0f ms", milliseconds)
            findings.append(
                Finding(
                    check: "hash time", status: !hashed ? .warning : milliseconds > 1_000 ? .warning : .ok,
                    why: hashed ? "one keyed hash at the configured cost took \(text) on this host" : "hashing failed",
                    fix: milliseconds > 1_000 ? "sign-ins will feel slow; a faster host or m=19456 t=2" : ""))
        }
        return findings
    }

    func breachIndexFinding(_ configuration: HubConfiguration) -> Finding {
        if let path = configuration.breachIndexPath {
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else {
                return Finding(
                    check: "breached passwords", status: .critical,
                    why: "GATEHOUSE_BREACH_INDEX names \(path), which does not exist (the hub will not start)",
                    fix: "gatehouse passwords import, or fix the path")
            }
            let modified = (attributes[.modificationDate] as? Date) ?? Date()
            let days = Int(Date().timeIntervalSince(modified) / 86_400)
            return Finding(
                check: "breached passwords", status: days > 180 ? .warning : .ok,
                why: "local index \(path), \(days) days old",
                fix: days > 180 ? "rebuild it from a current Pwned Passwords download (gatehouse passwords import)" : ""
            )
        }
        if let range = configuration.pwnedRangeURL {
            return Finding(
                check: "breached passwords", status: .ok,
                why:
                    "range API \(range) (k-anonymity; \(configuration.breachCheckFailsClosed ? "fail-closed" : "allows passwords while unreachable"))",
                fix: "")
        }
        return Finding(
            check: "breached passwords", status: .warning,
            why: "no breached-password index and no range API: known-breached passwords are accepted",
            fix: "gatehouse passwords import, then GATEHOUSE_BREACH_INDEX (or GATEHOUSE_PWNED_RANGE_URL)")
    }

    func smtpFinding(_ configuration: HubConfiguration) async -> Finding {
        let mail = configuration.mail
        guard mail.transport == .smtp else {
            return Finding(
                check: "mail", status: .warning,
                why: "mail is written to files in the data folder: nobody receives reset links or security notices",
                fix: "--mail smtp --smtp HOST:PORT --smtp-security starttls")
        }
        let target = "\(mail.smtpHost):\(mail.smtpPort)"
        if let problem = await SMTPProbe.problem(with: mail) {
            return Finding(
                check: "SMTP", status: .critical, why: "\(target) (\(mail.smtpSecurity.rawValue)): \(problem)",
                fix: "check --smtp, --smtp-security, --smtp-ca and the credentials")
        }
        if mail.smtpSecurity == .none {
            return Finding(
                check: "SMTP", status: .critical,
                why: "\(target) is reachable but without TLS: reset links and codes cross the network in clear",
                fix: "--smtp-security starttls (or tls)")
        }
        return Finding(
            check: "SMTP", status: .ok,
            why: "\(target) reachable, \(mail.smtpSecurity.rawValue) with a verified certificate",
            fix: "")
    }

    func clockFinding(url: String?) async -> Finding {
        guard let url else {
            return Finding(
                check: "clock skew", status: .unknown, why: "no reference clock configured",
                fix: "--time-url https://a-server-you-trust (its Date header), and run NTP")
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let finding = await clockFinding(url: url, client: client)
        try? await client.shutdown()
        return finding
    }

    func clockFinding(url: String, client: HTTPClient) async -> Finding {
        do {
            var request = HTTPClientRequest(url: url)
            request.method = .HEAD
            let before = Date()
            let response = try await client.execute(request, timeout: .seconds(10))
            let after = Date()
            guard let header = response.headers.first(name: "date"), let remote = Self.httpDate(header) else {
                return Finding(
                    check: "clock skew", status: .unknown, why: "\(url) sent no Date header",
                    fix: "use another --time-url")
            }
            let local = before.addingTimeInterval(after.timeIntervalSince(before) / 2)
            let skew = local.timeIntervalSince(remote)
            // A Date header has one-second resolution.
            let status: Status = abs(skew) > 120 ? .critical : abs(skew) > 30 ? .warning : .ok
            return Finding(
                check: "clock skew", status: status,
                why: String(format: "%+.0f", skew) + " s against \(url)"
                    + (status == .ok ? "" : ": two-factor codes and token expiry depend on the clock"),
                fix: status == .ok ? "" : "run NTP (chrony, systemd-timesyncd)")
        } catch {
            return Finding(check: "clock skew", status: .unknown, why: "\(url) did not answer: \(error)", fix: "")
        }
    }

    static func httpDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }

    func diskFinding(_ configuration: HubConfiguration) -> Finding {
        let folder =
            DatabaseLock.sqlitePath(ofURL: configuration.resolvedDatabaseURL).map {
                ($0 as NSString).deletingLastPathComponent
            } ?? configuration.dataDirectory
        var stats = statvfs()
        let probe = FileManager.default.fileExists(atPath: folder) ? folder : "."
        guard statvfs(probe, &stats) == 0 else {
            return Finding(check: "disk space", status: .unknown, why: "cannot read \(probe)", fix: "")
        }
        let free = Double(stats.f_bavail) * Double(stats.f_frsize)
        let total = Double(stats.f_blocks) * Double(stats.f_frsize)
        let share = total > 0 ? free / total : 0
        let text = String(format: "%.1f GiB free (%.0f%%)", free / 1_073_741_824, share * 100) + " under \(probe)"
        if free < 256 * 1_048_576 {
            return Finding(
                check: "disk space", status: .critical, why: text + ": writes (sign-ins, mail) will fail soon",
                fix: "free space or grow the volume")
        }
        if free < 2 * 1_073_741_824 || share < 0.05 {
            return Finding(
                check: "disk space", status: .warning, why: text, fix: "free space before a backup or incident needs it"
            )
        }
        return Finding(check: "disk space", status: .ok, why: text, fix: "")
    }

    // MARK: Output

    static func table(_ findings: [Finding]) -> String {
        let header = Finding(check: "CHECK", status: .ok, why: "WHY (and, below it, HOW TO FIX)", fix: "")
        let rows = [header] + findings
        let checkWidth = rows.map(\.check.count).max() ?? 5
        let statusWidth = max(6, findings.map(\.status.rawValue.count).max() ?? 6)
        var lines: [String] = []
        for (index, finding) in rows.enumerated() {
            let status = index == 0 ? "STATUS" : finding.status.rawValue
            var line = finding.check.padding(toLength: checkWidth, withPad: " ", startingAt: 0) + "  "
            line += status.padding(toLength: statusWidth, withPad: " ", startingAt: 0) + "  " + finding.why
            if !finding.fix.isEmpty {
                line += "\n" + String(repeating: " ", count: checkWidth + statusWidth + 4) + "fix: " + finding.fix
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}

/// Path resolution shared with the release-key refusal (symbolic links resolved, relative paths made absolute).
enum ReleaseKeyLocationProbe {
    static func resolved(_ path: String) -> String {
        let absolute =
            path.hasPrefix("/")
            ? path : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
        let standard = (absolute as NSString).standardizingPath
        return (standard as NSString).resolvingSymlinksInPath
    }
}
