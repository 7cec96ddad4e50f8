import Argon2
import Foundation
import GatehouseCore
import GatehouseStore
import Logging

/// The composition root: opens the data folder, keyring and database, and builds every domain service.
/// `gatehouse serve` wraps it in an HTTP application; operator commands (`admin`, `incident`, `audit`) use it
/// directly on the same database.
public struct HubRuntime: Sendable {
    public let configuration: HubConfiguration
    public let store: SQLStore
    public let keyring: Keyring
    public let services: HubServices
    public let pool: WorkPool
    public let logger: Logger
    /// The Prometheus registry behind `/metrics`, when metrics are on.
    public var metricsEndpoint: MetricsEndpoint? = nil
    /// Whether the keyring is the one the database was written with (checked at every open).
    public internal(set) var keyringVerdict: KeyringCheck.Verdict = .unknown
    /// The shared lock on a SQLite database (see ``DatabaseLock``); nil on PostgreSQL.
    var databaseLock: DatabaseLock? = nil

    /// Opens everything, creating the data folder, keyring and database on first run.
    ///
    /// - Throws: ``Argon2PasswordHasher/WeakSettings`` before touching anything when the Argon2 settings are below
    ///   OWASP's minimum and ``HubConfiguration/allowWeakArgon2`` is not set.
    public static func open(configuration: HubConfiguration, logger: Logger) async throws -> HubRuntime {
        let parameters = try argon2Parameters(configuration: configuration, logger: logger)
        let manager = FileManager.default
        try manager.createDirectory(
            atPath: configuration.dataDirectory, withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        let keyringPath = configuration.resolvedKeyringPath
        let (keyring, created) = try Keyring.loadOrCreate(at: keyringPath)
        if created {
            logger.notice(
                "created a new keyring (keep it safe and out of backups of the database)",
                metadata: ["path": "\(keyringPath)"])
        } else {
            logger.info("keyring loaded", metadata: ["path": "\(keyringPath)"])
        }
        // A restore in progress holds this lock exclusively: opening the database under it would race the swap.
        let databaseLock = try DatabaseLock.sqlitePath(ofURL: configuration.resolvedDatabaseURL).map {
            try DatabaseLock(databasePath: $0, exclusive: false)
        }
        let store = try await SQLStore.open(url: configuration.resolvedDatabaseURL, logger: logger)
        logger.info(
            "database ready",
            metadata: ["dialect": "\(store.dialectName)", "url": "\(redacted(configuration.resolvedDatabaseURL))"])
        let keyringVerdict = try await store.checkKeyring(keyring)
        if keyringVerdict.isMismatch {
            // Said at every start, loudly: a database restored without its keyring (or a wrong --keyring) comes up,
            // but no password, device, two-factor secret, recovery code or mailed link made before verifies.
            let message =
                "\(keyringVerdict). Restore the keyring that was exported with this database (gatehouse restore "
                + "--keys FILE, or gatehouse keys import), or every person must reset their password"
            logger.critical("\(message)", metadata: ["keyring": "\(keyringPath)"])
        }
        // One bounded pool for the CPU-heavy password work: Argon2 and the password policy's strength estimate.
        let endpoint = configuration.metricsEnabled ? MetricsEndpoint() : nil
        let metrics = endpoint?.metrics ?? .disabled
        let pool = WorkPool(
            threads: ProcessInfo.processInfo.activeProcessorCount, queueLimit: configuration.hashQueueLimit,
            observer: endpoint == nil
                ? nil : WorkPool.Observer(waited: { metrics.hashWaited($0) }, rejected: { metrics.hashRejected() }))
        let hasher = try Argon2PasswordHasher(keyring: keyring, parameters: parameters, pool: pool, logger: logger)
        let rules = try PolicyRules.make(
            breachIndexPath: configuration.breachIndexPath, rangeURL: configuration.pwnedRangeURL,
            fetcher: RangeAPIFetcher(), failsClosed: configuration.breachCheckFailsClosed, pool: pool, logger: logger)
        let environment = HubEnvironment(
            store: store, hasher: hasher, rules: rules,
            mail: MailComposer(
                publicURL: configuration.publicURL, sealer: SecretBox(keyring: keyring),
                lockLinks: LockLinkSigner(secret: keyring.peppers[0].material)),
            clock: SystemWallClock(), revocations: RevocationBus(),
            cache: CredentialCache(lifetime: configuration.credentialCacheSeconds), keyring: keyring,
            settings: AccountSettings(
                signUpMode: configuration.signUpMode, membersCanInvite: configuration.membersCanInvite,
                deviceLifetimes: configuration.deviceLifetimes,
                adminsNeedPasskey: configuration.adminsNeedPasskey,
                deviceVerification: configuration.deviceVerification),
            logger: logger, breaker: SignInBreaker(threshold: configuration.stuffingThreshold), metrics: metrics)
        let twoFactor = TwoFactorService(environment: environment)
        let recovery = RecoveryService(environment: environment)
        let releases = ReleaseService(
            environment: environment,
            artifactDirectory: (configuration.dataDirectory as NSString).appendingPathComponent("releases"),
            vulnerablePolicy: configuration.vulnerableServerAccess)
        let services = HubServices(
            environment: environment, accounts: AccountService(environment: environment),
            signIn: SignInService(
                environment: environment, secondFactors: twoFactor, recovery: recovery,
                breachCheck: rules.breachCheck),
            devices: DeviceService(environment: environment), twoFactor: twoFactor, recovery: recovery,
            incidents: IncidentService(environment: environment),
            servers: ServerService(environment: environment, releases: releases), releases: releases,
            configuration: configuration)
        return HubRuntime(
            configuration: configuration, store: store, keyring: keyring, services: services, pool: pool,
            logger: logger, metricsEndpoint: endpoint, keyringVerdict: keyringVerdict,
            databaseLock: databaseLock)
    }

    /// The Argon2 parameters for new hashes, refused below OWASP's minimum unless the weak-settings override is set
    /// (then logged loudly, at every start).
    static func argon2Parameters(configuration: HubConfiguration, logger: Logger) throws -> Argon2.Parameters {
        let parameters = Argon2.Parameters(
            memoryKiB: configuration.argon2MemoryKiB, iterations: configuration.argon2Iterations, parallelism: 1)
        do {
            try Argon2PasswordHasher.checkSettings(parameters)
        } catch {
            guard configuration.allowWeakArgon2 else {
                logger.critical("refusing to start: \(error)")
                throw error
            }
            // Still refuses invalid or over-limit settings: the override is about strength only.
            try Argon2PasswordHasher.checkSettings(parameters, allowWeak: true)
            let warning =
                "WEAK ARGON2 SETTINGS: password hashes are cheaper to crack than OWASP's minimum allows; "
                + "GATEHOUSE_ARGON2_ALLOW_WEAK is for tests and development only, never production"
            logger.error(
                "\(warning)",
                metadata: [
                    "memory_kib": "\(parameters.memoryKiB)", "iterations": "\(parameters.iterations)",
                ])
        }
        return parameters
    }

    /// Closes the database and stops the hashing threads.
    public func shutdown() async {
        try? await store.shutdown()
        pool.shutdown()
    }

    /// A database URL without its password, for logs.
    static func redacted(_ url: String) -> String {
        guard let at = url.firstIndex(of: "@"), let scheme = url.range(of: "://") else { return url }
        let credentials = url[scheme.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":***" + String(url[at...])
    }
}
