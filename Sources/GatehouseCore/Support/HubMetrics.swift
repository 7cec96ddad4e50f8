import CoreMetrics
import Foundation

/// The hub's metrics, recorded through swift-metrics with a factory given at start-up (Prometheus when
/// `/metrics` is on, nothing otherwise). Every name is listed in ``HubMetrics/Name``; the Grafana dashboard in
/// `ops/grafana-dashboard.json` uses exactly these, and a test keeps the two in step.
///
/// Labels have a fixed, small set of values (route groups, outcomes): nothing a client sends becomes a label, so
/// a flood of odd paths cannot grow the registry. No label ever carries an account, address or token.
public final class HubMetrics: Sendable {
    public enum Name {
        public static let requests = "gatehouse_http_requests_total"
        public static let requestDuration = "gatehouse_http_request_duration_seconds"
        public static let signIns = "gatehouse_signins_total"
        public static let hashQueueDepth = "gatehouse_hash_queue_depth"
        public static let hashWait = "gatehouse_hash_wait_seconds"
        public static let hashRejected = "gatehouse_hash_rejected_total"
        public static let revocationLag = "gatehouse_revocation_lag_seconds"
        public static let revocationsApplied = "gatehouse_revocations_applied_total"
        public static let outboxBacklog = "gatehouse_outbox_backlog"
        public static let mailDelivered = "gatehouse_mail_delivered_total"
        public static let mailFailures = "gatehouse_mail_delivery_failures_total"
        public static let incidentAccounts = "gatehouse_incident_accounts_processed_total"
        public static let incidentsRunning = "gatehouse_incidents_running"
        public static let serversOnline = "gatehouse_media_servers_online"
        public static let canaryAlerts = "gatehouse_canary_alerts_total"
        public static let stuffingWaves = "gatehouse_stuffing_waves_total"

        /// Every metric family the hub exposes.
        public static let all = [
            requests, requestDuration, signIns, hashQueueDepth, hashWait, hashRejected, revocationLag,
            revocationsApplied, outboxBacklog, mailDelivered, mailFailures, incidentAccounts, incidentsRunning,
            serversOnline, canaryAlerts, stuffingWaves,
        ]
    }

    /// How a sign-in attempt was made.
    public enum Method: String, Sendable, CaseIterable {
        case password
        case passkey
        /// The second step after a right password (code, recovery code or passkey).
        case secondStep = "second_step"
        /// A TV or CLI exchanging a device code approved on /link (only successes are counted).
        case deviceCode = "device_code"
    }

    /// How it ended.
    public enum Outcome: String, Sendable, CaseIterable {
        case success
        case failure
        case throttled
        /// A right password, and the second step asked for.
        case secondFactor = "second_factor"
        /// Stopped for a forced reset (incident or breached password).
        case resetRequired = "reset_required"
    }

    /// The route groups requests are counted under.
    public static let routeGroups = [
        "api_account", "api_accounts", "api_sessions", "api_session", "api_devices", "api_servers", "api_releases",
        "api_audit",
        "api_other", "oauth", "pages", "static", "health", "metrics", "other",
    ]
    static let statusClasses = ["1xx", "2xx", "3xx", "4xx", "5xx"]

    private let factory: any MetricsFactory
    private let signInCounters: [String: Counter]
    /// Indexed by route group (``routeGroups``) times 5 plus status class: no string work per request.
    private let requestCounters: [Counter]
    private let requestTimers: [CoreMetrics.Timer]
    private let hashWaitTimer: CoreMetrics.Timer
    private let hashRejectedCounter: Counter
    private let hashQueueGauge: Gauge
    private let revocationLagGauge: Gauge
    private let revocationsCounter: Counter
    private let outboxGauge: Gauge
    private let deliveredCounter: Counter
    private let failuresCounter: Counter
    private let incidentCounter: Counter
    private let incidentsGauge: Gauge
    private let serversGauge: Gauge
    private let canaryCounter: Counter
    private let wavesCounter: Counter
    private let serversOnline = Counting()
    /// False for ``disabled``: callers may skip work that only feeds metrics.
    public let isEnabled: Bool

