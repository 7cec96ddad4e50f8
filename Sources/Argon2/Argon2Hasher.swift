#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Hashes with work memory kept between hashes, and a bound on how many hashes run at once.
///
/// A server keeps one hasher. Each hash borrows a buffer from the pool, so it allocates nothing large and,
/// once the buffer has been used, takes no page faults; at most ``maxConcurrent`` hashes run at the same time
/// and further callers wait, so the memory held stays below `maxConcurrent` times the largest memory size used.
/// Buffers are made lazily, one per slot actually used, and their pages are touched by the first hash that
/// runs in them (not beforehand). After ``idleTimeout`` with no hash running, the idle buffers are given
/// back to the system; ``releaseIdleMemory()`` does so at once.
/// The methods are synchronous and block the calling thread: call them from a thread pool, not an event loop.
///
/// Idle buffers still hold the state of the last hash computed in them (derived from a password); they are
/// overwritten by the next hash and discarded when released.
public final class Argon2Hasher: @unchecked Sendable {
    /// How many hashes may run at the same time.
    public let maxConcurrent: Int
    /// The largest memory size, in KiB, this hasher accepts.
    public let maxMemoryKiB: Int
    /// The block-function kernel this hasher runs; `nil` follows ``Argon2/Kernel/current``.
    public let kernel: Argon2.Kernel?
    /// How long the pool stays allocated with no hash running; `nil` keeps it until released or deinit.
    public let idleTimeout: Duration?

    private let pool: BufferPool

    /// The number of online processors, a good ``maxConcurrent`` for a server hashing with one lane.
    public static var processorCount: Int { ParallelRunner.processorCount }

    /// Makes a hasher that runs at most `maxConcurrent` hashes at once, each using at most `maxMemoryKiB`
    /// (1 GiB unless given), with `kernel` (or the process default), releasing its memory after
    /// `idleTimeout` without hashing (60 s unless given; `nil` for never).
    public init(
        maxConcurrent: Int = Argon2Hasher.processorCount, maxMemoryKiB: Int = 1 << 20, kernel: Argon2.Kernel? = nil,
        idleTimeout: Duration? = .seconds(60)
    ) {
        self.maxConcurrent = max(1, maxConcurrent)
        self.maxMemoryKiB = maxMemoryKiB
        self.kernel = kernel
        self.idleTimeout = idleTimeout
        pool = BufferPool(maxConcurrent: self.maxConcurrent, idleTimeout: idleTimeout)
    }

    deinit {
        pool.shutDown()
    }

    /// Computes an Argon2 tag like ``Argon2/hash(password:salt:parameters:secret:associatedData:kernel:)``,
    /// waiting for a free slot if ``maxConcurrent`` hashes are running.
    ///
    /// - Throws: ``Argon2Error`` for parameters out of range, memory above ``maxMemoryKiB``, no memory, or a
    ///   kernel this CPU cannot run.
    public func hash(
        password: [UInt8], salt: [UInt8], parameters: Argon2.Parameters, secret: [UInt8] = [],
        associatedData: [UInt8] = []
    ) throws(Argon2Error) -> [UInt8] {
        try parameters.validate()
        guard parameters.memoryKiB <= maxMemoryKiB else {
            throw .memoryLimitExceeded(kibibytes: parameters.memoryKiB, limit: maxMemoryKiB)
        }
        let kernel = try Argon2.Kernel.resolve(kernel)
        let inputs = try Inputs(password: password, salt: salt, secret: secret, associatedData: associatedData)
        let borrowed = pool.acquire()
        let memory: WorkMemory
        if let borrowed, borrowed.blockCount >= parameters.blockCount {
            memory = borrowed
        } else {
            // Too small or none idle: replace it, so the pool keeps at most one buffer per slot.
            do {
                memory = try WorkMemory(blockCount: parameters.blockCount)
            } catch {
                pool.release(nil)
                throw error
            }
        }
        defer { pool.release(memory) }
        return Argon2Instance(parameters: parameters, kernel: kernel, memory: memory.blocks).computeTag(inputs: inputs)
    }

