import ArgumentParser
import Foundation
import GatehouseMedia
import Logging

/// `gatehouse media`: run a media server that serves its library to devices the hub authorized.
struct MediaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "media",
        abstract: "Run a media server: scan library folders and serve them to devices the hub authorized.",
        discussion: """
            On first start the server shows a claim code (log and http://HOST:PORT/); claim it with \
            `gatehouse servers claim CODE`. Example:
              gatehouse media --library Movies=/srv/movies --library /srv/Music --data /var/lib/gatehouse-media \\
                --hub https://hub.example --public-url http://den.local:32400
            """)

    /// Reported to the hub and shown on the status page.
    static let version = "0.1.0"

    @Option(
        name: .customLong("library"), help: "A library folder: NAME=PATH, or PATH (the folder name is the section).")
    var libraries: [String] = []

    @Option(help: "Data folder for the server credential, claim and library index.")
    var data: String = "gatehouse-media-data"

    @Option(help: "Address to bind.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to listen on.")
    var port: Int = 32400

    @Option(help: "Base URL of the Gatehouse hub.")
    var hub: String?

    @Option(help: "URL at which devices reach this server (sent to the hub when claiming).")
    var publicURL: String?

    @Option(help: "Name shown on the hub (default: host name).")
    var name: String?

    @Option(help: "Seconds between library rescans.")
    var rescanInterval: Double = 60

    @Option(
        help: ArgumentHelp(
            "Testing and benchmarks only: trust this Ed25519 public key (base64url, kid s1) instead of the hub's.",
            visibility: .hidden))
    var offlineKey: String?

    @Option(help: ArgumentHelp("Server id used with --offline-key.", visibility: .hidden))
    var offlineServerId: String = "offline"

    @Option(help: ArgumentHelp("Measure token verification: N verifications, then exit.", visibility: .hidden))
    var benchVerify: Int?

    func validate() throws {
        if benchVerify == nil {
            guard !libraries.isEmpty else { throw ValidationError("give at least one --library") }
            guard hub != nil || offlineKey != nil else { throw ValidationError("--hub is required") }
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
        var configuration = MediaServerConfiguration(
            sections: libraries.map(MediaServerConfiguration.Section.init(argument:)),
            dataFolder: data, host: host, port: port, hubURL: hub, publicURL: publicURL, name: name,
            version: Self.version, rescanInterval: rescanInterval)
        if let offlineKey {
            configuration.offline = try .init(serverID: offlineServerId, publicKeyBase64URL: offlineKey)
            configuration.hubURL = nil
            logger.warning("offline mode: no hub, no claim, no revocations; for testing only")
        }
        let app = try await buildMediaServer(configuration: configuration, logger: logger)
        try await app.runService()
    }
}
