import Argon2
import Foundation
import GatehouseCore
import GatehouseStore
import Logging
import PasswordCheck

/// `gatehouse drill`: rehearses the Plex breach on a copy of the database. It does what someone holding the file,
/// and not the keyring, can do, and reports what they would get (the expected answer: nothing).
///
/// 1. The raw bytes of the copy (free pages and the WAL included) are searched for secret shapes: bearer tokens
///    (`gh?_…`), `otpauth://` URIs, PEM private keys, keyring JSON.
/// 2. Every stored password hash is verified without the keyring's pepper against the most common passwords,
///    hashes made without a pepper first and with the whole list, the others with what the time budget leaves.
/// 3. A throwaway hub is opened on the copy with a keyring of its own, and every stored value that could be a
///    secret is tried as a device credential, a reset token, a media-server credential and a TOTP seed.
///
/// It never touches the live database: it copies the file first and works on the copy in a temporary folder.
public struct BreachDrill: Sendable {
    public struct Finding: Sendable, CustomStringConvertible {
        public var check: String
        public var detail: String
        public var description: String { "\(check): \(detail)" }
    }

    public struct Line: Sendable {
        public var check: String
        public var tried: String
        public var found: Int
        public var seconds: Double
    }

    public struct Report: Sendable {
        public var lines: [Line] = []
        public var findings: [Finding] = []
        public var seconds: Double = 0
    }

    let source: String
    let guesses: Int
    let budget: Double
    let logger: Logger

    /// - Parameters:
    ///   - source: the SQLite database file to copy (a backup, or the live file: it is copied with its WAL).
    ///   - guesses: how many of the most common passwords to try.
    ///   - budget: seconds of Argon2 work for hashes that have a pepper (those without one always get every guess).
    public init(source: String, guesses: Int = 10_000, budget: Double = 60, logger: Logger) {
        self.source = source
        self.guesses = guesses
        self.budget = budget
        self.logger = logger
    }

    public func run() async throws -> Report {
        let started = ContinuousClock.now
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "gatehouse-drill-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: folder) }
        let copy = folder.appendingPathComponent("copy.sqlite").path
        guard FileManager.default.fileExists(atPath: source) else { throw DrillError.noDatabase(source) }
        try FileManager.default.copyItem(atPath: source, toPath: copy)
        for suffix in ["-wal", "-shm"] where FileManager.default.fileExists(atPath: source + suffix) {
            try FileManager.default.copyItem(atPath: source + suffix, toPath: copy + suffix)
        }
        var report = Report()
        scanBytes(paths: [copy, copy + "-wal"], into: &report)

        var configuration = HubConfiguration(
            dataDirectory: folder.appendingPathComponent("hub").path, databaseURL: "sqlite:" + copy,
            keyringPath: folder.appendingPathComponent("attacker-keyring.json").path)
        configuration.mail.transport = .file
        let runtime = try await HubRuntime.open(configuration: configuration, logger: logger)
        do {
            try await crackHashes(runtime.store, into: &report)
            try await tryValues(runtime, into: &report)
        } catch {
            await runtime.shutdown()
            throw error
        }
        await runtime.shutdown()
        report.seconds = Self.seconds(ContinuousClock.now - started)
        return report
    }

    public enum DrillError: Error, CustomStringConvertible {
        case noDatabase(String)
        public var description: String {
            switch self {
            case .noDatabase(let path):
                "no SQLite database at \(path) (the drill works on SQLite files; see README for PostgreSQL)"
            }
        }
    }

    // MARK: - 1. Raw bytes

