import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A bounded pool of threads for CPU-heavy work (password hashing, the password-strength estimate), kept off the
/// event loops and off Swift's cooperative pool.
///
/// `threads` workers take jobs from a queue of at most `queueLimit` waiting jobs. Past that bound
/// ``run(_:)`` throws ``Overloaded`` at once, which the hub answers with 503 and Retry-After instead of letting
/// work pile up without limit. ``runAsync(_:)`` does the same for async work (the password policy, whose breach
/// lookup may await I/O): the pool is its task executor, so every synchronous stretch of it runs on a worker.
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
        /// Async works admitted by ``runAsync(_:)`` and not finished yet.
        var asyncInFlight = 0

        /// Counts in an async work, unless the pool is stopped, its queue full or `inFlightLimit` works in flight.
        func admitAsync(queueLimit: Int, inFlightLimit: Int) -> Bool {
            condition.lock()
            defer { condition.unlock() }
            guard !isStopped, jobs.count < queueLimit, asyncInFlight < inFlightLimit else { return false }
            asyncInFlight += 1
            return true
        }

        func finishAsync() {
            condition.lock()
            asyncInFlight -= 1
            if isStopped && asyncInFlight == 0 { condition.broadcast() }
            condition.unlock()
        }

        /// Stopped, and no async work left that may still queue a job: workers may leave once the queue is empty.
        var isFinished: Bool { isStopped && asyncInFlight == 0 }

        /// Queues a job with no bound (callers check the bound first).
        func append(_ job: @escaping @Sendable () -> Void) {
            condition.lock()
            jobs.append(job)
            condition.signal()
            condition.unlock()
        }
    }

    /// The pool as a task executor: each job of an async work becomes one queued job of the pool.
    private final class Executor: TaskExecutor {
        let state: State

        init(state: State) {
            self.state = state
        }

        func enqueue(_ job: consuming ExecutorJob) {
            let job = UnownedJob(job)
            let executor = asUnownedTaskExecutor()
            state.append { job.runSynchronously(on: executor) }
        }
    }

    /// Told how long jobs waited and when one was refused (the hub's metrics); `nil` records nothing.
    public struct Observer: Sendable {
        public var waited: @Sendable (Duration) -> Void
        public var rejected: @Sendable () -> Void

        public init(waited: @escaping @Sendable (Duration) -> Void, rejected: @escaping @Sendable () -> Void) {
            self.waited = waited
            self.rejected = rejected
        }
    }

    private let state = State()
    private let executor: Executor
    private let observer: Observer?
    /// Worker count.
    public let threads: Int
    /// Most jobs allowed to wait.
    public let queueLimit: Int

    /// Starts `threads` workers (default: one per core).
    public init(
        threads: Int = ProcessInfo.processInfo.activeProcessorCount, queueLimit: Int = 64, observer: Observer? = nil
    ) {
        self.observer = observer
        self.threads = max(1, threads)
        self.queueLimit = max(0, queueLimit)
        self.executor = Executor(state: state)
        for index in 0..<self.threads {
            let state = self.state
            let thread = Thread {
                Self.markCurrentThread()
                Self.lowerPriority()
                while true {
                    state.condition.lock()
                    while state.jobs.isEmpty && !state.isFinished { state.condition.wait() }
                    if state.jobs.isEmpty && state.isFinished {
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

    /// The key a worker marks its thread dictionary with (on Linux, `Thread.current.name` inside the thread is the
    /// system's name, which Foundation does not set from `Thread.name`).
    private static let workerKey = "gatehouse.work-pool.worker"

    private static func markCurrentThread() {
        Thread.current.threadDictionary[workerKey] = true
    }

    /// Whether the calling thread is one of a pool's workers (for tests and assertions).
    public static func isWorkerThread() -> Bool {
        Thread.current.threadDictionary[workerKey] as? Bool ?? false
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

    /// Stops the workers once the queue is drained and every async work admitted has finished; new work is refused.
    public func shutdown() {
        state.condition.lock()
        state.isStopped = true
        state.condition.broadcast()
        state.condition.unlock()
    }

    /// Jobs waiting for a worker now.
    public var queueDepth: Int {
        state.condition.lock()
        defer { state.condition.unlock() }
        return state.jobs.count
    }

    /// Runs `work` on a worker and returns its result.
    public func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        let observer = self.observer
        let queued = ContinuousClock.now
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            state.condition.lock()
            if state.isStopped || state.jobs.count >= queueLimit {
                state.condition.unlock()
                observer?.rejected()
                continuation.resume(throwing: Overloaded())
                return
            }
            state.jobs.append {
                observer?.waited(ContinuousClock.now - queued)
                continuation.resume(with: Result { try work() })
            }
            state.condition.signal()
            state.condition.unlock()
        }
    }

    /// Runs async `work` with the pool as its task executor: its synchronous stretches run on the workers, never on
    /// the cooperative pool, and its awaits (I/O) hold no worker.
    ///
    /// Admission is bounded like ``run(_:)``: ``Overloaded`` at once when the queue is full, or when
    /// `threads + queueLimit` async works are already in flight (so works suspended on I/O cannot pile up either).
    public func runAsync<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let state = self.state
        guard state.admitAsync(queueLimit: queueLimit, inFlightLimit: threads + queueLimit) else {
            observer?.rejected()
            throw Overloaded()
        }
        defer { state.finishAsync() }
        return try await withTaskExecutorPreference(executor) { try await work() }
    }
}
