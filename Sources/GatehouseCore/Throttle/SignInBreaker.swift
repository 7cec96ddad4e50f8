import Foundation
import Synchronization

/// A hub-wide breaker against credential stuffing: a flood of failed sign-ins spread over many accounts and many
/// addresses, each of which stays under its own per-account and per-address limit.
///
/// It counts failed password checks from clients that are not known devices over the last minute. Past
/// `threshold`, sign-ins from unknown devices get 429 with Retry-After until the rate falls again; known devices
/// (the hub's own device secret) are never held up, so the owners of the accounts keep signing in. It lives in
/// memory, per hub instance: each instance sees the share of the flood that reaches it.
public final class SignInBreaker: Sendable {
    private struct State {
        /// Failures per second over the last `window` seconds, indexed by second modulo `window`.
        var buckets: [Int]
        var stamps: [Int64]
        /// When operators were last told of a wave (one alert per `alertInterval`).
        var lastAlert: Int64 = .min
    }

    /// Seconds between two wave alerts to the operators.
    static let alertInterval: Int64 = 1_800

    static let window = 60
    public let threshold: Int
    private let state: Mutex<State>

    /// - Parameter threshold: failed unknown-device sign-ins per minute that open the breaker (0 turns it off).
    public init(threshold: Int = 600) {
        self.threshold = threshold
        self.state = Mutex(
            State(buckets: Array(repeating: 0, count: Self.window), stamps: Array(repeating: -1, count: Self.window)))
    }

    /// Counts one failed sign-in from an unknown device.
    public func recordFailure(at now: Date) {
        let second = Int64(now.timeIntervalSince1970.rounded(.down))
        let index = Int(second % Int64(Self.window))
        state.withLock { state in
            if state.stamps[index] != second {
                state.stamps[index] = second
                state.buckets[index] = 0
            }
            state.buckets[index] += 1
        }
    }

    /// Seconds an unknown device should wait, or 0 when the breaker is closed.
    public func wait(at now: Date) -> Int {
        guard threshold > 0 else { return 0 }
        let second = Int64(now.timeIntervalSince1970.rounded(.down))
        let failures = state.withLock { state -> Int in
            var total = 0
            for index in 0..<Self.window where second - state.stamps[index] < Int64(Self.window) {
                total += state.buckets[index]
            }
            return total
        }
        return failures >= threshold ? 30 : 0
    }

    /// Failed unknown-device sign-ins in the last minute (for the operators' page).
    public func failuresLastMinute(at now: Date) -> Int {
        let second = Int64(now.timeIntervalSince1970.rounded(.down))
        return state.withLock { state in
            (0..<Self.window).reduce(0) { total, index in
                second - state.stamps[index] < Int64(Self.window) ? total + state.buckets[index] : total
            }
        }
    }

    /// True for ``alertInterval`` after a wave was last announced: the hub tightens by itself meanwhile (shorter
    /// per-address budgets, and the mailed code for unrecognised devices even where device verification is off).
    public func isTightened(at now: Date) -> Bool {
        let second = Int64(now.timeIntervalSince1970.rounded(.down))
        return state.withLock { state in
            state.lastAlert != .min && second - state.lastAlert < Self.alertInterval
        }
    }

    /// True once per ``alertInterval`` while the breaker is open: the caller then alerts the operators.
    public func claimAlert(at now: Date) -> Bool {
        let second = Int64(now.timeIntervalSince1970.rounded(.down))
        return state.withLock { state in
            guard state.lastAlert == .min || second - state.lastAlert >= Self.alertInterval else { return false }
            state.lastAlert = second
            return true
        }
    }
}
