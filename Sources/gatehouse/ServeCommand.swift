import ArgumentParser
import Foundation
import GatehouseCore
import GatehouseHub
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
        let configuration = try makeConfiguration()
        let logger = hub.makeLogger()
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

    /// The configuration these flags and the environment describe (`gatehouse doctor` reads the same).
    func makeConfiguration() throws -> HubConfiguration {
        let env = ProcessInfo.processInfo.environment
        let port = port ?? env["GATEHOUSE_PORT"].flatMap(Int.init) ?? 8080
        var configuration = hub.configuration(port: port, host: host ?? env["GATEHOUSE_HOST"] ?? "127.0.0.1")
        try Self.applyTLS(
            to: &configuration, certificate: tlsCert ?? env["GATEHOUSE_TLS_CERT"],
            key: tlsKey ?? env["GATEHOUSE_TLS_KEY"],
            publicURLGiven: (hub.publicURL ?? env["GATEHOUSE_PUBLIC_URL"]) != nil)
        configuration.firstAccountIsAdmin = firstAccountIsAdmin
        if let mode = signUp ?? env["GATEHOUSE_SIGN_UP"] {
            guard let value = SignUpMode(rawValue: mode) else {
                throw ValidationError("--sign-up is invite, open or closed")
            }
            configuration.signUpMode = value
        }
        configuration.membersCanInvite = membersCanInvite || env["GATEHOUSE_MEMBERS_CAN_INVITE"] == "1"
        configuration.trustedProxies = try Self.trustedProxies(
            options: trustedProxy, environment: env["GATEHOUSE_TRUSTED_PROXIES"], loopback: trustForwardedFor)
        configuration.benchmarkMode = benchmarkMode
        configuration.allowUnregisteredClients =
            allowUnregisteredClients || env["GATEHOUSE_ALLOW_UNREGISTERED_CLIENTS"] == "1"
        switch deviceVerification ?? env["GATEHOUSE_DEVICE_VERIFICATION"] ?? "on" {
        case "on": configuration.deviceVerification = true
        case "off": configuration.deviceVerification = false
        default: throw ValidationError("--device-verification is on or off")
        }
        switch adminCredential ?? env["GATEHOUSE_ADMIN_CREDENTIAL"] ?? "password" {
        case "password": configuration.adminsNeedPasskey = false
        case "passkey": configuration.adminsNeedPasskey = true
        default: throw ValidationError("--admin-credential is password or passkey")
        }
        if let transport = (mail ?? env["GATEHOUSE_MAIL"]) {
            guard let value = MailSettings.Transport(rawValue: transport) else {
                throw ValidationError("--mail is file or smtp")
            }
            configuration.mail.transport = value
        }
        if let smtp = smtp ?? env["GATEHOUSE_SMTP"] {
            let parts = smtp.split(separator: ":")
            configuration.mail.smtpHost = String(parts[0])
            if parts.count > 1, let port = Int(parts[1]) { configuration.mail.smtpPort = port }
        }
        if let security = smtpSecurity ?? env["GATEHOUSE_SMTP_SECURITY"] {
            guard let value = MailSettings.Security(rawValue: security) else {
                throw ValidationError("--smtp-security is none, starttls or tls")
            }
            configuration.mail.smtpSecurity = value
        }
        configuration.mail.smtpCAFile = smtpCA ?? env["GATEHOUSE_SMTP_CA"]
        configuration.mail.smtpUsername = env["GATEHOUSE_SMTP_USERNAME"]
        configuration.mail.smtpPassword = env["GATEHOUSE_SMTP_PASSWORD"]
        if let from = mailFrom ?? env["GATEHOUSE_MAIL_FROM"] { configuration.mail.from = from }
        if let retry = env["GATEHOUSE_MAIL_RETRY_SECONDS"].flatMap(Double.init) {
            configuration.mail.retryBaseSeconds = retry
        }
        configuration.deviceLifetimes = try Self.deviceLifetimes(env)
        if let text = env["GATEHOUSE_STUFFING_THRESHOLD"] {
            guard let value = Int(text), value >= 0 else {
                throw ValidationError("GATEHOUSE_STUFFING_THRESHOLD is a number of failed sign-ins per minute (0: off)")
            }
            configuration.stuffingThreshold = value
        }
        if let text = env["GATEHOUSE_DPOP_REQUIRE_NONCE"] {
            guard ["0", "1", "true", "false"].contains(text) else {
                throw ValidationError("GATEHOUSE_DPOP_REQUIRE_NONCE is 1 (proofs must carry the hub's nonce) or 0")
            }
            configuration.dpopRequireNonce = text == "1" || text == "true"
        }
        if let text = env["GATEHOUSE_REVOCATION_NOTIFY"] {
            guard ["on", "off"].contains(text) else {
                throw ValidationError("GATEHOUSE_REVOCATION_NOTIFY is on (the default) or off (poll only)")
            }
            configuration.revocationNotify = text == "on"
        }
        if let text = env["GATEHOUSE_OUTBOX_LEASE_SECONDS"] {
            guard let seconds = Double(text), seconds >= 30, seconds <= 86_400 else {
                throw ValidationError("GATEHOUSE_OUTBOX_LEASE_SECONDS is a number of seconds from 30 to 86400")
            }
            configuration.outboxLeaseSeconds = seconds
        }
        if let text = env["GATEHOUSE_DPOP_REPLAY"] {
            guard ["memory", "database"].contains(text) else {
                throw ValidationError(
                    "GATEHOUSE_DPOP_REPLAY is memory (this process, the default) or database (all instances)")
            }
            configuration.dpopSharedReplay = text == "database"
        }
        if let text = env["GATEHOUSE_AUDIT_CHECKPOINT_INTERVAL"] {
            guard let seconds = Double(text), seconds >= 0, seconds.isFinite else {
                throw ValidationError("GATEHOUSE_AUDIT_CHECKPOINT_INTERVAL is a number of seconds (0: off)")
            }
            configuration.auditCheckpointInterval = seconds
        }
        configuration.metricsPort = metricsPort ?? env["GATEHOUSE_METRICS_PORT"].flatMap(Int.init)
        if let endpoint = otlpEndpoint ?? env["GATEHOUSE_OTLP_ENDPOINT"], !endpoint.isEmpty {
            guard endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://") else {
                throw ValidationError("--otlp-endpoint is an http:// or https:// URL of an OTLP/HTTP collector")
            }
            configuration.otlpEndpoint = endpoint
        }
        if let text = traceRate ?? env["GATEHOUSE_TRACE_RATE"] {
            if text == "all" {
                configuration.tracesPerSecond = nil
            } else if let rate = Int(text), rate >= 1, rate <= 1_000_000 {
                configuration.tracesPerSecond = rate
            } else {
                throw ValidationError("--trace-rate is a number of requests a second (at least 1), or `all`")
            }
        }
        if let address = metricsAddress ?? env["GATEHOUSE_METRICS_ADDRESS"] { configuration.metricsHost = address }
        if let token = env["GATEHOUSE_METRICS_TOKEN"] {
            // A bearer token on the public port: long enough that guessing it is hopeless.
            guard token.utf8.count >= 32 else {
                throw ValidationError("GATEHOUSE_METRICS_TOKEN must be at least 32 characters")
            }
            configuration.metricsToken = token
        }
        return configuration
    }

    /// `--tls-cert`/`--tls-key`: both or neither, and a public URL that agrees. With TLS on, the default public URL
    /// becomes `https://localhost:PORT`; an explicit `http://` one is refused, since links in mail, the cookies'
    /// origin checks and the WebAuthn origin all come from it and would name a scheme the hub does not serve.
    static func applyTLS(
        to configuration: inout HubConfiguration, certificate: String?, key: String?, publicURLGiven: Bool
    ) throws {
        do {
            configuration.tls = try TLSCertificateFiles.pair(certificate: certificate, key: key)
        } catch {
            throw ValidationError("\(error)")
        }
        guard configuration.tls != nil else { return }
        if !publicURLGiven {
            configuration.publicURL = "https://localhost:\(configuration.port)"
        } else if URLComponents(string: configuration.publicURL)?.scheme?.lowercased() != "https" {
            throw ValidationError(
                "with --tls-cert the hub serves https: the public URL (--public-url, GATEHOUSE_PUBLIC_URL) must be "
                    + "https:// too (it is \(configuration.publicURL)); links in mail and the passkey origin come from it"
            )
        }
    }

    /// Device credential lifetimes from GATEHOUSE_{BROWSER,APP}_{IDLE,MAX}_DAYS.
    static func deviceLifetimes(_ env: [String: String]) throws -> DeviceLifetimes {
        var lifetimes = DeviceLifetimes()
        func days(_ name: String, _ current: TimeInterval) throws -> TimeInterval {
            guard let text = env[name] else { return current }
            guard let value = Double(text), value > 0, value <= 3_650 else {
                throw ValidationError("\(name) is a number of days between 0 and 3650")
            }
            return value * 86_400
        }
        lifetimes.browserIdle = try days("GATEHOUSE_BROWSER_IDLE_DAYS", lifetimes.browserIdle)
        lifetimes.browserAbsolute = try days("GATEHOUSE_BROWSER_MAX_DAYS", lifetimes.browserAbsolute)
        lifetimes.appIdle = try days("GATEHOUSE_APP_IDLE_DAYS", lifetimes.appIdle)
        lifetimes.appAbsolute = try days("GATEHOUSE_APP_MAX_DAYS", lifetimes.appAbsolute)
        return lifetimes
    }

    /// The trusted proxies from `--trusted-proxy` (or, without it, `GATEHOUSE_TRUSTED_PROXIES`) and the deprecated
    /// `--trust-forwarded-for`; a malformed network stops the start with a message naming it.
    static func trustedProxies(options: [String], environment: String?, loopback: Bool) throws -> [IPNetwork] {
        var texts = options
        if texts.isEmpty, let environment {
            texts = environment.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }
        }
        var networks: [IPNetwork] = []
        for text in texts {
            do {
                networks.append(try IPNetwork(text))
            } catch {
                throw ValidationError("--trusted-proxy: \(error)")
            }
        }
        if loopback { networks += IPNetwork.loopback.filter { !networks.contains($0) } }
        return networks
    }
}
