import Foundation
import GatehouseCore
import GatehouseTLS
import Hummingbird
import Logging
import NIOCore
import OTel
import ServiceLifecycle

/// Builds the hub's HTTP application on a ``HubRuntime``.
public enum HubApplication {
    /// The API routes as (method, path), for the OpenAPI consistency test.
    public static func apiRoutes(services: HubServices) -> [(method: String, path: String)] {
        let router = Router(context: HubRequestContext.self)
        return makeAPI(router: router, services: services).routes + makeOAuth(router: router, services: services).routes
    }

    /// The OpenAPI document served at `/api/openapi.yaml`.
    public static var openAPIDocument: String { EmbeddedText.openapiYaml }

    /// The router with every route and middleware.
    /// Traces over OTLP/HTTP (protobuf) to `endpoint` (a collector's base URL, or its full `/v1/traces` URL), with
    /// swift-otel; its logs and metrics backends stay off (logs go to stdout, metrics to `/metrics`). Spans: one per
    /// request (``RequestTracingMiddleware``), store transactions, password hashing and mail delivery. Bootstraps the
    /// process-wide tracer, so it runs once, at `serve`.
    static func traceExporter(endpoint: String, logger: Logger) throws -> some Service {
        var otel = OTel.Configuration.default
        otel.serviceName = "gatehouse-hub"
        otel.logs.enabled = false
        otel.metrics.enabled = false
        otel.traces.enabled = true
        otel.traces.otlpExporter.protocol = .httpProtobuf
        var url = endpoint
        while url.hasSuffix("/") { url.removeLast() }
        otel.traces.otlpExporter.endpoint = url.hasSuffix("/v1/traces") ? url : url + "/v1/traces"
        otel.traces.batchSpanProcessor.scheduleDelay = .seconds(1)
        otel.diagnosticLogger = .custom(logger)
        otel.diagnosticLogLevel = .warning
        return try OTel.bootstrap(configuration: otel)
    }