    /// Gives every idle buffer back to the system now; running hashes keep theirs until they finish.
    public func releaseIdleMemory() {
        pool.releaseIdle()
    }

    /// Bytes held by idle buffers (reserved; resident once a hash has run in them).
    public var idleMemoryBytes: Int {
        pool.idleBytes
    }
}

/// The buffers of one hasher, the count of running hashes, and the idle-release timer.
final class BufferPool: @unchecked Sendable {
    private let maxConcurrent: Int
    private let idleTimeout: Duration?
    private let lock = Lock()
    private var idle: [WorkMemory] = []
    private var running = 0
    private var lastActivity = ContinuousClock.now
    private var reaperRunning = false
    private var isShutDown = false

    init(maxConcurrent: Int, idleTimeout: Duration?) {
        self.maxConcurrent = maxConcurrent
        self.idleTimeout = idleTimeout
    }

    /// Waits for a slot and takes the largest idle buffer, if any.
    func acquire() -> WorkMemory? {
        lock.withLock {
            while running >= maxConcurrent {
                lock.wait()
            }
            running += 1
            return idle.popLast()
        }
    }

    func release(_ memory: WorkMemory?) {
        let startReaper = lock.withLock {
            running -= 1
            lastActivity = .now
            if let memory {
                idle.append(memory)
                idle.sort { $0.blockCount < $1.blockCount }
            }
            lock.broadcast()
            guard idleTimeout != nil, !reaperRunning, !isShutDown else { return false }
            reaperRunning = true
            return true
        }
        if startReaper && !Self.startThread(self) {
            lock.withLock { reaperRunning = false }
        }
    }

    func releaseIdle() {
        let released = lock.withLock {
            let released = idle
            idle = []
            return released
        }
        // The buffers are unmapped here, outside the lock.
        _ = released
    }

    var idleBytes: Int {
        lock.withLock { idle.reduce(0) { $0 + $1.byteCount } }
    }

    /// Drops the idle buffers and stops the reaper (the hasher is gone).
    func shutDown() {
        let released = lock.withLock {
            isShutDown = true
            let released = idle
            idle = []
            lock.broadcast()
            return released
        }
        _ = released
    }

    /// The reaper thread: sleeps until the pool has been idle for `idleTimeout`, then drops the idle buffers;
    /// exits when nothing is left to drop.
    private func reap() {
        guard let idleTimeout else { return }
        var released: [WorkMemory] = []
        lock.withLock {
            while !isShutDown && !idle.isEmpty {
                let idleFor = ContinuousClock.now - lastActivity
                if running == 0 && idleFor >= idleTimeout {
                    released = idle
                    idle = []
                    break
                }
                lock.wait(timeout: running == 0 ? idleTimeout - idleFor : idleTimeout)
            }
            reaperRunning = false
        }
        _ = released
    }

    /// Starts a detached thread running `pool.reap()`; false if the system refused.
    private static func startThread(_ pool: BufferPool) -> Bool {
        #if canImport(Glibc)
            let context = Unmanaged.passRetained(pool).toOpaque()
            var attributes = pthread_attr_t()
            pthread_attr_init(&attributes)
            defer { pthread_attr_destroy(&attributes) }
            pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
            pthread_attr_setstacksize(&attributes, 64 << 10)
            var thread = pthread_t()
            let status = pthread_create(
                &thread, &attributes,
                { raw in
                    guard let raw else { return nil }
                    Unmanaged<BufferPool>.fromOpaque(raw).takeRetainedValue().reap()
                    return nil
                }, context)
            if status != 0 {
                Unmanaged<BufferPool>.fromOpaque(context).release()
                return false
            }
            return true
        #else
            // No timer thread here: idle memory is released on demand or when the hasher goes.
            return false
        #endif
    }
}
