import Foundation
import Logging
import PasswordCheck

/// The password policy as the account services see it.
public protocol PasswordRules: Sendable {
    /// Problems with `password` for an account described by `context` (username, email); empty when fine.
    ///
    /// - Throws: ``WorkPool/Overloaded`` (503) when the bounded pool the check runs on is full.
    func problems(password: String, context: [String]) async throws -> [PasswordProblem]
    /// Whether a password (already checked correct at sign-in) appears in the breach corpus; nil when no corpus.
    var breachCheck: (@Sendable (String) async -> Bool)? { get }
}

/// Refused password: the API answers 422 with every reason.
public struct PasswordRejected: PublicError {
    public let problems: [PasswordProblem]
    public var status: Int { 422 }
    public var code: String { "password_rejected" }
    public var message: String { problems.map(\.message).joined(separator: " ") }
    public var details: [String: String] {
        Dictionary(problems.map { ($0.code.rawValue, $0.message) }, uniquingKeysWith: { first, _ in first })
    }
    public init(problems: [PasswordProblem]) { self.problems = problems }
}

/// ``PasswordRules`` on the PasswordCheck module's policy, with the breach index when one is configured.
///
/// The check, strength estimate included, runs on a bounded ``WorkPool`` (the hub passes the hashing pool): the
/// estimate costs CPU that a request body chooses, so a flood of registrations or password changes is answered
/// 503 with Retry-After once the pool's queue is full, instead of occupying Swift's cooperative threads (which
/// serve every other request, `/healthz` included).
public struct PolicyRules: PasswordRules {
    public let policy: PasswordPolicy
    /// Where the check runs.
    public let pool: WorkPool

    public init(policy: PasswordPolicy, pool: WorkPool) {
        self.policy = policy
        self.pool = pool
    }

    /// The default policy, with the breach index at `breachIndexPath` when given, or else the online range API at
    /// `rangeURL` (k-anonymity: only 5 hex characters of the password's SHA-1 leave the hub, padded responses).
    /// `failsClosed` decides whether a new password is refused when the range API cannot be reached; `fetcher` is the
    /// HTTP client that asks it (the hub passes its own).
    public static func make(
        breachIndexPath: String?, rangeURL: String? = nil, fetcher: (any HTTPFetching)? = nil,
        failsClosed: Bool = false, pool: WorkPool, logger: Logger
    ) throws -> PolicyRules {
        var source: (any BreachedPasswordSource)?
        if let breachIndexPath {
            let index = try BreachIndex(path: breachIndexPath)
            logger.info("breached-password index loaded", metadata: ["hashes": "\(index.count)"])
            source = index
        } else if let rangeURL, let url = URL(string: rangeURL), let fetcher {
            source = PwnedRangeClient(
                baseURL: url, failureMode: failsClosed ? .failClosed : .failOpen, fetcher: fetcher)
            logger.info("breached passwords checked online", metadata: ["range_api": "\(rangeURL)"])
        }
        return PolicyRules(policy: PasswordPolicy(breachSource: source), pool: pool)
    }

    public func problems(password: String, context: [String]) async throws -> [PasswordProblem] {
        let policy = self.policy
        let context = PasswordContext(username: context.first, email: context.count > 1 ? context[1] : nil)
        // The pool is the check's task executor: the estimate (synchronous CPU work) runs on a worker thread, and a
        // breach lookup that awaits the network holds no worker while it waits.
        return try await pool.runAsync { await policy.check(password: password, context: context) }
    }

    public var breachCheck: (@Sendable (String) async -> Bool)? {
        guard let source = policy.breachSource else { return nil }
        return { password in (try? await source.isBreached(password: password)) ?? false }
    }
}
