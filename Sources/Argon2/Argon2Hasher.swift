/// Hashes with work memory kept between hashes, and a bound on how many hashes run at once.
///
/// A server keeps one hasher. Each hash borrows a pre-touched buffer from the pool, so it takes no page
/// faults and allocates nothing large; at most ``maxConcurrent`` hashes run at the same time and further
/// callers wait, so the memory held stays below `maxConcurrent` times the largest memory size used.
/// The methods are synchronous and block the calling thread: call them from a thread pool, not an event loop.
///
/// Idle buffers still hold the state of the last hash computed in them (derived from a password); they are
/// overwritten by the next hash and wiped when the hasher is released.
public final class Argon2Hasher: @unchecked Sendable {
    /// How many hashes may run at the same time.
    public let maxConcurrent: Int
    /// The largest memory size, in KiB, this hasher accepts.
    public let maxMemoryKiB: Int

    private let lock = Lock()
    private var idle: [WorkMemory] = []
    private var running = 0

    /// The number of online processors, a good ``maxConcurrent`` for a server hashing with one lane.
    public static var processorCount: Int { ParallelRunner.processorCount }

    /// Makes a hasher that runs at most `maxConcurrent` hashes at once, each using at most `maxMemoryKiB`
    /// (1 GiB unless given).
    public init(maxConcurrent: Int = Argon2Hasher.processorCount, maxMemoryKiB: Int = 1 << 20) {
        self.maxConcurrent = max(1, maxConcurrent)
        self.maxMemoryKiB = maxMemoryKiB
    }

    /// Computes an Argon2 tag like ``Argon2/hash(password:salt:parameters:secret:associatedData:)``,
    /// waiting for a free slot if ``maxConcurrent`` hashes are running.
    ///
    /// - Throws: ``Argon2Error`` for parameters out of range, memory above ``maxMemoryKiB``, or no memory.
    public func hash(
        password: [UInt8], salt: [UInt8], parameters: Argon2.Parameters, secret: [UInt8] = [],
        associatedData: [UInt8] = []
    ) throws(Argon2Error) -> [UInt8] {
        try parameters.validate()
        guard parameters.memoryKiB <= maxMemoryKiB else {
            throw .memoryLimitExceeded(kibibytes: parameters.memoryKiB, limit: maxMemoryKiB)
        }
        let inputs = try Inputs(password: password, salt: salt, secret: secret, associatedData: associatedData)
        let borrowed = acquire()
        let memory: WorkMemory
        if let borrowed, borrowed.blockCount >= parameters.blockCount {
            memory = borrowed
        } else {
            // Too small or none idle: replace it, so the pool keeps at most one buffer per slot.
            do {
                memory = try WorkMemory(blockCount: parameters.blockCount, preTouched: true)
            } catch {
                release(nil)
                throw error
            }
        }
        defer { release(memory) }
        return Argon2Instance(parameters: parameters, memory: memory.blocks).computeTag(inputs: inputs)
    }

    /// Waits for a slot and takes the largest idle buffer, if any.
    private func acquire() -> WorkMemory? {
        lock.withLock {
            while running >= maxConcurrent {
                lock.wait()
            }
            running += 1
            return idle.popLast()
        }
    }

    private func release(_ memory: WorkMemory?) {
        lock.withLock {
            running -= 1
            if let memory {
                idle.append(memory)
                idle.sort { $0.blockCount < $1.blockCount }
            }
            lock.broadcast()
        }
    }
}
