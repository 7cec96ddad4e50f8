import Argon2Kernels
import Synchronization

extension Argon2 {
    /// An implementation of Argon2's block function G, the hot loop of every hash.
    ///
    /// All kernels compute the same tags; they differ only in the instructions used. The library picks
    /// ``best`` by CPUID once per process; a kernel can be forced per hash (the `kernel:` parameters of
    /// ``Argon2/hash(password:salt:parameters:secret:associatedData:kernel:)`` and ``Argon2Hasher``) or for
    /// the whole process with ``use(_:)``. The library reads no environment variable: programs that want one
    /// (the CLI reads `GATEHOUSE_ARGON2_KERNEL`) call ``use(_:)`` themselves.
    public enum Kernel: String, Sendable, CaseIterable, CustomStringConvertible {
        /// Swift SIMD code that runs everywhere: SSE2 on baseline x86-64, NEON on arm64.
        case portable
        /// AVX2 intrinsics (x86-64 CPUs since Haswell / Zen).
        case avx2
        /// AVX-512F intrinsics: the whole block in sixteen registers, native 64-bit rotates.
        case avx512

        /// The name used by ``init(rawValue:)`` and the `GATEHOUSE_ARGON2_KERNEL` variable.
        public var description: String { rawValue }

        /// Whether this CPU (and operating system) can run the kernel.
        public var isSupported: Bool {
            switch self {
            case .portable: true
            case .avx2: Self.hasAVX2
            case .avx512: Self.hasAVX512F
            }
        }

        /// The kernels this CPU runs, slowest first; always starts with ``portable``.
        public static let available: [Kernel] = allCases.filter(\.isSupported)

        /// The kernel run-time dispatch picks: the widest this CPU supports.
        public static let best: Kernel = available.last ?? .portable

        /// The kernel hashes use when none is given: ``best`` unless ``use(_:)`` chose another.
        public static var current: Kernel {
            let index = selection.load(ordering: .relaxed)
            return index < 0 ? best : allCases[index]
        }

        /// Makes `kernel` the process-wide default (`nil`: back to ``best``).
        /// - Throws: ``Argon2Error/kernelUnavailable(_:)`` when this CPU cannot run it; the default is unchanged.
        public static func use(_ kernel: Kernel?) throws(Argon2Error) {
            guard let kernel else {
                selection.store(-1, ordering: .relaxed)
                return
            }
            guard kernel.isSupported else { throw .kernelUnavailable(kernel) }
            selection.store(allCases.firstIndex(of: kernel) ?? -1, ordering: .relaxed)
        }

        /// The kernel to run for an optional request: `requested` if the CPU has it, ``current`` for nil.
        static func resolve(_ requested: Kernel?) throws(Argon2Error) -> Kernel {
            guard let requested else { return current }
            guard requested.isSupported else { throw .kernelUnavailable(requested) }
            return requested
        }

        private static let selection = Atomic<Int>(-1)
        private static let hasAVX2 = gh_argon2_cpu_supports(Int32(GH_ARGON2_KERNEL_AVX2)) != 0
        private static let hasAVX512F = gh_argon2_cpu_supports(Int32(GH_ARGON2_KERNEL_AVX512F)) != 0

        /// out = G(x, y), or out ^= G(x, y) when `xorInto`; `out` may be `x` or `y`.
        /// `scratch` (1 KiB, 64-byte aligned) is used by the portable kernel only.
        @inline(__always)
        func compress(
            _ x: UnsafeMutablePointer<UInt64>, _ y: UnsafeMutablePointer<UInt64>,
            into out: UnsafeMutablePointer<UInt64>,
            xorInto: Bool, scratch: UnsafeMutableRawPointer
        ) {
            switch self {
            case .portable:
                BlockCompressor.compress(
                    UnsafeRawPointer(x), UnsafeRawPointer(y), into: UnsafeMutableRawPointer(out),
                    xorInto: xorInto, scratch: scratch)
            case .avx2:
                gh_argon2_fill_block_avx2(x, y, out, xorInto ? 1 : 0)
            case .avx512:
                gh_argon2_fill_block_avx512f(x, y, out, xorInto ? 1 : 0)
            }
        }
    }
}
