import Foundation

/// Canary accounts (honeytokens): accounts nobody uses, made to look like the others. Nobody has a reason to sign
/// in to one, ask for its reset or use a token of it, except someone holding a copy of the database. Any such
/// attempt alerts the operators at once (mail to every admin, the security log, `gatehouse_canary_alerts_total`)
/// and then goes on exactly like an attempt against any account, so the attacker learns nothing.
public struct CanaryService: Sendable {
    let env: HubEnvironment

    public init(environment: HubEnvironment) {
        self.env = environment
    }

    /// What a canary was used for.
    public enum Use: String, Sendable {
        case signIn = "sign-in"
        case passwordReset = "password reset"
    }

    /// Makes `count` canary accounts with addresses at `domain` (use one whose mailbox you watch: mail to them is a
    /// signal too). Each has a verified address and the hash of a random password nobody knows, like any account.
    public func create(count: Int, domain: String) async throws -> [Account] {
        guard (1...100).contains(count) else {
            throw RequestError(status: 422, code: "invalid_count", message: "Make 1 to 100 canaries.")
        }
        guard AccountNames.validateEmail("a@" + domain) == nil else {
            throw RequestError(status: 422, code: "invalid_domain", message: "That is not a mail domain.")
        }
        var made: [Account] = []
        for _ in 0..<count {
            let now = env.clock.now()
            for _ in 0..<20 {
                let username = Self.plausibleUsername()
                let account = Account(
                    id: SecureRandom.identifier(), username: username, email: username + "@" + domain,
                    isEmailVerified: true, role: .user, createdAt: now)
                let hash = try await env.hasher.hash(Encoding.base64URL(SecureRandom.bytes(24)))
                let env = self.env
                do {
                    try await env.store.transaction { tx in
                        try await tx.insertAccount(account, passwordHash: hash)
                        try await tx.insertCanary(digest: env.digest("canary:" + account.id), at: now)
                    }
                    made.append(account)
                    break
                } catch StoreError.conflict {
                    continue
                }
            }
        }
        env.canaries.invalidate()
        return made
    }

    /// The canary accounts among `accounts` (operators' listing).
    /// Every canary account (operators' `gatehouse canary list`).
    public func allCanaries() async throws -> [Account] {
        try await canaries(among: try await env.store.autocommit.searchAccounts("", limit: 1_000_000))
    }

    public func canaries(among accounts: [Account]) async throws -> [Account] {
        let digests = Set(try await env.store.autocommit.canaryDigests())
        return accounts.filter { digests.contains(env.digest("canary:" + $0.id)) }
    }

    /// Checks an account about to be used; raises the alarm when it is a canary. Never throws to the caller's
    /// flow: the attempt must go on like any other.
    public static func check(_ account: Account, use: Use, caller: Caller, environment env: HubEnvironment) async {
        guard (try? await env.canaries.isCanary(account.id, environment: env)) == true else { return }
        guard env.canaries.shouldAlert(account.id, now: env.clock.now()) else { return }
        // Counted once the alert mail is queued, so that whoever sees the counter also finds the mail.
        defer { env.metrics.canaryTripped() }
        let now = env.clock.now()
        env.logger.critical(
            "canary account used: a copy of the database is in use",
            metadata: ["use": "\(use.rawValue)", "address": "\(caller.ipAddress)"])
        await OperatorAlert.record(
            .canaryTripped, detail: "\(use.rawValue) on canary \(account.username)", caller: caller, now: now,
            environment: env
        ) { admin in
            env.mail.canaryAlert(
                to: admin, canary: account.username, use: use.rawValue, address: caller.ipAddress, now: now)
        }
    }
}

/// The canary digests, read from the store at most every 30 s (a canary made by the CLI is seen within that), and
/// the last alert per canary (one alert per canary per 10 minutes per instance: a scripted attack does not flood
/// the operators' mailboxes).
public final class CanaryRegistry: @unchecked Sendable {
    private let lock = NSLock()
    private var digests: Set<String>?
    private var loadedAt = Date.distantPast
    private var lastAlert: [String: Date] = [:]

    public init() {}

    func isCanary(_ accountID: String, environment env: HubEnvironment) async throws -> Bool {
        let now = Date()
        let cached: Set<String>? = lock.withLock { now.timeIntervalSince(loadedAt) < 30 ? digests : nil }
        let set: Set<String>
        if let cached {
            set = cached
        } else {
            set = Set(try await env.store.autocommit.canaryDigests())
            lock.withLock {
                digests = set
                loadedAt = now
            }
        }
        return !set.isEmpty && set.contains(env.digest("canary:" + accountID))
    }

    func shouldAlert(_ accountID: String, now: Date) -> Bool {
        lock.withLock {
            if let last = lastAlert[accountID], now.timeIntervalSince(last) < 600 { return false }
            lastAlert[accountID] = now
            if lastAlert.count > 10_000 { lastAlert.removeAll() }
            return true
        }
    }

    func invalidate() {
        lock.withLock { loadedAt = .distantPast }
    }

    /// Usernames shaped like people's (`martha.k82`, `tomasz1990`).
    static let firstNames = [
        "martha", "tomasz", "lena", "oliver", "priya", "jonas", "amelie", "kofi", "sara", "diego", "yuki", "hannah",
        "mateo", "ingrid", "ravi", "chloe", "emil", "fatima", "lucas", "noor", "felix", "anya", "marco", "elif",
    ]
}

extension CanaryService {
    static func plausibleUsername() -> String {
        let names = CanaryRegistry.firstNames
        let name = names[Int(SecureRandom.bytes(1)[0]) % names.count]
        let number = Int(SecureRandom.bytes(2).withUnsafeBytes { $0.load(as: UInt16.self) })
        switch number % 3 {
        case 0: return name + "." + String(UnicodeScalar(UInt8(97 + number % 26))) + String(number % 100)
        case 1: return name + String(1960 + number % 45)
        default: return name + "_" + String(number % 1000)
        }
    }
}
