// argon2-bench: the driver of Benchmarks/argon2_bench.py. Depends on the Argon2 module alone, so
// `swift build -c release --product argon2-bench` is far cheaper than the full gatehouse build.
//
//   argon2-bench kernels                  kernels this CPU runs, then the one dispatch picks
//   argon2-bench time [-k KIB] [-t N] [-p N] [--runs N] [--kernel K]
//                                         Argon2id with a pooled hasher: median/min/max ms and the tag
//   argon2-bench floor [-k KIB] [-t N] [--runs N]
//                                         memory-traffic floor: Argon2's block accesses with XOR for G
//   argon2-bench memory [-k KIB] [-t N] [--threads N]
//                                         first-hash latency and resident memory of a lazily filled pool
//
// The kernel is --kernel, else $GATEHOUSE_ARGON2_KERNEL, else the dispatch choice.

import Argon2

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

let password = Array("correct horse battery staple".utf8)
let salt = Array("0123456789abcdef".utf8)

struct Options {
    var command = "time"
    var memoryKiB = 19456
    var iterations = 2
    var lanes = 1
    var runs = 20
    var threads = 2
    var kernel: Argon2.Kernel?
}

func fail(_ message: String) -> Never {
    let line = Array("argon2-bench: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(2)
}

func parseOptions() -> Options {
    var options = Options()
    var arguments = Array(CommandLine.arguments.dropFirst())
    if let first = arguments.first, !first.hasPrefix("-") {
        options.command = first
        arguments.removeFirst()
    }
    if let name = getenv("GATEHOUSE_ARGON2_KERNEL").map({ String(cString: $0) }), !name.isEmpty {
        guard let kernel = Argon2.Kernel(rawValue: name) else {
            fail("unknown kernel \(name) in GATEHOUSE_ARGON2_KERNEL")
        }
        options.kernel = kernel
    }
    var index = 0
    func value() -> String {
        index += 1
        guard index < arguments.count else { fail("\(arguments[index - 1]) needs a value") }
        return arguments[index]
    }
    func number() -> Int {
        let text = value()
        guard let number = Int(text), number > 0 else { fail("\(arguments[index - 1]) needs a positive number") }
        return number
    }
    while index < arguments.count {
        switch arguments[index] {
        case "-k": options.memoryKiB = number()
        case "-t": options.iterations = number()
        case "-p": options.lanes = number()
        case "--runs": options.runs = number()
        case "--threads": options.threads = number()
        case "--kernel":
            let name = value()
            guard let kernel = Argon2.Kernel(rawValue: name) else {
                fail("unknown kernel \(name); one of \(Argon2.Kernel.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            options.kernel = kernel
        default: fail("unexpected argument \(arguments[index])")
        }
        index += 1
    }
    if let kernel = options.kernel, !kernel.isSupported {
        fail("this CPU cannot run the \(kernel) kernel (available: \(Argon2.Kernel.available.map(\.rawValue)))")
    }
    return options
}

func milliseconds(_ duration: Duration) -> Double {
    let parts = duration.components
    return Double(parts.seconds) * 1000 + Double(parts.attoseconds) / 1e15
}

func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    return String(decoding: bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }, as: UTF8.self)
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    let count = sorted.count
    return count % 2 == 1 ? sorted[count / 2] : (sorted[count / 2 - 1] + sorted[count / 2]) / 2
}

/// Resident set size of this process, from /proc/self/statm (0 where there is none).
func residentMiB() -> Double {
    guard let file = fopen("/proc/self/statm", "r") else { return 0 }
    defer { fclose(file) }
    var size = 0
    var resident = 0
    guard
        withUnsafeMutablePointer(
            to: &size,
            { sizePointer in
                withUnsafeMutablePointer(to: &resident) { residentPointer in
                    withVaList([sizePointer, residentPointer]) { vfscanf(file, "%ld %ld", $0) }
                }
            }) == 2
    else { return 0 }
    return Double(resident * Int(sysconf(Int32(_SC_PAGESIZE)))) / 1_048_576
}

func parameters(_ options: Options) -> Argon2.Parameters {
    Argon2.Parameters(
        variant: .id, memoryKiB: options.memoryKiB, iterations: options.iterations,
        parallelism: options.lanes)
}

func time(_ options: Options) throws {
    let kernel = options.kernel ?? Argon2.Kernel.current
    let hasher = Argon2Hasher(maxConcurrent: 1, maxMemoryKiB: Int(UInt32.max), kernel: kernel)
    let parameters = parameters(options)
    var tag = try hasher.hash(password: password, salt: salt, parameters: parameters)  // warm-up: touches the pool
    var times: [Double] = []
    for _ in 0..<options.runs {
        let start = ContinuousClock.now
        tag = try hasher.hash(password: password, salt: salt, parameters: parameters)
        times.append(milliseconds(ContinuousClock.now - start))
    }
    print(
        "kernel \(kernel): \(options.runs) hashes: median \(format(median(times))) ms, "
            + "min \(format(times.min() ?? 0)) ms, max \(format(times.max() ?? 0)) ms")
    print("tag \(hex(tag))")
}

/// Argon2's memory traffic without its arithmetic: t passes over m blocks in one lane, each new block the
/// XOR of the previous block and a pseudo-random earlier one (XORed into the old contents after pass 0), with
/// the same 2 MiB aligned, huge-page advised memory. What is left is the time the loads and stores take.
func floor(_ options: Options) {
    let blocks = options.memoryKiB / 4 * 4
    let words = blocks * 128
    var raw: UnsafeMutableRawPointer?
    guard posix_memalign(&raw, 2 << 20, words * 8) == 0, let raw else { fail("no memory") }
    defer { free(raw) }
    #if canImport(Glibc)
        _ = madvise(raw, words * 8, MADV_HUGEPAGE)
    #endif
    let memory = raw.bindMemory(to: SIMD8<UInt64>.self, capacity: words / 8)
    memset(raw, 1, words * 8)
    var times: [Double] = []
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    for _ in 0...options.runs {
        let start = ContinuousClock.now
        for pass in 0..<options.iterations {
            for block in (pass == 0 ? 2 : 0)..<blocks {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let previous = (block == 0 ? blocks - 1 : block - 1) * 16
                let limit = pass == 0 ? block - 1 : blocks - 1
                let reference = Int((state >> 33) % UInt64(max(1, limit))) * 16
                let out = block * 16
                if pass == 0 {
                    for lane in 0..<16 { memory[out + lane] = memory[previous + lane] ^ memory[reference + lane] }
                } else {
                    for lane in 0..<16 { memory[out + lane] ^= memory[previous + lane] ^ memory[reference + lane] }
                }
            }
        }
        times.append(milliseconds(ContinuousClock.now - start))
    }
    times.removeFirst()
    let traffic = Double(blocks) * 1024 * Double(2 * options.iterations + (options.iterations - 1)) / 1_048_576
    print(
        "memory floor: median \(format(median(times))) ms for \(options.iterations) passes over "
            + "\(blocks) blocks (about \(format(traffic)) MiB read and written), \(memory[0][0] & 1) check")
}

/// The lazily filled pool: resident memory before any hash, first-hash latency (pages touched by the hash),
/// warm latency, resident memory after `threads` concurrent hashes, and after releaseIdleMemory().
func memory(_ options: Options) throws {
    let kernel = options.kernel ?? Argon2.Kernel.current
    let parameters = parameters(options)
    let before = residentMiB()
    let hasher = Argon2Hasher(maxConcurrent: options.threads, maxMemoryKiB: Int(UInt32.max), kernel: kernel)
    let afterInit = residentMiB()
    var start = ContinuousClock.now
    _ = try hasher.hash(password: password, salt: salt, parameters: parameters)
    let first = milliseconds(ContinuousClock.now - start)
    let afterFirst = residentMiB()
    var warm: [Double] = []
    for _ in 0..<5 {
        start = ContinuousClock.now
        _ = try hasher.hash(password: password, salt: salt, parameters: parameters)
        warm.append(milliseconds(ContinuousClock.now - start))
    }
    // `threads` hashes at once: the pool grows to one buffer per slot used.
    var threads: [pthread_t] = []
    final class Box: @unchecked Sendable {
        let hasher: Argon2Hasher
        let parameters: Argon2.Parameters
        init(_ hasher: Argon2Hasher, _ parameters: Argon2.Parameters) {
            self.hasher = hasher
            self.parameters = parameters
        }
    }
    for _ in 0..<options.threads {
        let context = Unmanaged.passRetained(Box(hasher, parameters)).toOpaque()
        var thread = pthread_t()
        pthread_create(
            &thread, nil,
            { raw in
                guard let raw else { return nil }
                let box = Unmanaged<Box>.fromOpaque(raw).takeRetainedValue()
                _ = try? box.hasher.hash(password: password, salt: salt, parameters: box.parameters)
                return nil
            }, context)
        threads.append(thread)
    }
    for thread in threads {
        pthread_join(thread, nil)
    }
    let afterConcurrent = residentMiB()
    hasher.releaseIdleMemory()
    let afterRelease = residentMiB()
    // What pre-touching at start would cost: writing every page of one buffer before the first hash.
    let size = parameters.memoryKiB * 1024
    var raw: UnsafeMutableRawPointer?
    guard posix_memalign(&raw, 2 << 20, size) == 0, let raw else { fail("no memory") }
    #if canImport(Glibc)
        _ = madvise(raw, size, MADV_HUGEPAGE)
    #endif
    start = ContinuousClock.now
    memset(raw, 0, size)
    let touch = milliseconds(ContinuousClock.now - start)
    free(raw)
    print(
        "kernel \(kernel), m=\(parameters.memoryKiB) t=\(parameters.iterations) p=\(parameters.parallelism), "
            + "pool of \(options.threads)")
    print("RSS before hasher \(format(before)) MiB, after init \(format(afterInit)) MiB (nothing reserved)")
    print(
        "first hash \(format(first)) ms (touches its pages), warm median \(format(median(warm))) ms; "
            + "RSS after it \(format(afterFirst)) MiB")
    print(
        "RSS after \(options.threads) concurrent hashes \(format(afterConcurrent)) MiB, after releaseIdleMemory "
            + "\(format(afterRelease)) MiB")
    print("pre-touching one buffer at start (memset) takes \(format(touch)) ms")
}

func format(_ value: Double) -> String {
    let scaled = Int((value * 100).rounded())
    let fraction = abs(scaled % 100)
    return "\(scaled / 100).\(fraction < 10 ? "0" : "")\(fraction)"
}

let options = parseOptions()
do {
    switch options.command {
    case "kernels":
        print("available: \(Argon2.Kernel.available.map(\.rawValue).joined(separator: " "))")
        print("dispatch: \(Argon2.Kernel.best)")
    case "time": try time(options)
    case "floor": floor(options)
    case "memory": try memory(options)
    default: fail("unknown command \(options.command): kernels, time, floor or memory")
    }
} catch {
    fail("\(error)")
}
