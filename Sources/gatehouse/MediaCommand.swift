import ArgumentParser
import Foundation
import GatehouseMedia
import GatehouseReleases
import GatehouseSettings
import GatehouseTLS
import Logging

/// `gatehouse media`: run a media server that serves its library to devices the hub authorized.
struct MediaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "media",
        abstract: "Run a media server: scan library folders and serve them to devices the hub authorized.",
        discussion: """
            On first start the server shows a claim code (log, and http://localhost:PORT/ on its own machine); \
            claim it with `gatehouse servers claim CODE`. A hub on another machine must be an https:// URL. It keeps itself patched: with the hub's release key pinned \
            (--release-key), it installs security fixes by default (--updates all|notify to change), restarting \
            into the new version and switching back if it fails its health check. Example:
              gatehouse media --library Movies=/srv/movies --library /srv/Music --data /var/lib/gatehouse-media \\
                --hub https://hub.example --public-url http://den.local:32400 --release-key r1:BASE64URL
            """)

    /// Reported to the hub and shown on the status page.
    static let version = "0.1.0"

    /// The version this process reports: `version`, unless the environment variable `GATEHOUSE_VERSION_OVERRIDE`
    /// names another release version. A testing aid only: it lets a test build pose as version A or B of the
    /// update tests (docs/update-protocol.md); nothing else depends on it.
    static func reportedVersion(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let override = environment["GATEHOUSE_VERSION_OVERRIDE"], SemanticVersion(override) != nil {
            return override
        }
        return version
    }

    @Option(
        name: .customLong("library"), help: "A library folder: NAME=PATH, or PATH (the folder name is the section).")
    var libraries: [String] = []

    @Option(help: "Data folder for the server credential, claim and library index.")
    var data: String = "gatehouse-media-data"

    @Option(help: "Address to bind.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to listen on.")
    var port: Int = 32400

    @Option(help: "Base URL of the Gatehouse hub: https://, or http:// only to this machine (localhost).")
    var hub: String?

    @Option(help: "URL at which devices reach this server (sent to the hub when claiming).")
    var publicURL: String?

    @Option(
        help: ArgumentHelp(
            "Serve https with this PEM certificate chain (leaf first); needs --tls-key. Reloaded with the key on "
                + "SIGHUP. Env: GATEHOUSE_MEDIA_TLS_CERT.",
            valueName: "file"))
    var tlsCert: String?

    @Option(
        help: ArgumentHelp(
            "The PEM private key of --tls-cert (unencrypted; keep it 0600). Env: GATEHOUSE_MEDIA_TLS_KEY.",
            valueName: "file"))
    var tlsKey: String?

    @Option(
        help: ArgumentHelp(
            "Trust only the CA certificates in this PEM bundle for an https:// hub (a household CA, or the hub's "
                + "self-signed certificate) instead of the system's roots. Env: GATEHOUSE_MEDIA_HUB_CA.",
            valueName: "file"))
    var hubCa: String?

    @Option(help: "Name shown on the hub (default: host name).")
    var name: String?

    @Option(help: "Seconds between library rescans.")
    var rescanInterval: Double = 60

    @Option(help: "Serve Prometheus metrics (streams, bytes) at /metrics on this loopback port, apart from --port.")
    var metricsPort: Int?

    @Option(help: "Automatic updates: security (install security fixes), all (every newer release) or notify.")
    var updates: String = UpdatePolicy.security.rawValue

    @Option(help: "Release channel to follow: stable or beta (beta also takes stable releases).")
    var updateChannel: String = "stable"

    @Option(
        help: ArgumentHelp(
            "The release key to pin, ID:BASE64URL (printed by `gatehouse releases keygen`); needed to install updates.",
            valueName: "id:key"))
    var releaseKey: String?

    @Option(help: "Seconds between update checks.")
    var updateInterval: Double = 3600

    @Option(help: ArgumentHelp("Seconds from start to the first update check.", visibility: .hidden))
    var updateFirstCheck: Double = 10

    @Option(help: ArgumentHelp("Seconds a new version has to pass its health check.", visibility: .hidden))
    var healthTimeout: Double = 30

    @Option(help: ArgumentHelp("Seconds between heartbeats to the hub.", visibility: .hidden))
    var heartbeatInterval: Double = 30

    @Option(help: ArgumentHelp("Least seconds between key fetches for unknown key ids.", visibility: .hidden))
    var keyRefetchInterval: Double = 30

    @Flag(help: ArgumentHelp("Run the server itself (the supervisor starts it so).", visibility: .hidden))
    var serve = false

    @Option(
        help: ArgumentHelp(
            "Testing and benchmarks only: trust this Ed25519 public key (base64url, kid s1) instead of the hub's.",
            visibility: .hidden))
    var offlineKey: String?

    @Option(help: ArgumentHelp("Server id used with --offline-key.", visibility: .hidden))
    var offlineServerId: String = "offline"

    @Option(help: ArgumentHelp("Measure token verification: N verifications, then exit.", visibility: .hidden))
    var benchVerify: Int?

    /// The settings these flags and the environment give (`gatehouse media` reads no config file).
    var settings: Settings {
        var flags: [Settings.Key: Settings.FlagValue] = [:]
        flags[.mediaTlsCert] = tlsCert.map { .string($0) }
        flags[.mediaTlsKey] = tlsKey.map { .string($0) }
        flags[.mediaHubCa] = hubCa.map { .string($0) }
        return Settings(flags: flags)
    }

    /// `--tls-cert`/`--tls-key` or their environment variables: both or neither.
    func tlsFiles() throws -> TLSCertificateFiles? {
        do {
            return try TLSCertificateFiles.pair(
                certificate: settings.string(.mediaTlsCert), key: settings.string(.mediaTlsKey))
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// `--hub-ca` or GATEHOUSE_MEDIA_HUB_CA (empty: none).
    func hubCAFile() throws -> String? {
        do {
            return try settings.string(.mediaHubCa).flatMap { $0.isEmpty ? nil : $0 }
        } catch {
            throw ValidationError("\(error)")
        }
    }

    func validate() throws {
        if benchVerify == nil {
            _ = try tlsFiles()
            guard !libraries.isEmpty else { throw ValidationError("give at least one --library") }
            guard hub != nil || offlineKey != nil else { throw ValidationError("--hub is required") }
            if let hub, offlineKey == nil {
                do {
                    try MediaServerConfiguration.checkHubURL(hub)
                } catch {
                    throw ValidationError("\(error)")
                }
            }
            guard UpdatePolicy(rawValue: updates) != nil else {
                throw ValidationError("--updates is security, all or notify")
            }
            guard ["stable", "beta"].contains(updateChannel) else {
                throw ValidationError("--update-channel is stable or beta")
            }
            if let releaseKey, MediaServerConfiguration.Updates.releaseKey(argument: releaseKey) == nil {
                throw ValidationError("--release-key is ID:BASE64URL of a 32-byte Ed25519 public key")
            }
            guard updateInterval >= 1 else { throw ValidationError("--update-interval is at least 1 second") }
        }
    }

    func run() async throws {
        if let iterations = benchVerify {
            let result = MediaTokenBenchmark.run(iterations: max(1, iterations))
            print(result.report)
            return
        }
        var logger = Logger(label: "gatehouse.media")
        logger.logLevel = .info
        // Offline mode has no hub and so no updates: it runs the server in this process.
        if !serve && offlineKey == nil {
            logger = Logger(label: "gatehouse.media.supervisor")
            logger.logLevel = .info
            let tls = try tlsFiles() != nil
            throw ExitCode(await makeSupervisor(logger: logger, tls: tls).run())
        }
        var configuration = MediaServerConfiguration(
            sections: libraries.map(MediaServerConfiguration.Section.init(argument:)),
            dataFolder: data, host: host, port: port, hubURL: hub, publicURL: publicURL, name: name,
            version: Self.reportedVersion(), rescanInterval: rescanInterval)
        configuration.tls = try tlsFiles()
        configuration.hubCAFile = try hubCAFile()
        configuration.heartbeatInterval = max(0.5, heartbeatInterval)
        configuration.metricsPort = metricsPort
        configuration.keyRefetchInterval = max(0.5, keyRefetchInterval)
        configuration.updates = .init(
            policy: UpdatePolicy(rawValue: updates) ?? .security, channel: updateChannel,
            releaseKey: releaseKey.flatMap(MediaServerConfiguration.Updates.releaseKey(argument:)),
            checkInterval: updateInterval, firstCheckDelay: updateFirstCheck, isSupervised: serve)
        if let offlineKey {
            configuration.offline = try .init(serverID: offlineServerId, publicKeyBase64URL: offlineKey)
            configuration.hubURL = nil
            configuration.updates = nil
            logger.warning("offline mode: no hub, no claim, no revocations; for testing only")
        }
        if try await runMediaServer(configuration: configuration, logger: logger) == .updateStaged {
            throw ExitCode(MediaSupervisor.updateStagedExitCode)
        }
    }

    /// The supervisor runs this same command with `--serve` added, from the installed build when there is one.
    private func makeSupervisor(logger: Logger, tls: Bool) -> MediaSupervisor {
        let arguments = Array(CommandLine.arguments.dropFirst()) + ["--serve"]
        let own =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? Bundle.main.executablePath ?? CommandLine.arguments[0]
        let probeHost: String
        switch host {
        case "0.0.0.0", "": probeHost = "127.0.0.1"
        case "::": probeHost = "[::1]"
        default: probeHost = host.contains(":") ? "[\(host)]" : host
        }
        var supervisor = MediaSupervisor(
            ownExecutable: own, childArguments: arguments, dataFolder: data,
            healthURL: "\(tls ? "https" : "http")://\(probeHost):\(port)/healthz", healthTimeout: healthTimeout,
            logger: logger)
        // The child reloads its certificate on SIGHUP; the supervisor passes the signal on.
        supervisor.forwardsHangup = tls
        return supervisor
    }
}
