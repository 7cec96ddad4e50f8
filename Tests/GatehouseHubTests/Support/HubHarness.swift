import Argon2
import Foundation
import GatehouseCore
import GatehouseStore
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing

@testable import GatehouseHub

/// The databases every behaviour spec runs against.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    var testDescription: String { rawValue }
}

/// A clock the test moves by hand.
final class ManualClock: WallClock {
    private let current: Mutex<Date>

    init(_ start: Date = Date(epochSeconds: 1_900_000_000)) {
        current = Mutex(start)
    }

    func now() -> Date { current.withLock { $0 } }

    func advance(_ seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }
}

/// A cheap Argon2 hasher that counts how many passwords were really verified: the measure of what a guesser got.
final class CountingHasher: PasswordHashing {
    let inner: Argon2PasswordHasher
    private let counts = Mutex((verified: 0, dummies: 0))

    init(inner: Argon2PasswordHasher) {
        self.inner = inner
    }

    var verified: Int { counts.withLock { $0.verified } }
    var dummies: Int { counts.withLock { $0.dummies } }

    func hash(_ password: String) async throws -> String { try await inner.hash(password) }

    func verify(_ password: String, against storedHash: String) async throws -> PasswordVerification {
        counts.withLock { $0.verified += 1 }
        return try await inner.verify(password, against: storedHash)
    }

    func verifyDummy(_ password: String) async throws {
        counts.withLock { $0.dummies += 1 }
        try await inner.verifyDummy(password)
    }
}

/// An in-process hub on a fresh database: the real services, store and routes, with a manual clock and cheap
/// hashing. PostgreSQL cases need GATEHOUSE_TEST_POSTGRES_URL (scripts/test.sh starts a server and sets
/// GATEHOUSE_REQUIRE_POSTGRES, so CI fails rather than skips); without it they are skipped locally.
struct TestHub: Sendable {
    let runtime: HubRuntime
    let clock: ManualClock
    let hasher: CountingHasher

    var services: HubServices { runtime.services }
    var environment: HubEnvironment { runtime.services.environment }
    var store: SQLStore { runtime.store }

    static let password = "violet-kestrel-harbour-42"

    /// A verified account with the test password.
    @discardableResult
    func makeAccount(_ name: String) async throws -> Account {
        guard
            var account = try await services.accounts.register(
                username: name, email: name + "@example.com", password: Self.password,
                caller: Caller(ipAddress: "operator"), role: .user)
        else { throw TestFailure("no account made for \(name)") }
        account.isEmailVerified = true
        try await store.autocommit.updateAccount(account)
        return account
    }

    /// Signs in and returns what the client gets.
    func signIn(_ name: String, address: String = "192.0.2.10", known: String? = nil) async throws -> SignedIn {
        let outcome = try await services.signIn.signIn(
            identifier: name, password: Self.password, info: Self.info(name), kind: .api,
            caller: Caller(ipAddress: address), knownDeviceToken: known)
        guard case .signedIn(let signedIn) = outcome else { throw TestFailure("second factor asked for \(name)") }
        return signedIn
    }

    static func info(_ name: String) -> Device.Info {
        Device.Info(clientIdentifier: "client-" + name, name: name, product: "tests", version: "1", platform: "Linux")
    }

    /// Mail queued for `address`, opened, newest last.
    func mail(to address: String) async throws -> [(subject: String, text: String)] {
        let due = try await store.autocommit.dueMail(now: clock.now().addingTimeInterval(86_400 * 365), limit: 10_000)
        return try due.filter { $0.recipient == address }.map {
            ($0.subject, try environment.mail.openBody($0.textBody, messageID: $0.id))
        }
    }

    /// The security log of an account, newest first.
    func audit(_ accountID: String) async throws -> [AuditEvent] {
        try await store.autocommit.auditEvents(chain: accountID, limit: 10_000)
    }

