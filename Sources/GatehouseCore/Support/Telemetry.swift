import Synchronization
import Tracing

/// Which work makes spans. The hub traces a bounded number of requests per second (``TraceBudget``): a request it
/// does not trace runs with ``isUntraced`` set, so its store, hashing and mail work make no spans either. Work outside
/// any request (mail delivery, incidents) is traced as before.
///
/// The budget matters because a recorded span is not cheap (about 65 µs of hub CPU per request in a release build,
/// mostly the exporter's hand-offs between threads): tracing every request would cost a busy hub 40 % of its
/// throughput, and would let anyone who sends requests decide how much tracing work the hub does.
public enum Telemetry {
    @TaskLocal public static var isUntraced = false

    /// `withSpan`, unless the current request is not traced: then `body` runs with no span at all.
    public static func span<T>(
        _ name: String, ofKind kind: SpanKind = .internal, _ body: (any Span) async throws -> T
    ) async throws -> T {
        if isUntraced { return try await body(NoOpTracer.NoOpSpan(context: .topLevel)) }
        return try await withSpan(name, ofKind: kind) { span in try await body(span) }
    }
}

/// How many requests a second the hub traces: a token bucket refilled at ``perSecond``, holding at most one second's
/// worth. A quiet hub (a household's: a few requests a second) traces every request; a busy or flooded one traces
/// a steady ``perSecond`` and no more, whatever is sent to it.
public final class TraceBudget: Sendable {
    /// Requests traced per second at most; nil traces every request.
    public let perSecond: Int?
    private let state: Mutex<(tokens: Double, last: ContinuousClock.Instant)>

    public init(perSecond: Int?, now: ContinuousClock.Instant = .now) {
        self.perSecond = perSecond
        state = Mutex((Double(perSecond ?? 0), now))
    }

    /// Whether to trace the request starting now (takes a token when it does).
    public func take() -> Bool { take(at: ContinuousClock.now) }

    func take(at now: ContinuousClock.Instant) -> Bool {
        guard let perSecond else { return true }
        return state.withLock { state in
            let elapsed = now - state.last
            state.last = now
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            state.tokens = min(Double(perSecond), state.tokens + seconds * Double(perSecond))
            guard state.tokens >= 1 else { return false }
            state.tokens -= 1
            return true
        }
    }
}
