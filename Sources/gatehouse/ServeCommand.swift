import ArgumentParser
import Foundation
import GatehouseCore
import GatehouseHub
import GatehouseSettings
import GatehouseTLS
import Hummingbird

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the hub (accounts, sign-in, devices, mail).")

    @OptionGroup var hub: HubOptions

    @Option(help: "Address to listen on. Env: GATEHOUSE_HOST.")
    var host: String?

    @Option(help: "Port to listen on. Env: GATEHOUSE_PORT.")
    var port: Int?

    @Option(
        help: ArgumentHelp(
            "Serve https with this PEM certificate chain (leaf first); needs --tls-key. Reloaded with the key on "
                + "SIGHUP. Env: GATEHOUSE_TLS_CERT.",
            valueName: "file"))
    var tlsCert: String?

    @Option(
        help: ArgumentHelp(
            "The PEM private key of --tls-cert (unencrypted; keep it 0600). Env: GATEHOUSE_TLS_KEY.",
            valueName: "file"))
    var tlsKey: String?

    @Option(help: "Mail transport: file (.eml files in the data folder) or smtp. Env: GATEHOUSE_MAIL.")
    var mail: String?

    @Option(help: "SMTP server as host:port. Env: GATEHOUSE_SMTP.")
    var smtp: String?

    @Option(help: "SMTP security: none, starttls or tls. Env: GATEHOUSE_SMTP_SECURITY.")
    var smtpSecurity: String?

    @Option(help: "PEM file of CA certificates to trust for the SMTP server. Env: GATEHOUSE_SMTP_CA.")
    var smtpCA: String?

    @Option(help: "Sender address of mail. Env: GATEHOUSE_MAIL_FROM.")
    var mailFrom: String?

    @Flag(
        help: ArgumentHelp(
            "Deprecated, no effect: the first admin is made with the one-time setup link the hub prints at start "
                + "while it has no admin."))
    var firstAccountIsAdmin = false

    @Option(
        help: ArgumentHelp(
            "Who may sign up: invite (only with an invitation link; the default), open (anyone, with e-mail "
                + "verification) or closed (nobody; operators use gatehouse admin create). Env: GATEHOUSE_SIGN_UP.",
            valueName: "mode"))
    var signUp: String?

    @Flag(help: "Members, not only admins, may invite people. Env: GATEHOUSE_MEMBERS_CAN_INVITE=1.")
    var membersCanInvite = false

    @Option(
        help: ArgumentHelp(
            "A reverse proxy (IPv4 or IPv6 CIDR, e.g. 10.0.0.0/8, fd00::/8, 192.0.2.7) whose X-Forwarded-For is "
                + "believed; repeatable. The client is the right-most forwarded hop that is not a trusted proxy. "
                + "Env: GATEHOUSE_TRUSTED_PROXIES (comma-separated).",
            valueName: "cidr"))
    var trustedProxy: [String] = []

    @Flag(help: "Deprecated: the same as --trusted-proxy 127.0.0.0/8 --trusted-proxy ::1 (a proxy on this machine).")
    var trustForwardedFor = false

    @Option(
        help: ArgumentHelp(
            "What admins sign in with: password (a password, plus two-factor if on) or passkey (a passkey only; "
                + "their password sign-in is refused like a wrong password). Env: GATEHOUSE_ADMIN_CREDENTIAL.",
            valueName: "kind"))
    var adminCredential: String?

    @Option(
        help: ArgumentHelp(
            "on (default) or off: a sign-in from a device never seen on an account without two-factor sign-in needs a code mailed to the account.",
            valueName: "on|off"))
    var deviceVerification: String?

    @Option(
        help: ArgumentHelp(
            "Serve Prometheus metrics at /metrics on this port, on --metrics-address (loopback by default), apart "
                + "from the public port. Or set GATEHOUSE_METRICS_TOKEN to serve /metrics on the public port to that "
                + "bearer token. Neither: no metrics. Env: GATEHOUSE_METRICS_PORT.",
            valueName: "port"))
    var metricsPort: Int?

    @Option(
        help: ArgumentHelp(
            "Export traces over OTLP/HTTP to this collector URL (e.g. http://localhost:4318). Off when unset. "
                + "Env: GATEHOUSE_OTLP_ENDPOINT.",
            valueName: "url"))
    var otlpEndpoint: String?

    @Option(
        help: ArgumentHelp(
            "Trace at most this many requests a second (default 10), or `all`. A quiet hub traces every request; a "
                + "busy or flooded one no more than this. Env: GATEHOUSE_TRACE_RATE.",
            valueName: "n|all"))
    var traceRate: String?

    @Option(help: "Address of the metrics listener (default 127.0.0.1). Env: GATEHOUSE_METRICS_ADDRESS.")
    var metricsAddress: String?

    @Flag(help: "Add the /bench/hello reference route used by the benchmarks.")
    var benchmarkMode = false

    @Flag(
        help: ArgumentHelp(
            "Device-code sign-in (/link) accepts client_ids not registered with `gatehouse clients add`, shown as "
                + "unverified. Env: GATEHOUSE_ALLOW_UNREGISTERED_CLIENTS=1."))
    var allowUnregisteredClients = false

    func run() async throws {
        let settings = try await settings()
        let configuration = try makeConfiguration(settings)
        let logger = try HubOptions.makeLogger(settings: settings)
        if trustForwardedFor {
            logger.warning(
                "--trust-forwarded-for is deprecated: it now means --trusted-proxy 127.0.0.0/8 --trusted-proxy ::1")
        }
        if !configuration.trustedProxies.isEmpty {
            logger.info(
                "client addresses come from X-Forwarded-For behind trusted proxies",
                metadata: ["proxies": "\(configuration.trustedProxies.map(\.description).joined(separator: ", "))"])
        }
        if firstAccountIsAdmin {
            logger.warning(
                "--first-account-is-admin is deprecated and has no effect: open the setup link printed below to make the first admin"
            )
        }
        // The certificate is read before anything else opens, so a bad pair stops the start with its reason.
        let tls: ReloadableTLS?
        do {
            tls = try configuration.tls.map { try ReloadableTLS(files: $0) }
        } catch {
            throw ValidationError("TLS: \(error)")
        }
        let runtime = try await HubRuntime.open(configuration: configuration, logger: logger)
        logger.info("sign-up mode", metadata: ["mode": "\(configuration.signUpMode.rawValue)"])
        if let link = try await runtime.services.setup.issueLinkIfNoAdmin() {
            // On the console only (never in mail, the API or a page), and not through the logger, so log shipping
            // does not carry it: whoever reads the console owns the machine anyway.
            FileHandle.standardOutput.write(Data(Self.setupBanner(link: link).utf8))
        }
        let app = try HubApplication.make(runtime: runtime, tls: tls)
        try await app.runService()
        await runtime.shutdown()
    }

    /// What the console shows while the hub has no admin.
    static func setupBanner(link: String) -> String {
        """

        ==== Gatehouse setup ====
        This hub has no admin yet. Open this link to create the first admin account (it works once, for 24 hours;
        each start while there is no admin prints a new one and voids the old):

            \(link)

        =========================

        """
    }

    /// This command's flags as settings; the environment and the config file fill in the rest.
    var flags: [Settings.Key: Settings.FlagValue] {
        var flags: [Settings.Key: Settings.FlagValue] = [:]
        flags[.host] = host.map { .string($0) }
        flags[.port] = port.map { .int($0) }
        flags[.tlsCert] = tlsCert.map { .string($0) }
        flags[.tlsKey] = tlsKey.map { .string($0) }
        flags[.mail] = mail.map { .string($0) }
        flags[.smtp] = smtp.map { .string($0) }
        flags[.smtpSecurity] = smtpSecurity.map { .string($0) }
        flags[.smtpCA] = smtpCA.map { .string($0) }
        flags[.mailFrom] = mailFrom.map { .string($0) }
        flags[.signUp] = signUp.map { .string($0) }
        if membersCanInvite { flags[.membersCanInvite] = .bool(true) }
        if !trustedProxy.isEmpty { flags[.trustedProxies] = .strings(trustedProxy) }
        flags[.adminCredential] = adminCredential.map { .string($0) }
        flags[.deviceVerification] = deviceVerification.map { .string($0) }
        flags[.metricsPort] = metricsPort.map { .int($0) }
        flags[.otlpEndpoint] = otlpEndpoint.map { .string($0) }
        flags[.traceRate] = traceRate.map { .string($0) }
        flags[.metricsAddress] = metricsAddress.map { .string($0) }
        if allowUnregisteredClients { flags[.allowUnregisteredClients] = .bool(true) }
        return flags
    }

    /// The settings these flags, the environment and the config file give.
    func settings() async throws -> Settings {
        try await hub.settings(more: flags)
    }

    /// The configuration the settings describe (`gatehouse doctor` reads the same), with the flags that are not
    /// settings: deprecated ones and the benchmark route.
    func makeConfiguration(_ settings: Settings) throws -> HubConfiguration {
        var configuration = try HubOptions.configuration(from: settings)
        configuration.firstAccountIsAdmin = firstAccountIsAdmin
        configuration.benchmarkMode = benchmarkMode
        if trustForwardedFor {
            configuration.trustedProxies += IPNetwork.loopback.filter { !configuration.trustedProxies.contains($0) }
        }
        return configuration
    }
}