    static let shapes: [(name: String, pattern: String)] = [
        ("bearer token", #"gh[a-z]_[A-Za-z0-9_-]{43}"#),
        ("TOTP provisioning URI", #"otpauth://[A-Za-z0-9%/:?=&._-]{10,}"#),
        ("PEM private key", #"-----BEGIN [A-Z ]*PRIVATE KEY-----"#),
        ("keyring file", #""peppers"\s*:"#),
    ]

    func scanBytes(paths: [String], into report: inout Report) {
        let started = ContinuousClock.now
        var found = 0
        var bytes = 0
        for path in paths {
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            bytes += data.count
            // Latin-1 maps every byte to one character, so offsets stay meaningful and nothing fails to decode.
            let text = String(decoding: data.map { UInt16($0) }, as: UTF16.self)
            for shape in Self.shapes {
                guard let expression = try? NSRegularExpression(pattern: shape.pattern) else { continue }
                let matches = expression.matches(
                    in: text, range: NSRange(location: 0, length: (text as NSString).length))
                var seen = Set<String>()
                for match in matches {
                    let value = (text as NSString).substring(with: match.range)
                    guard seen.insert(value).inserted else { continue }
                    found += 1
                    report.findings.append(
                        Finding(check: "raw bytes", detail: "\(shape.name) in the clear: \(Self.redact(value))"))
                }
            }
        }
        report.lines.append(
            Line(
                check: "secret shapes in the raw file", tried: "\(bytes) bytes, \(Self.shapes.count) shapes",
                found: found, seconds: Self.seconds(ContinuousClock.now - started)))
    }

    // MARK: - 2. Password hashes

    func crackHashes(_ store: SQLStore, into report: inout Report) async throws {
        let started = ContinuousClock.now
        var hashes: [(account: String, hash: PHCString)] = []
        var unreadable = 0
        for row in try await store.rawRows("SELECT account_id, password_hash FROM credentials")
            + (try await store.rawRows("SELECT account_id, password_hash FROM password_history"))
        {
            let parts = row.split(separator: "|", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            if let hash = PHCString(parts[1]) { hashes.append((parts[0], hash)) } else { unreadable += 1 }
        }
        let list = CommonPasswords.top(guesses)
        let unpeppered = hashes.filter { $0.hash.keyID == nil }
        let peppered = hashes.filter { $0.hash.keyID != nil }
        var tried = 0
        var cracked: [(String, String)] = []
        // Hashes made without a pepper: the whole list, as an attacker would.
        for entry in unpeppered {
            let (count, password) = Self.guess(entry.hash, list: list, deadline: nil)
            tried += count
            if let password { cracked.append((entry.account, password)) }
        }
        // Peppered hashes: unkeyed guesses, round-robin, until the budget is spent (none can succeed without the
        // pepper, which is what this shows).
        let deadline = ContinuousClock.now + .milliseconds(Int64(budget * 1000))
        var offset = 0
        while !peppered.isEmpty, offset < list.count, ContinuousClock.now < deadline {
            let slice = Array(list[offset..<min(offset + 25, list.count)])
            for entry in peppered where ContinuousClock.now < deadline {
                let (count, password) = Self.guess(entry.hash, list: slice, deadline: deadline)
                tried += count
                if let password { cracked.append((entry.account, password)) }
            }
            offset += slice.count
        }
        for (account, password) in cracked {
            report.findings.append(
                Finding(
                    check: "password hashes", detail: "account \(account): the password is \(Self.redact(password))"))
        }
        report.lines.append(
            Line(
                check: "unkeyed Argon2 guesses",
                tried:
                    "\(tried) guesses from the \(list.count) most common passwords against \(hashes.count) hashes "
                    + "(\(unpeppered.count) without a pepper, \(peppered.count) with one, \(unreadable) unreadable)",
                found: cracked.count, seconds: Self.seconds(ContinuousClock.now - started)))
    }

    /// Tries `list` on one hash on every core; returns how many were tried and the password if one matched.
    static func guess(_ hash: PHCString, list: [String], deadline: ContinuousClock.Instant?) -> (Int, String?) {
        let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let results = Results()
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var index = worker
            while index < list.count {
                if results.isDone { return }
                if let deadline, ContinuousClock.now >= deadline { return }
                let matched = (try? hash.verify(password: Array(list[index].utf8))) ?? false
                results.record(matched ? list[index] : nil)
                index += workers
            }
        }
        return results.value
    }

    private final class Results: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        private var found: String?
        var isDone: Bool { lock.withLock { found != nil } }
        var value: (Int, String?) { lock.withLock { (count, found) } }
        func record(_ password: String?) {
            lock.withLock {
                count += 1
                if let password { found = password }
            }
        }
    }

    // MARK: - 3. Stored values as credentials

    func tryValues(_ runtime: HubRuntime, into report: inout Report) async throws {
        let started = ContinuousClock.now
        let tables = try await runtime.store.rawRows(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        var values = Set<String>()
        for table in tables where table.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
            for row in try await runtime.store.rawRows("SELECT * FROM \(table) LIMIT 100000") {
                for value in row.split(separator: "|") where (12...600).contains(value.utf8.count) {
                    if !value.contains(" ") { values.insert(String(value)) }
                }
            }
            if values.count > 50_000 { break }
        }
        let services = runtime.services
        var usable: [Finding] = []
        for value in values {
            if try await services.devices.authenticate(token: value, ipAddress: "drill") != nil {
                usable.append(Finding(check: "stored values", detail: "a device credential: \(Self.redact(value))"))
            }
            if try await services.recovery.isValidResetToken(value) {
                usable.append(Finding(check: "stored values", detail: "a reset token: \(Self.redact(value))"))
            }
            if try await services.servers.authenticate(credential: value) != nil {
                usable.append(
                    Finding(check: "stored values", detail: "a media-server credential: \(Self.redact(value))"))
            }
        }
        // TOTP: every value that decodes as a base32 seed, against every account with two-factor sign-in on.
        let seeds = values.filter { $0.count >= 16 && $0.count <= 64 }.compactMap { Base32.decode($0.uppercased()) }
        let enrolled = try await runtime.store.rawRows("SELECT account_id FROM totp WHERE confirmed_at IS NOT NULL")
        var totpTries = 0
        let now = Date()
        for accountID in enrolled {
            guard let account = try await runtime.store.autocommit.account(id: accountID) else { continue }
            for seed in seeds.prefix(1_000) {
                let totp = TOTP(secret: seed)
                totpTries += 1
                // The copy's code budget would stop an attacker's online guessing; the drill is offline, so it clears it.
                try await runtime.store.autocommit.clearThrottle(key: "2fa:" + accountID)
                if (try? await services.twoFactor.verifyCode(
                    account: account, code: totp.code(step: totp.step(at: now)), caller: Caller(ipAddress: "drill")))
                    == true
                {
                    usable.append(Finding(check: "stored values", detail: "the TOTP seed of account \(accountID)"))
                }
            }
        }
        report.findings += usable
        report.lines.append(
            Line(
                check: "stored values tried on a hub opened on the copy",
                tried:
                    "\(values.count) values as device credential, reset token and media-server credential; "
                    + "\(totpTries) TOTP seeds against \(enrolled.count) accounts",
                found: usable.count, seconds: Self.seconds(ContinuousClock.now - started)))
    }

    // MARK: -

    /// Enough of a value to recognise it, not enough to use it.
    static func redact(_ value: String) -> String {
        value.count <= 10 ? String(value.prefix(2)) + "…" : String(value.prefix(8)) + "…(\(value.count) chars)"
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
