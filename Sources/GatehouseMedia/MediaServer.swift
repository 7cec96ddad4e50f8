import AsyncHTTPClient
import Foundation
import GatehouseCore
import GatehouseReleases
import GatehouseTLS
import Hummingbird
import Logging
import NIOSSL
import ServiceLifecycle

/// Errors building a media server from its configuration.
public enum MediaServerConfigurationError: Error, Equatable, CustomStringConvertible {
    case noHub
    case insecureHub(String)
    case duplicateSection(String)
    case missingFolder(String)
    case tls(TLSSetupError)
    case hubCA(path: String, reason: String)

    public var description: String {
        switch self {
        case .noHub: "a hub URL is required (--hub)"
        case .insecureHub(let url):
            "refusing the hub URL \(url): a hub that is not on this machine must be reached over https:// "
                + "(http:// is accepted only for localhost, 127.0.0.1 and [::1]), so the network cannot answer for it"
        case .duplicateSection(let name): "two library folders are named \(name)"
        case .missingFolder(let path): "library folder not found: \(path)"
        case .tls(let error): "TLS: \(error)"
        case .hubCA(let path, let reason): "--hub-ca \(path): \(reason)"
        }
    }
}

/// Builds the media server application: routes plus its background services (claim and heartbeat, key refresh,
/// revocation stream, library rescans). Run it with `try await app.runService()`.
public func buildMediaServer(
    configuration: MediaServerConfiguration, logger: Logger
) async throws -> some ApplicationProtocol {
    let server = try await MediaServer(configuration: configuration, logger: logger)
    return server.makeApplication()
}

/// How a media server run ended.
public enum MediaServerExit: Sendable, Equatable {
    /// Shut down (a signal).
    case stopped
    /// An update was installed and `current` switched: the supervisor should restart into it.
    case updateStaged
}