    /// A token of `prefix` in the newest mail to `address` matching `subject`.
    func token(in address: String, subject: String, prefix: String) async throws -> String {
        for message in try await mail(to: address).reversed() where message.subject.contains(subject) {
            if let range = message.text.range(of: "token=" + prefix + "_") {
                let rest = message.text[range.lowerBound...].dropFirst("token=".count)
                return String(rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" })
            }
        }
        throw TestFailure("no \(prefix) token mailed to \(address) with subject '\(subject)'")
    }
}

/// Runs one attempt per index, all at once, and says how each ended: the label the attempt returns, the `code` of a
/// refusal (a ``PublicError``; of type `refusals` only, when given), or `other: …` for anything else — which every
/// attack spec expects never to see. The shape of every "hundreds of requests at once" spec.
func concurrently(
    _ indices: some Sequence<Int>, refusals: (any PublicError.Type)? = nil,
    _ attempt: @escaping @Sendable (Int) async throws -> String
) async -> [String] {
    await withTaskGroup(of: String.self) { group in
        for index in indices {
            group.addTask {
                do {
                    return try await attempt(index)
                } catch let error as any PublicError
                    where refusals.map({ ObjectIdentifier(type(of: error)) == ObjectIdentifier($0) }) ?? true
                {
                    return error.code
                } catch {
                    return "other: \(error)"
                }
            }
        }
        var all: [String] = []
        for await outcome in group { all.append(outcome) }
        return all
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs `body` against a fresh in-process hub on `backend`.
func withHub(
    _ backend: Backend, settings: AccountSettings = AccountSettings(), stuffingThreshold: Int = 600,
    configure: (inout HubConfiguration) -> Void = { _ in }, _ body: (TestHub) async throws -> Void
) async throws {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gh-hub-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    var schema: String?
    let store: SQLStore
    switch backend {
    case .sqlite:
        store = try await SQLStore.open(
            url: "sqlite:" + folder.appendingPathComponent("db.sqlite").path, logger: logger)
    case .postgres:
        guard let url = ProcessInfo.processInfo.environment["GATEHOUSE_TEST_POSTGRES_URL"] else {
            if ProcessInfo.processInfo.environment["GATEHOUSE_REQUIRE_POSTGRES"] != nil {
                Issue.record("GATEHOUSE_TEST_POSTGRES_URL is not set, and PostgreSQL is required here")
            }
            return
        }
        let name = "h_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        schema = name
        store = try await SQLStore.open(url: url, logger: logger, schema: name)
    }
    var configuration = HubConfiguration(dataDirectory: folder.path, publicURL: "http://hub.test")
    configure(&configuration)
    let keyring = Keyring.generate()
    let endpoint = configuration.metricsEnabled ? MetricsEndpoint() : nil
    let metrics = endpoint?.metrics ?? .disabled
    let pool = WorkPool(
        threads: 2,
        queueLimit: configuration.hashQueueLimit == HubConfiguration().hashQueueLimit
            ? 100_000 : configuration.hashQueueLimit,
        observer: endpoint == nil
            ? nil : WorkPool.Observer(waited: { metrics.hashWaited($0) }, rejected: { metrics.hashRejected() }))
    let hasher = CountingHasher(
        inner: try Argon2PasswordHasher(
            keyring: keyring, parameters: Argon2.Parameters(memoryKiB: 64, iterations: 1, parallelism: 1), pool: pool))
    let clock = ManualClock()
    var accountSettings = settings
    accountSettings.adminsNeedPasskey = configuration.adminsNeedPasskey || settings.adminsNeedPasskey
    let environment = HubEnvironment(
        store: store, hasher: hasher, rules: try PolicyRules.make(breachIndexPath: nil, pool: pool, logger: logger),
        mail: MailComposer(
            publicURL: configuration.publicURL, sealer: SecretBox(keyring: keyring),
            lockLinks: LockLinkSigner(secret: keyring.peppers[0].material)), clock: clock,
        revocations: RevocationBus(), cache: CredentialCache(lifetime: 30), keyring: keyring,
        settings: accountSettings, logger: logger, breaker: SignInBreaker(threshold: stuffingThreshold),
        metrics: metrics)
    let twoFactor = TwoFactorService(environment: environment)
    let recovery = RecoveryService(environment: environment)
    let releases = ReleaseService(
        environment: environment, artifactDirectory: folder.appendingPathComponent("releases").path,
        vulnerablePolicy: .everyone)
    let services = HubServices(
        environment: environment, accounts: AccountService(environment: environment),
        signIn: SignInService(environment: environment, secondFactors: twoFactor, recovery: recovery),
        devices: DeviceService(environment: environment), twoFactor: twoFactor, recovery: recovery,
        incidents: IncidentService(environment: environment),
        servers: ServerService(environment: environment, releases: releases), releases: releases,
        configuration: configuration)
    let runtime = HubRuntime(
        configuration: configuration, store: store, keyring: keyring, services: services, pool: pool, logger: logger,
        metricsEndpoint: endpoint)
    let hub = TestHub(runtime: runtime, clock: clock, hasher: hasher)
    // The background queue runs for the hub's life, as BackgroundWorkService runs it in `serve`.
    let background = Task { await environment.background.run() }
    do {
        try await body(hub)
    } catch {
        environment.background.finish()
        await background.value
        await cleanUp(store: store, schema: schema, pool: pool)
        throw error
    }
    environment.background.finish()
    await background.value
    await cleanUp(store: store, schema: schema, pool: pool)
}

private func cleanUp(store: SQLStore, schema: String?, pool: WorkPool) async {
    if let schema { try? await store.execute("DROP SCHEMA \(schema) CASCADE") }
    try? await store.shutdown()
    pool.shutdown()
}

extension TestHub {
    /// Runs requests against the hub's router in process.
    func withRouter(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = Application(router: HubApplication.makeRouter(runtime: runtime))
        try await app.test(.router) { client in try await body(client) }
    }
}

/// JSON helpers for router tests.
enum JSON {
    static func body(_ object: [String: Any]) -> ByteBuffer {
        ByteBuffer(bytes: (try? JSONSerialization.data(withJSONObject: object)) ?? Data())
    }

    static func object(_ response: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String: Any] ?? [:]
    }

    static var headers: HTTPFields { [.contentType: "application/json"] }

    /// The body with the per-request `request_id` taken out: two answers that must look alike to an outsider are
    /// compared on everything else (the id is random for every request, so it tells nothing).
    static func sansRequestID(_ response: TestResponse) -> String {
        String(buffer: response.body).replacingOccurrences(
            of: #","request_id":"[^"]*""#, with: "", options: .regularExpression)
    }

    static func bearer(_ token: String) -> HTTPFields {
        [.contentType: "application/json", .authorization: "Bearer " + token]
    }
}
