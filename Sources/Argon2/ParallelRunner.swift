#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs one body on several threads that meet at a shared barrier; Argon2 lanes use it between slices.
enum ParallelRunner {
    /// Online processors, the most threads worth starting for one hash.
    static let processorCount: Int = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    /// Calls `body(thread, threadCount, barrier)` for every thread in 0..<threadCount, on the calling thread
    /// and up to `maxThreads - 1` new ones, and returns when all are done. If the system refuses to start a
    /// thread, the work runs on those that did start: `threadCount` is the number actually running.
    static func run(maxThreads: Int, _ body: (_ thread: Int, _ threadCount: Int, _ barrier: Barrier) -> Void) {
        #if canImport(Glibc)
            guard maxThreads > 1 else {
                body(0, 1, Barrier(count: 1))
                return
            }
            withoutActuallyEscaping(body) { escapable in
                let job = Job(body: escapable)
                var threads: [pthread_t] = []
                threads.reserveCapacity(maxThreads - 1)
                for index in 1..<maxThreads {
                    let context = Unmanaged.passRetained(ThreadContext(job: job, index: index)).toOpaque()
                    var thread = pthread_t()
                    let status = pthread_create(
                        &thread, nil,
                        { raw in
                            guard let raw else { return nil }
                            let context = Unmanaged<ThreadContext>.fromOpaque(raw).takeRetainedValue()
                            context.job.runWhenStarted(thread: context.index)
                            return nil
                        }, context)
                    guard status == 0 else {
                        Unmanaged<ThreadContext>.fromOpaque(context).release()
                        break
                    }
                    threads.append(thread)
                }
                job.start(threadCount: threads.count + 1)
                job.runWhenStarted(thread: 0)
                for thread in threads {
                    pthread_join(thread, nil)
                }
            }
        #else
            body(0, 1, Barrier(count: 1))
        #endif
    }

    /// The shared work: threads wait until the caller knows how many of them started.
    private final class Job {
        let body: (Int, Int, Barrier) -> Void
        private var threadCount = 0
        private var barrier = Barrier(count: 1)
        private var isStarted = false
        private let lock = Lock()

        init(body: @escaping (Int, Int, Barrier) -> Void) {
            self.body = body
        }

        func start(threadCount: Int) {
            lock.withLock {
                self.threadCount = threadCount
                barrier = Barrier(count: threadCount)
                isStarted = true
                lock.broadcast()
            }
        }

        func runWhenStarted(thread: Int) {
            let (count, barrier) = lock.withLock {
                while !isStarted {
                    lock.wait()
                }
                return (threadCount, self.barrier)
            }
            // A thread numbered past the count that started has no share (cannot happen with in-order starts).
            if thread < count {
                body(thread, count, barrier)
            }
        }
    }

    private final class ThreadContext {
        let job: Job
        let index: Int

        init(job: Job, index: Int) {
            self.job = job
            self.index = index
        }
    }
}

/// A reusable barrier: each of `count` threads calling ``wait()`` blocks until all have called it.
final class Barrier {
    private let count: Int
    private var waiting = 0
    private var generation = 0
    private let lock = Lock()

    init(count: Int) {
        self.count = count
    }

    func wait() {
        guard count > 1 else { return }
        lock.withLock {
            let arrivedIn = generation
            waiting += 1
            if waiting == count {
                waiting = 0
                generation += 1
                lock.broadcast()
            } else {
                while generation == arrivedIn {
                    lock.wait()
                }
            }
        }
    }
}

/// A pthread mutex with one condition variable.
final class Lock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Waits on the condition; call only while holding the lock.
    func wait() {
        pthread_cond_wait(condition, mutex)
    }

    /// Waits on the condition for at most `timeout` (spurious and early wake-ups happen: re-check the state);
    /// call only while holding the lock.
    func wait(timeout: Duration) {
        let parts = timeout.components
        let nanoseconds = max(0, parts.seconds) * 1_000_000_000 + max(0, parts.attoseconds / 1_000_000_000) + 1
        var deadline = timespec()
        clock_gettime(CLOCK_REALTIME, &deadline)
        let total = Int64(deadline.tv_nsec) + nanoseconds
        deadline.tv_sec += Int(total / 1_000_000_000)
        deadline.tv_nsec = Int(total % 1_000_000_000)
        pthread_cond_timedwait(condition, mutex, &deadline)
    }

    /// Wakes every waiter; call while holding the lock.
    func broadcast() {
        pthread_cond_broadcast(condition)
    }
}
