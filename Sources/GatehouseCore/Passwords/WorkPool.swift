import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A bounded pool of threads for CPU-heavy work (password hashing), kept off the event loops.
///
/// `threads` workers take jobs from a queue of at most `queueLimit` waiting jobs. Past that bound
/// ``run(_:)`` throws ``Overloaded`` at once, which the hub answers with 503 and Retry-After instead of letting
/// work pile up without limit.
public final class WorkPool: Sendable {
    /// The queue is full.
    public struct Overloaded: PublicError {
        public var status: Int { 503 }
        public var code: String { "overloaded" }
        public var message: String { "The server is busy. Try again in a moment." }
        public var retryAfter: Int? { 1 }
    }

    private final class State: @unchecked Sendable {
        // Guarded by `condition`.
        let condition = NSCondition()
        var jobs: [@Sendable () -> Void] = []
        var isStopped = false
    }

    private let state = State()
    /// Worker count.
    public let threads: Int
    /// Most jobs allowed to wait.
    public let queueLimit: Int

    /// Starts `threads` workers (default: one per core).
    public init(threads: Int = ProcessInfo.processInfo.activeProcessorCount, queueLimit: Int = 64) {
        self.threads = max(1, threads)
        self.queueLimit = max(0, queueLimit)
        for index in 0..<self.threads {
            let state = self.state
            let thread = Thread {
                Self.lowerPriority()
                while true {
                    state.condition.lock()
                    while state.jobs.isEmpty && !state.isStopped { state.condition.wait() }
                    if state.jobs.isEmpty && state.isStopped {
                        state.condition.unlock()
                        return
                    }
                    let job = state.jobs.removeFirst()
                    state.condition.unlock()
                    job()
                }
            }
            thread.name = "gatehouse-work-\(index)"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// Hashing is the one CPU-heavy job: its threads yield to the event loops and the database thread (nice 10), so
    /// a burst of sign-ins never slows every other request behind it.
    private static func lowerPriority() {
        #if canImport(Glibc)
        // On Linux the nice value belongs to the thread, and `who == 0` names the calling thread.
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
        #endif
    }

    deinit {
        shutdown()
    }

    /// Stops the workers once the queue is drained.
    public func shutdown() {
        state.condition.lock()
        state.isStopped = true
        state.condition.broadcast()
        state.condition.unlock()
    }

    /// Runs `work` on a worker and returns its result.
    public func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            state.condition.lock()
            if state.jobs.count >= queueLimit {
                state.condition.unlock()
                continuation.resume(throwing: Overloaded())
                return
            }
            state.jobs.append {
                continuation.resume(with: Result { try work() })
            }
            state.condition.signal()
            state.condition.unlock()
        }
    }
}
