import Foundation
import PasswordCheck
import Testing

@testable import GatehouseCore

/// The password-strength estimate costs CPU a request body chooses: it runs on the bounded work pool, never on
/// Swift's cooperative threads, so a flood is answered 503 (``WorkPool/Overloaded``) instead of stalling them.
@Suite("Strength check on the bounded pool")
struct StrengthCheckPoolTests {
    /// Records whether the policy's check ran on a pool worker (the breach lookup runs inside the check).
    struct RecordingSource: BreachedPasswordSource {
        let onWorker = Flag()
        let elsewhere = Flag()

        func isBreached(sha1: [UInt8]) async throws -> Bool {
            if WorkPool.isWorkerThread() { onWorker.set() } else { elsewhere.set() }
            return false
        }
    }

    @Test func strengthCheckRunsOnTheBoundedPool() async throws {
        // A pool that takes no job at all: the check is refused, so it is not run anywhere else.
        let closed = WorkPool(threads: 1, queueLimit: 0)
        defer { closed.shutdown() }
        let refusing = PolicyRules(policy: PasswordPolicy(), pool: closed)
        await #expect(throws: WorkPool.Overloaded.self) {
            _ = try await refusing.problems(password: "a long passphrase to estimate", context: ["user", "u@x.test"])
        }

        // One worker, one queue slot, the worker busy: a burst of checks is mostly refused at once.
        let pool = WorkPool(threads: 1, queueLimit: 1)
        defer { pool.shutdown() }
        let source = RecordingSource()
        let rules = PolicyRules(policy: PasswordPolicy(breachSource: source), pool: pool)
        let release = Flag()
        try await occupyWorker(of: pool, until: release)
        let outcomes = await withTaskGroup(of: String.self) { group in
            for index in 0..<8 {
                group.addTask {
                    do {
                        let problems = try await rules.problems(
                            password: "Tr0ub4dor&3-\(index)", context: ["someone", "someone@example.test"])
                        return "checked \(problems.count)"
                    } catch is WorkPool.Overloaded {
                        return "overloaded"
                    } catch {
                        return "error \(error)"
                    }
                }
            }
            // While the worker is busy at most threads + queueLimit checks are admitted (and wait): the others
            // answer at once. Free the worker once those answers are in, then collect the admitted ones.
            var outcomes: [String] = []
            while outcomes.count < 8 - (pool.threads + pool.queueLimit), let outcome = await group.next() {
                outcomes.append(outcome)
            }
            release.set()
            for await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        let refused = outcomes.filter { $0 == "overloaded" }.count
        #expect(refused >= 8 - (pool.threads + pool.queueLimit), "\(outcomes)")
        #expect(outcomes.allSatisfy { $0 == "overloaded" || $0.hasPrefix("checked") }, "\(outcomes)")
        #expect(source.onWorker.isSet, "the admitted checks ran on the pool's worker")
        #expect(!source.elsewhere.isSet, "no check ran on the cooperative pool")

        // With the pool free, a check is answered as before.
        let problems = try await rules.problems(password: "password", context: ["someone", "someone@example.test"])
        #expect(problems.contains { $0.code == .common })
        #expect(try await rules.problems(password: "violet-harbour-lantern-1987", context: []).isEmpty)
    }
}
