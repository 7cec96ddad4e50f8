import Testing

@testable import Argon2

/// Every block-function kernel this CPU runs gives the reference tags; kernels it lacks are skipped, with
/// the reason shown in the test report.
@Suite("Argon2 kernels")
struct KernelTests {
    // One test per kernel, so a kernel the CPU lacks shows up as skipped with its reason, never as passed.
    @Test("portable kernel: RFC 9106 and version 0x10 vectors, block function, random parameters")
    func portable() throws {
        try Self.check(.portable)
    }

    @Test(
        "AVX2 kernel: RFC 9106 and version 0x10 vectors, block function vs portable, random parameters",
        .enabled(if: Argon2.Kernel.avx2.isSupported, "this CPU lacks AVX2: the avx2 kernel cannot run here"))
    func avx2() throws {
        try Self.check(.avx2)
    }

    @Test(
        "AVX-512F kernel: RFC 9106 and version 0x10 vectors, block function vs portable, random parameters",
        .enabled(
            if: Argon2.Kernel.avx512.isSupported,
            "this CPU lacks AVX-512F: the avx512 kernel cannot run here"))
    func avx512() throws {
        try Self.check(.avx512)
    }

    static func check(_ kernel: Argon2.Kernel) throws {
        for (variant, expected) in Argon2VectorTests.rfcVectors {
            let tag = try Argon2.hash(
                password: [UInt8](repeating: 1, count: 32), salt: [UInt8](repeating: 2, count: 16),
                parameters: Argon2VectorTests.rfcParameters(variant), secret: [UInt8](repeating: 3, count: 8),
                associatedData: [UInt8](repeating: 4, count: 12), kernel: kernel)
            #expect(Hex.string(tag) == expected, "\(kernel) \(variant)")
            let pooled = Argon2Hasher(maxConcurrent: 1, kernel: kernel)
            for _ in 0..<2 {
                let again = try pooled.hash(
                    password: [UInt8](repeating: 1, count: 32), salt: [UInt8](repeating: 2, count: 16),
                    parameters: Argon2VectorTests.rfcParameters(variant), secret: [UInt8](repeating: 3, count: 8),
                    associatedData: [UInt8](repeating: 4, count: 12))
                #expect(Hex.string(again) == expected, "\(kernel) \(variant) pooled")
            }
        }
        for (variant, expected) in Argon2VectorTests.version10Vectors {
            let parameters = Argon2.Parameters(
                variant: variant, version: .v10, memoryKiB: 64, iterations: 2, parallelism: 2, tagLength: 24)
            let tag = try Argon2.hash(
                password: Array("password".utf8), salt: Array("somesaltsomesalt".utf8),
                parameters: parameters, kernel: kernel)
            #expect(Hex.string(tag) == expected, "\(kernel) \(variant) v=0x10")
        }
        checkBlockFunction(kernel)
        try checkRandomParameters(kernel)
    }