    public init(factory: any MetricsFactory, isEnabled: Bool = true) {
        self.factory = factory
        self.isEnabled = isEnabled
        var signIns: [String: Counter] = [:]
        for method in Method.allCases {
            for outcome in Outcome.allCases {
                signIns[method.rawValue + "/" + outcome.rawValue] = Counter(
                    label: Name.signIns, dimensions: [("method", method.rawValue), ("outcome", outcome.rawValue)],
                    factory: factory)
            }
        }
        signInCounters = signIns
        var requests: [Counter] = []
        var timers: [CoreMetrics.Timer] = []
        for group in Self.routeGroups {
            for status in Self.statusClasses {
                requests.append(
                    Counter(label: Name.requests, dimensions: [("group", group), ("status", status)], factory: factory))
            }
            timers.append(
                CoreMetrics.Timer(label: Name.requestDuration, dimensions: [("group", group)], factory: factory))
        }
        requestCounters = requests
        requestTimers = timers
        hashWaitTimer = CoreMetrics.Timer(label: Name.hashWait, factory: factory)
        hashRejectedCounter = Counter(label: Name.hashRejected, factory: factory)
        hashQueueGauge = Gauge(label: Name.hashQueueDepth, factory: factory)
        revocationLagGauge = Gauge(label: Name.revocationLag, factory: factory)
        revocationsCounter = Counter(label: Name.revocationsApplied, factory: factory)
        outboxGauge = Gauge(label: Name.outboxBacklog, factory: factory)
        deliveredCounter = Counter(label: Name.mailDelivered, factory: factory)
        failuresCounter = Counter(label: Name.mailFailures, factory: factory)
        incidentCounter = Counter(label: Name.incidentAccounts, factory: factory)
        incidentsGauge = Gauge(label: Name.incidentsRunning, factory: factory)
        serversGauge = Gauge(label: Name.serversOnline, factory: factory)
        canaryCounter = Counter(label: Name.canaryAlerts, factory: factory)
        wavesCounter = Counter(label: Name.stuffingWaves, factory: factory)
    }

    /// Records nothing (the hub without `/metrics`, tests that do not look).
    public static let disabled = HubMetrics(factory: NOOPMetricsHandler.instance, isEnabled: false)

    // MARK: - Recording

    public func signIn(_ method: Method, _ outcome: Outcome) {
        signInCounters[method.rawValue + "/" + outcome.rawValue]?.increment()
    }

    /// One answered request of `group` (one of ``routeGroups``) with `status`, taking `duration`.
    public func request(group: String, status: Int, duration: Duration) {
        request(
            groupIndex: Self.routeGroups.firstIndex(of: group) ?? Self.otherGroup, status: status, duration: duration)
    }

    /// One answered request of the route group at `groupIndex` in ``routeGroups`` (the hot path: no strings).
    public func request(groupIndex: Int, status: Int, duration: Duration) {
        let group = requestTimers.indices.contains(groupIndex) ? groupIndex : Self.otherGroup
        let statusClass = min(max(status / 100, 1), 5) - 1
        requestCounters[group * Self.statusClasses.count + statusClass].increment()
        requestTimers[group].recordNanoseconds(Self.nanoseconds(duration))
    }

    /// The index of "other" in ``routeGroups``.
    public static let otherGroup = routeGroups.firstIndex(of: "other")!

    /// A job waited `duration` in the hashing pool's queue.
    public func hashWaited(_ duration: Duration) { hashWaitTimer.recordNanoseconds(Self.nanoseconds(duration)) }
    /// The hashing pool refused a job (answered 503).
    public func hashRejected() { hashRejectedCounter.increment() }
    public func hashQueue(depth: Int) { hashQueueGauge.record(depth) }

    /// A revocation made at `madeAt` was applied on this instance at `now`.
    public func revocationApplied(madeAt: Date, now: Date) {
        revocationsCounter.increment()
        revocationLagGauge.record(max(0, now.timeIntervalSince(madeAt)))
    }

    public func outbox(backlog: Int) { outboxGauge.record(backlog) }
    public func mailDelivered() { deliveredCounter.increment() }
    public func mailFailed() { failuresCounter.increment() }
    public func incidentProgress(accounts: Int) { incidentCounter.increment(by: accounts) }
    public func incidents(running: Int) { incidentsGauge.record(running) }
    /// A canary account was used (someone holds a copy of the database).
    public func canaryTripped() { canaryCounter.increment() }
    /// The hub-wide breaker opened (a credential-stuffing wave; at most one count per half hour).
    public func stuffingWave() { wavesCounter.increment() }

    /// A media server's revocation stream opened; call ``serverDisconnected()`` when it ends.
    public func serverConnected() { serversGauge.record(serversOnline.add(1)) }
    public func serverDisconnected() { serversGauge.record(serversOnline.add(-1)) }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// A small locked counter (the number of open streams).
    private final class Counting: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0

        func add(_ delta: Int) -> Int {
            lock.lock()
            defer { lock.unlock() }
            value += delta
            return value
        }
    }
}
