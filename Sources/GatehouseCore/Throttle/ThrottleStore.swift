import Foundation

/// Failure counters that drive growing sign-in delays. Shared through the database so that every hub
/// instance sees the same counts.
///
/// Lock order: a transaction that writes sign-in throttle rows (addresses' and accounts') writes them before it
/// writes accounts or devices or appends to the security log, and an address's row before an identifier's before
/// an account's (``SignInAttempt``). Sign-in
/// reserves and settles in transactions that follow it, and so do password resets; two transactions taking the
/// same rows in opposite orders would deadlock on PostgreSQL. (Single autocommit statements hold no lock across
/// statements and need no order.)
public protocol ThrottleStore: Sendable {
    /// The failure count and time of the last failure for `key`.
    func throttleState(key: String) async throws -> (failures: Int, lastFailure: Date)?
    /// The states of several keys in one query (sign-in reads the address's and the identifier's together).
    func throttleStates(keys: [String]) async throws -> [String: (failures: Int, lastFailure: Date)]
    func recordThrottleFailure(key: String, at: Date) async throws
    /// Reserves one attempt under `policy` atomically, before the attempt is evaluated: 0 means reserved (the
    /// counter already holds it), anything else is the number of seconds to wait. Concurrent callers can never
    /// together pass more attempts than the policy allows.
    func reserveAttempt(key: String, policy: ThrottlePolicy, now: Date) async throws -> Int
    /// Gives back one reserved attempt (a success that should not count against the budget).
    func refundAttempt(key: String) async throws
    func clearThrottle(key: String) async throws
}

/// Growing delays after failures, never a lockout: after `freeAttempts` failures each further attempt must wait
/// `base * 2^(n - freeAttempts)` seconds, capped at `maximum`. Counters fade after `window`.
public struct ThrottlePolicy: Sendable, Equatable {
    public var freeAttempts: Int
    public var baseDelay: TimeInterval
    public var maximumDelay: TimeInterval
    public var window: TimeInterval

    public init(freeAttempts: Int, baseDelay: TimeInterval, maximumDelay: TimeInterval, window: TimeInterval) {
        self.freeAttempts = freeAttempts
        self.baseDelay = baseDelay
        self.maximumDelay = maximumDelay
        self.window = window
    }

    /// Per account: 5 free tries, then 1 s doubling to 15 minutes.
    public static let perAccount = ThrottlePolicy(freeAttempts: 5, baseDelay: 1, maximumDelay: 900, window: 86_400)
    /// Per IP address: 20 free tries, then 1 s doubling to 15 minutes.
    public static let perAddress = ThrottlePolicy(freeAttempts: 20, baseDelay: 1, maximumDelay: 900, window: 86_400)
    /// Per IP address while a credential-stuffing wave is on (``SignInBreaker/isTightened(at:)``): 5 free tries,
    /// then 4 s doubling to an hour.
    public static let perAddressDuringWave = ThrottlePolicy(
        freeAttempts: 5, baseDelay: 4, maximumDelay: 3_600, window: 86_400)

    /// Seconds still to wait before another attempt, or 0.
    public func wait(failures: Int, lastFailure: Date, now: Date) -> Int {
        let elapsed = now.timeIntervalSince(lastFailure)
        guard elapsed < window, failures >= freeAttempts else { return 0 }
        let exponent = min(failures - freeAttempts, 30)
        let delay = min(baseDelay * pow(2, Double(exponent)), maximumDelay)
        let remaining = delay - elapsed
        return remaining > 0 ? Int(remaining.rounded(.up)) : 0
    }
}