    /// G on random blocks, plain and XORed into the output, also with the output aliasing x or y.
    static func checkBlockFunction(_ kernel: Argon2.Kernel) {
        var random = SplitMix64(state: 0xB10C)
        let words = WorkMemory.wordsPerBlock
        let memory = UnsafeMutableRawPointer.allocate(byteCount: 8 * WorkMemory.blockBytes, alignment: 64)
        defer { memory.deallocate() }
        let block = { (index: Int) in
            (memory + index * WorkMemory.blockBytes).bindMemory(to: UInt64.self, capacity: words)
        }
        let (x, y, expected, actual, scratch) = (
            block(0), block(1), block(2), block(3), memory + 4 * WorkMemory.blockBytes
        )
        for round in 0..<200 {
            for word in 0..<words {
                x[word] = random.next()
                y[word] = round % 3 == 0 ? 0 : random.next()
                expected[word] = random.next()
            }
            let xorInto = round % 2 == 1
            actual.update(from: expected, count: words)
            Argon2.Kernel.portable.compress(x, y, into: expected, xorInto: xorInto, scratch: scratch)
            kernel.compress(x, y, into: actual, xorInto: xorInto, scratch: scratch)
            #expect(
                Array(UnsafeBufferPointer(start: actual, count: words))
                    == Array(UnsafeBufferPointer(start: expected, count: words)), "\(kernel) round \(round)")
            // Output in place of y (as the address blocks of Argon2i are computed), then of x.
            actual.update(from: y, count: words)
            kernel.compress(x, actual, into: actual, xorInto: false, scratch: scratch)
            Argon2.Kernel.portable.compress(x, y, into: expected, xorInto: false, scratch: scratch)
            #expect(
                Array(UnsafeBufferPointer(start: actual, count: words))
                    == Array(UnsafeBufferPointer(start: expected, count: words)), "\(kernel) round \(round), out = y")
            actual.update(from: x, count: words)
            kernel.compress(actual, y, into: actual, xorInto: false, scratch: scratch)
            #expect(
                Array(UnsafeBufferPointer(start: actual, count: words))
                    == Array(UnsafeBufferPointer(start: expected, count: words)), "\(kernel) round \(round), out = x")
        }
    }

    /// Random shapes (all variants, both versions, 1 to 5 lanes) agree with the portable kernel.
    static func checkRandomParameters(_ kernel: Argon2.Kernel) throws {
        var random = SplitMix64(state: 0x9106 &+ UInt64(kernel.rawValue.utf8.count))
        for _ in 0..<40 {
            let lanes = Int.random(in: 1...5, using: &random)
            let parameters = Argon2.Parameters(
                variant: Argon2.Variant.allCases.randomElement(using: &random) ?? .id,
                version: Bool.random(using: &random) ? .v13 : .v10,
                memoryKiB: 8 * lanes + Int.random(in: 0...600, using: &random),
                iterations: Int.random(in: 1...3, using: &random), parallelism: lanes,
                tagLength: Int.random(in: 4...80, using: &random))
            let password = (0..<Int.random(in: 0...40, using: &random)).map { _ in
                UInt8.random(in: 0...255, using: &random)
            }
            let salt = (0..<16).map { _ in UInt8.random(in: 0...255, using: &random) }
            let reference = try Argon2.hash(password: password, salt: salt, parameters: parameters, kernel: .portable)
            let tag = try Argon2.hash(password: password, salt: salt, parameters: parameters, kernel: kernel)
            #expect(tag == reference, "\(kernel) \(parameters)")
        }
    }

    @Test("dispatch: portable always available, best is the widest available, the default follows use(_:)")
    func dispatch() throws {
        #expect(Argon2.Kernel.available.first == .portable)
        #expect(Argon2.Kernel.available.last == Argon2.Kernel.best)
        #expect(Argon2.Kernel.available == Argon2.Kernel.allCases.filter(\.isSupported))
        #expect(Argon2.Kernel(rawValue: "avx512") == .avx512)
        #if arch(x86_64)
            // Any x86-64 CPU with AVX-512F has AVX2, too.
            if Argon2.Kernel.avx512.isSupported {
                #expect(Argon2.Kernel.avx2.isSupported)
            }
        #else
            #expect(Argon2.Kernel.available == [.portable])
        #endif
        for kernel in Argon2.Kernel.allCases where !kernel.isSupported {
            #expect(throws: Argon2Error.kernelUnavailable(kernel)) { try Argon2.Kernel.use(kernel) }
            #expect(throws: Argon2Error.kernelUnavailable(kernel)) {
                try Argon2.hash(
                    password: [], salt: [], parameters: .init(memoryKiB: 8, iterations: 1, parallelism: 1),
                    kernel: kernel)
            }
        }
        // Every kernel gives the same tags, so changing the process default cannot disturb concurrent tests.
        try Argon2.Kernel.use(.portable)
        #expect(Argon2.Kernel.current == .portable)
        try Argon2.Kernel.use(nil)
        #expect(Argon2.Kernel.current == Argon2.Kernel.best)
    }

    @Test("a pooled hasher gives its memory back after the idle timeout, and at once on demand")
    func idleRelease() async throws {
        let parameters = Argon2.Parameters(memoryKiB: 4096, iterations: 1, parallelism: 1)
        let hasher = Argon2Hasher(maxConcurrent: 2, idleTimeout: .milliseconds(200))
        #expect(hasher.idleMemoryBytes == 0, "nothing is allocated before the first hash")
        let first = try hasher.hash(password: [1], salt: Array("idlesalt".utf8), parameters: parameters)
        #expect(hasher.idleMemoryBytes == 4096 * 1024)
        var waited = 0
        while hasher.idleMemoryBytes > 0 && waited < 100 {
            try await Task.sleep(for: .milliseconds(50))
            waited += 1
        }
        #expect(hasher.idleMemoryBytes == 0, "released after the idle timeout")
        #expect(try hasher.hash(password: [1], salt: Array("idlesalt".utf8), parameters: parameters) == first)

        let kept = Argon2Hasher(maxConcurrent: 1, idleTimeout: nil)
        _ = try kept.hash(password: [1], salt: Array("idlesalt".utf8), parameters: parameters)
        #expect(kept.idleMemoryBytes == 4096 * 1024)
        kept.releaseIdleMemory()
        #expect(kept.idleMemoryBytes == 0)
        #expect(try kept.hash(password: [1], salt: Array("idlesalt".utf8), parameters: parameters) == first)
    }
}