    public static func makeRouter(runtime: HubRuntime) -> Router<HubRequestContext> {
        let services = runtime.services
        let router = Router(context: HubRequestContext.self)
        let pages = PageRenderer()
        if runtime.configuration.otlpEndpoint != nil {
            router.add(
                middleware: RequestTracingMiddleware(
                    budget: TraceBudget(perSecond: runtime.configuration.tracesPerSecond)))
        }
        if let endpoint = runtime.metricsEndpoint {
            router.add(middleware: MetricsMiddleware(metrics: endpoint.metrics))
        }
        router.add(middleware: HubErrorMiddleware(pages: pages, ownTLS: runtime.configuration.tls != nil))
        router.add(middleware: ClientAddressMiddleware(trustedProxies: runtime.configuration.trustedProxies))
        router.get("/healthz") { _, _ in
            try JSONBody.response(["status": "ok"])
        }
        router.get("/api/openapi.yaml") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/yaml; charset=utf-8"
            return Response(
                status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: EmbeddedText.openapiYaml)))
        }
        if runtime.configuration.benchmarkMode {
            router.get("/bench/hello") { _, _ in try JSONBody.response(["hello": "world"]) }
        }
        if let token = runtime.configuration.metricsToken {
            MetricsEndpoint.addTokenRoute(to: router, token: token, runtime: runtime)
        }
        _ = makeAPI(router: router, services: services)
        _ = makeOAuth(router: router, services: services)
        PageRoutes(services: services, renderer: pages).register(on: router)
        return router
    }

    static func makeAPI(router: Router<HubRequestContext>, services: HubServices) -> APIRouteTable {
        var table = APIRouteTable(router: router, prefix: "/api/v1", services: services)
        AccountRoutes.register(&table, services: services)
        SessionRoutes.register(&table, services: services)
        PasskeyRoutes.register(&table, services: services)
        DeviceRoutes.register(&table, services: services)
        AppPasswordRoutes.register(&table, services: services)
        ProfileRoutes.register(&table, services: services)
        InvitationRoutes.register(&table, services: services)
        TwoFactorRoutes.register(&table, services: services)
        RecoveryRoutes.register(&table, services: services)
        AuditRoutes.register(&table, services: services)
        NoticeRoutes.register(&table, services: services)
        ServerRoutes.register(&table, services: services)
        ReleaseRoutes.register(&table, services: services)
        return table
    }

    /// The OAuth endpoints of the device authorization grant (RFC 8628), outside `/api/v1` where clients expect them.
    static func makeOAuth(router: Router<HubRequestContext>, services: HubServices) -> APIRouteTable {
        var table = APIRouteTable(router: router, prefix: "/oauth", services: services)
        OAuthRoutes.register(&table, services: services)
        return table
    }

    /// The application with its background services (mail delivery). With `configuration.tls`, the public port
    /// speaks TLS with that certificate (loaded here unless `tls` is given), reloaded on SIGHUP.
    public static func make(runtime: HubRuntime, tls: ReloadableTLS? = nil) throws -> some ApplicationProtocol {
        let configuration = runtime.configuration
        let tls = try tls ?? configuration.tls.map { try ReloadableTLS(files: $0) }
        let router = makeRouter(runtime: runtime)
        let transport: any MailTransport
        switch configuration.mail.transport {
        case .file:
            let folder = (configuration.dataDirectory as NSString).appendingPathComponent("mail")
            transport = FileMailTransport(directory: folder, from: configuration.mail.fromAddress)
            runtime.logger.info("mail is written as .eml files", metadata: ["folder": "\(folder)"])
        case .smtp:
            transport = try SMTPMailTransport(settings: configuration.mail)
            runtime.logger.info(
                "mail goes through SMTP",
                metadata: ["host": "\(configuration.mail.smtpHost)", "port": "\(configuration.mail.smtpPort)"])
        }
        let delivery = MailDeliveryService(
            store: runtime.store, composer: runtime.services.environment.mail,
            incidents: runtime.services.incidents, transport: transport,
            pollInterval: .milliseconds(Int(configuration.mail.pollInterval * 1000)),
            retryBase: configuration.mail.retryBaseSeconds, logger: runtime.logger,
            metrics: runtime.services.environment.metrics, lease: configuration.outboxLeaseSeconds)
        let wakeups = configuration.revocationNotify ? runtime.store.revocationWakeups() : nil
        if runtime.store.dialect == .postgres {
            runtime.logger.info(
                "revocation feed", metadata: ["notify": "\(wakeups != nil ? "listen" : "off")", "poll_ms": "250"])
        }
        var services: [any Service] = [
            delivery,
            BackgroundWorkService(
                work: runtime.services.environment.background, incidents: runtime.services.incidents,
                logger: runtime.logger),
            RevocationFeedService(feed: RevocationFeed(environment: runtime.services.environment, wakeups: wakeups)),
            AdvisoryAlertService(releases: runtime.services.releases, logger: runtime.logger),
            ClaimCleanupService(
                servers: runtime.services.servers, passkeys: runtime.services.passkeys,
                deviceGrant: runtime.services.deviceGrant,
                dpopStore: configuration.dpopSharedReplay ? runtime.store.autocommit : nil,
                lockLinks: runtime.store.autocommit, logger: runtime.logger),
        ]
        if configuration.auditCheckpointInterval > 0 {
            services.append(
                AuditCheckpointWriterService(
                    checkpoints: AuditCheckpointService(environment: runtime.services.environment),
                    interval: .milliseconds(Int(configuration.auditCheckpointInterval * 1000)), logger: runtime.logger))
        }
        if let endpoint = configuration.otlpEndpoint {
            services.append(try Self.traceExporter(endpoint: endpoint, logger: runtime.logger))
        }
        if let port = configuration.metricsPort {
            // A listener of its own, loopback unless told otherwise: /metrics never shares the public port by default.
            services.append(
                Application(
                    router: MetricsEndpoint.listenerRouter(runtime: runtime),
                    configuration: .init(address: .hostname(configuration.metricsHost, port: port), serverName: nil),
                    logger: runtime.logger))
            runtime.logger.info(
                "metrics served", metadata: ["url": "http://\(configuration.metricsHost):\(port)/metrics"])
        }
        if let tls {
            tls.logServing(logger: runtime.logger, listener: "\(configuration.host):\(configuration.port)")
            services.append(TLSReloadService(certificates: [tls], logger: runtime.logger))
        }
        var app = Application(
            router: router,
            server: .http1(tls: tls),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            services: services,
            logger: runtime.logger)
        let logger = runtime.logger
        app.beforeServerStarts {
            logger.notice(
                "hub ready",
                metadata: [
                    "url": "\(configuration.publicURL)", "data": "\(configuration.dataDirectory)",
                ])
        }
        return app
    }
}

enum NoticeRoutes {
    struct Notices: Encodable { var banners: [String] }

    static func register(_ table: inout APIRouteTable, services: HubServices) {
        table.addOpen(.get, "/notices") { _, _ in
            try JSONBody.response(Notices(banners: try await services.incidents.banners()))
        }
    }
}
