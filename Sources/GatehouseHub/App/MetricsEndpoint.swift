import Foundation
import GatehouseBasics
import GatehouseCore
import HTTPTypes
import Hummingbird
import NIOCore
import Prometheus

/// The hub's Prometheus registry and the `/metrics` answer. Never public by accident: it is served either on a
/// separate listener (`--metrics-port`, loopback unless `--metrics-address` says otherwise) or on the public port
/// to requests carrying `GATEHOUSE_METRICS_TOKEN` as a bearer token; with neither, there is no `/metrics` at all
/// and nothing is collected.
public struct MetricsEndpoint: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let metrics: HubMetrics

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Request latencies: a sign-in waits for Argon2 (tens of ms), a cached GET takes well under a millisecond.
        factory.defaultDurationHistogramBuckets = [
            .microseconds(500), .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .milliseconds(2_500), .seconds(5),
        ]
        metrics = HubMetrics(factory: factory)
    }

    /// The text exposition, with the gauges read now (hashing queue, outbox backlog, running incidents).
    func render(runtime: HubRuntime) async -> Response {
        metrics.hashQueue(depth: runtime.pool.queueDepth)
        if let counts = try? await runtime.store.autocommit.mailCounts() { metrics.outbox(backlog: counts.pending) }
        if let incidents = try? await runtime.store.autocommit.incidents() {
            metrics.incidents(running: incidents.filter { $0.state == .running }.count)
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(
            status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
    }

    /// `GET /metrics` on the public router, for the bearer token only (compared in constant time); any other
    /// request gets the same 404 as a path that does not exist.
    static func addTokenRoute(to router: Router<HubRequestContext>, token: String, runtime: HubRuntime) {
        let endpoint = runtime.metricsEndpoint
        router.get("/metrics") { request, _ in
            let presented =
                request.headers[.authorization].flatMap { value -> String? in
                    value.hasPrefix("Bearer ") ? String(value.dropFirst("Bearer ".count)) : nil
                } ?? ""
            guard let endpoint, ConstantTime.equals(Array(presented.utf8), Array(token.utf8)) else {
                throw HTTPError(.notFound)
            }
            return await endpoint.render(runtime: runtime)
        }
    }

    /// The separate listener's router: `/metrics` only.
    static func listenerRouter(runtime: HubRuntime) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/metrics") { _, _ in
            guard let endpoint = runtime.metricsEndpoint else { throw HTTPError(.notFound) }
            return await endpoint.render(runtime: runtime)
        }
        return router
    }
}

/// Counts every answer per route group and status class, and times it (`gatehouse_http_requests_total`,
/// `gatehouse_http_request_duration_seconds`). Outermost, so it sees the final status of errors too.
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext
    let metrics: HubMetrics

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let started = ContinuousClock.now
        let group = Self.groupIndex(of: request.uri.path)
        do {
            let response = try await next(request, context)
            metrics.request(groupIndex: group, status: response.status.code, duration: ContinuousClock.now - started)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.request(groupIndex: group, status: status, duration: ContinuousClock.now - started)
            throw error
        }
    }

    /// A fixed set of groups: no client-chosen text becomes a label.
    static func group(of path: String) -> String { HubMetrics.routeGroups[groupIndex(of: path)] }

    /// The API groups by the path segment after `/api/v1/`, as bytes: worked out on every request, without making a
    /// string.
    private static let apiSegments: [(segment: [UInt8], index: Int)] = HubMetrics.routeGroups.enumerated().compactMap {
        guard $0.element.hasPrefix("api_"), $0.element != "api_other" else { return nil }
        return (Array($0.element.utf8.dropFirst(4)), $0.offset)
    }
    private static func index(_ name: String) -> Int { HubMetrics.routeGroups.firstIndex(of: name)! }
    private static let apiOther = index("api_other")
    private static let oauth = index("oauth")
    private static let staticFiles = index("static")
    private static let health = index("health")
    private static let metricsGroup = index("metrics")
    private static let pages = index("pages")

    /// The index in ``HubMetrics/routeGroups`` of the group `path` is counted under.
    static func groupIndex(of path: String) -> Int {
        let bytes = path.utf8
        if bytes.starts(with: "/api/v1/".utf8) {
            let rest = bytes.dropFirst(8)
            let first = rest.prefix { $0 != UInt8(ascii: "/") }
            for (segment, index) in apiSegments where first.elementsEqual(segment) { return index }
            return apiOther
        }
        if bytes.starts(with: "/oauth/".utf8) { return oauth }
        if bytes.starts(with: "/static/".utf8) { return staticFiles }
        if path == "/healthz" { return health }
        if path == "/metrics" { return metricsGroup }
        return pages
    }
}
