import Logging
import Synchronization

/// Work that outlives the request that started it: the lookup and mail behind a reset request (done after the
/// answer, so its time tells nobody whether the account exists), a web-declared incident's batches, a
/// stuffing-wave alert.
///
/// Jobs wait in one bounded queue and run on at most ``concurrency`` tasks of ``run()``, which the hub runs as a
/// ServiceLifecycle service: nothing is started with `Task.detached`, so a flood of reset requests costs at most
/// ``limit`` queued closures, never a task each, and a graceful shutdown lets what was accepted finish. A job
/// that does not fit is dropped and counted: every job here is either repeatable by its sender (a reset request
/// answers the same either way) or resumable (`gatehouse incident resume`).
public final class BackgroundWork: Sendable {
    public struct Job: Sendable {
        public let name: String
        let work: @Sendable () async -> Void
    }

    /// Most jobs waiting at once.
    public let limit: Int
    /// Most jobs running at once.
    public let concurrency: Int
    private let stream: AsyncStream<Job>
    private let continuation: AsyncStream<Job>.Continuation
    private let state = Mutex(State())
    private let logger: Logger

    private struct State {
        var dropped = 0
        var started = false
        var stopping = false
    }

    public init(limit: Int = 1_024, concurrency: Int = 4, logger: Logger = Logger(label: "gatehouse.background")) {
        precondition(limit > 0 && concurrency > 0)
        self.limit = limit
        self.concurrency = concurrency
        self.logger = logger
        (stream, continuation) = AsyncStream.makeStream(of: Job.self, bufferingPolicy: .bufferingOldest(limit))
    }

    /// Queues `work`. Returns false when it was dropped: the queue is full, or ``finish()`` was called.
    @discardableResult
    public func submit(_ name: String, _ work: @escaping @Sendable () async -> Void) -> Bool {
        switch continuation.yield(Job(name: name, work: work)) {
        case .enqueued:
            return true
        case .dropped:
            let dropped = state.withLock { state in
                state.dropped += 1
                return state.dropped
            }
            // Once, then at every power of two: a flood must not become a flood of log lines.
            if dropped & (dropped - 1) == 0 {
                logger.warning(
                    "background queue full: job dropped", metadata: ["job": "\(name)", "dropped_total": "\(dropped)"])
            }
            return false
        case .terminated:
            return false
        @unknown default:
            return false
        }
    }

    /// Jobs dropped so far because the queue was full.
    public var droppedCount: Int { state.withLock { $0.dropped } }

    /// Runs queued jobs until ``finish()`` is called (then the jobs already queued still run) or the calling task
    /// is cancelled (then running jobs see cancellation and queued ones are dropped). Call it once.
    public func run() async {
        let first = state.withLock { state in
            defer { state.started = true }
            return !state.started
        }
        precondition(first, "BackgroundWork.run() is called once")
        await withTaskGroup(of: Void.self) { group in
            var running = 0
            for await job in stream {
                if running == concurrency {
                    await group.next()
                    running -= 1
                }
                group.addTask { await job.work() }
                running += 1
            }
            await group.waitForAll()
        }
    }

    /// Stops taking jobs; ``run()`` returns once the queued and running ones are done. Long jobs (an incident's
    /// batches) watch ``isStopping`` and stop at their next safe point.
    public func finish() {
        state.withLock { $0.stopping = true }
        continuation.finish()
    }

    /// Whether ``finish()`` was called: long jobs stop at their next safe point.
    public var isStopping: Bool { state.withLock { $0.stopping } }
}