/// Runs the media server until a signal stops it or its updater stages a new version. Staging shuts the server
/// down gracefully (requests in flight finish) before returning `.updateStaged`.
public func runMediaServer(configuration: MediaServerConfiguration, logger: Logger) async throws -> MediaServerExit {
    let server = try await MediaServer(configuration: configuration, logger: logger)
    let app = server.makeApplication()
    guard let updater = server.makeUpdateService() else {
        try await app.runService()
        return .stopped
    }
    let group = ServiceGroup(
        configuration: .init(
            services: [
                .init(service: app),
                .init(service: updater, successTerminationBehavior: .gracefullyShutdownGroup),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    try await group.run()
    return updater.hasStagedUpdate ? .updateStaged : .stopped
}

/// The media server's parts, wired from a configuration. Tests build one and drive its parts directly.
final class MediaServer: Sendable {
    let configuration: MediaServerConfiguration
    let logger: Logger
    let identity: ServerIdentity
    let revocations: RevocationState
    let keys: MediaKeyRing
    let verifier: MediaTokenVerifier
    /// Checks DPoP proofs for tokens bound to a device key (`cnf.jkt`); its replay cache is this process's.
    let dpop = DPoPVerifier(replay: DPoPReplayCache(), nonces: nil)
    let library: LibraryIndex
    let hub: HubClient?
    let httpClient: HTTPClient?
    let credentialStore: ServerCredentialStore
    let credential: CredentialHolder
    /// What the owner must know about trust in the hub (status page and console).
    let alerts: TrustAlerts
    /// Who may see the claim code (docs/media-protocol.md, "Claim").
    let claimCodeGuard: ClaimCodeGuard
    /// Streams and bytes, for `--metrics-port`.
    let metrics = MediaMetrics()
    /// The certificate of the media port when it speaks TLS (`--tls-cert`), reloaded on SIGHUP.
    let tls: ReloadableTLS?

    init(
        configuration: MediaServerConfiguration, logger: Logger, keySource: (any HubKeySource)? = nil,
        probe: MediaProbe? = nil
    ) async throws {
        self.configuration = configuration
        self.logger = logger
        var names = Set<String>()
        for section in configuration.sections {
            guard names.insert(section.name).inserted else {
                throw MediaServerConfigurationError.duplicateSection(section.name)
            }
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: section.path, isDirectory: &isFolder), isFolder.boolValue
            else { throw MediaServerConfigurationError.missingFolder(section.path) }
        }
        if let files = configuration.tls {
            do {
                tls = try ReloadableTLS(files: files)
            } catch {
                throw MediaServerConfigurationError.tls(error)
            }
        } else {
            tls = nil
        }
        let dataFolder = URL(fileURLWithPath: configuration.dataFolder, isDirectory: true)
        try FileManager.default.createDirectory(
            at: dataFolder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        credentialStore = ServerCredentialStore(dataFolder: dataFolder)
        revocations = RevocationState()
        let holder = CredentialHolder()
        credential = holder
        let alerts = TrustAlerts(logger: logger)
        self.alerts = alerts
        claimCodeGuard = ClaimCodeGuard(publicURL: configuration.publicURL, bindHost: configuration.host)
        var pinning: MediaKeyRing.Pinning?

        let source: any HubKeySource
        if let offline = configuration.offline {
            identity = ServerIdentity(.claimed(serverID: offline.serverID, ownerID: "", name: configuration.name))
            source = keySource ?? StaticHubKeySource(keys: offline.keys)
            hub = nil
            httpClient = nil
        } else {
            guard let hubURL = configuration.hubURL else { throw MediaServerConfigurationError.noHub }
            try MediaServerConfiguration.checkHubURL(hubURL)
            let client = HTTPClient(
                eventLoopGroupProvider: .singleton,
                configuration: .init(
                    tlsConfiguration: try configuration.hubCAFile.map(Self.hubTLSConfiguration(caFile:)),
                    timeout: .init(connect: .seconds(10), read: .seconds(45))))
            let hubClient = HubClient(baseURL: hubURL, client: client)
            httpClient = client
            hub = hubClient
            source = keySource ?? hubClient
            holder.set(try ServerCredentialStore(dataFolder: dataFolder).loadOrCreateCredential())
            let claimed: ServerIdentity
            if let record = ServerCredentialStore(dataFolder: dataFolder).loadClaim() {
                claimed = ServerIdentity(.claimed(serverID: record.serverID, ownerID: record.ownerID, name: record.name))
            } else {
                claimed = ServerIdentity()
            }
            identity = claimed
            pinning = MediaKeyRing.Pinning(
                store: ServerCredentialStore(dataFolder: dataFolder).keyPin, alerts: alerts,
                isClaimed: { claimed.serverID != nil })
        }
        let ring =
            if let pinning {
                MediaKeyRing(
                    source: source, pinning: pinning, logger: logger,
                    unknownKeyRefetchInterval: configuration.keyRefetchInterval)
            } else {
                MediaKeyRing(
                    source: source, logger: logger, unknownKeyRefetchInterval: configuration.keyRefetchInterval)
            }
        keys = ring
        verifier = MediaTokenVerifier(keys: ring, revocations: revocations, identity: identity)
        let sections = configuration.sections.map { LibrarySection(name: $0.name, path: $0.path, kind: $0.kind) }
        library = LibraryIndex(
            sections: sections,
            scanner: LibraryScanner(
                probe: probe ?? MediaProbe.locate(path: ProcessInfo.processInfo.environment["PATH"])),
            indexFile: dataFolder.appendingPathComponent("library.json"), logger: logger)
        library.load()
        if configuration.offline != nil {
            await ring.refresh()
        }
    }

    /// The client TLS settings for a hub whose certificate comes from the CAs in `caFile` (a household CA, or the
    /// hub's own self-signed certificate): those CAs replace the system's roots for the hub, and the host name is
    /// still checked against the certificate.
    static func hubTLSConfiguration(caFile: String) throws(MediaServerConfigurationError) -> TLSConfiguration {
        guard FileManager.default.isReadableFile(atPath: caFile) else {
            throw .hubCA(path: caFile, reason: "cannot read it")
        }
        let roots: [NIOSSLCertificate]
        do {
            roots = try NIOSSLCertificate.fromPEMFile(caFile)
        } catch {
            throw .hubCA(path: caFile, reason: "not a PEM bundle of certificates")
        }
        guard !roots.isEmpty else { throw .hubCA(path: caFile, reason: "holds no PEM certificate") }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(roots)
        tls.minimumTLSVersion = .tlsv12
        return tls
    }

    /// The background services, in start order.
    func makeServices() -> [any Service] {
        var services: [any Service] = []
        if let tls {
            tls.logServing(logger: logger, listener: "\(configuration.host):\(configuration.port)")
            services.append(TLSReloadService(certificates: [tls], logger: logger))
        }
        if let port = configuration.metricsPort {
            let router = Router()
            let metrics = metrics
            let library = library
            router.get("/metrics") { _, _ in metrics.render(libraryItems: library.itemCount) }
            services.append(
                Application(
                    router: router,
                    configuration: .init(address: .hostname(configuration.metricsHost, port: port), serverName: nil),
                    logger: logger))
        }
        if let httpClient {
            services.append(HTTPClientShutdownService(client: httpClient))
        }
        let library = library
        services.append(
            PeriodicService(interval: configuration.rescanInterval, runImmediately: true) { await library.rescan() })
        let keys = keys
        let revocations = revocations
        if let hub {
            services.append(
                ClaimService(
                    hub: hub, store: credentialStore, identity: identity, credential: credential,
                    serverName: configuration.name, version: configuration.version, platform: Self.platform,
                    publicURL: configuration.publicURL, keys: keys, alerts: alerts, logger: logger,
                    heartbeatInterval: configuration.heartbeatInterval))
            // Fetched in the background so an unreachable hub never delays the start.
            services.append(PeriodicService(interval: 600, runImmediately: true) { await keys.refresh() })
            services.append(
                RevocationStreamService(
                    hub: hub, identity: identity, credential: credential, revocations: revocations, logger: logger,
                    keys: keys))
            services.append(
                PeriodicService(interval: 600, runImmediately: false) {
                    let horizon = 2 * (MediaTokenVerifier.maximumLifetime + MediaTokenVerifier.leeway)
                    revocations.prune(before: Int64(Date().timeIntervalSince1970 * 1000) - horizon * 1000)
                })
        }
        return services
    }

    /// The updater, when updates are configured and a hub is used.
    func makeUpdateService() -> UpdateService? {
        guard let settings = configuration.updates, let hub else { return nil }
        guard let running = SemanticVersion(configuration.version) else {
            logger.warning("updates off: the running version is not a release version", metadata: [
                "version": "\(configuration.version)"
            ])
            return nil
        }
        return UpdateService(
            hub: hub, credential: credential, settings: settings, running: running,
            dataFolder: configuration.dataFolder, alerts: alerts, logger: logger)
    }

    func makeRouter() -> Router<MediaRequestContext> {
        let router = Router(context: MediaRequestContext.self)
        MediaRoutes(server: self).register(on: router)
        return router
    }

    func makeApplication() -> some ApplicationProtocol {
        Application(
            router: makeRouter(),
            server: .http1(tls: tls),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: "gatehouse-media"),
            services: makeServices(),
            logger: logger)
    }

    /// `os-arch`, e.g. `linux-x86_64`.
    static var platform: String {
        var info = utsname()
        uname(&info)
        let machine = withUnsafeBytes(of: &info.machine) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        #if os(Linux)
        return "linux-\(machine)"
        #else
        return "darwin-\(machine)"
        #endif
    }
}

/// Shuts the shared HTTP client down after the other services stopped.
struct HTTPClientShutdownService: Service {
    let client: HTTPClient

    func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }
}
