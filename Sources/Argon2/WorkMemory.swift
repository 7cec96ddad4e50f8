#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Block-aligned work memory for Argon2, owned by one hash at a time.
///
/// Pages are not touched here: the first hash in the memory writes each page when it first reaches it (its
/// first pass writes every block before any is read). On Linux, buffers of 2 MiB and more are mapped
/// directly (2 MiB aligned, with `MADV_HUGEPAGE` so the kernel can back them with huge pages) and unmapped
/// on release, so their memory goes back to the system at once instead of staying in the malloc heap.
final class WorkMemory {
    static let blockBytes = 1024
    static let wordsPerBlock = 128
    static let hugePageBytes = 2 << 20

    /// The memory as 64-bit words, 128 per block.
    let blocks: UnsafeMutablePointer<UInt64>
    /// How many 1 KiB blocks fit.
    let blockCount: Int
    /// The mapping to release (nil when the memory came from the malloc heap).
    private let mapping: (base: UnsafeMutableRawPointer, bytes: Int)?

    var byteCount: Int { blockCount * Self.blockBytes }

    /// Reserves `blockCount` blocks without touching them.
    init(blockCount: Int) throws(Argon2Error) {
        let bytes = blockCount * Self.blockBytes
        self.blockCount = blockCount
        #if canImport(Glibc)
            if bytes >= Self.hugePageBytes {
                // Over-map by one huge page and trim both ends, leaving a 2 MiB aligned range.
                let mapped = bytes + Self.hugePageBytes
                guard let base = mmap(nil, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
                    base != MAP_FAILED
                else {
                    throw .allocationFailed(bytes: bytes)
                }
                let address = Int(bitPattern: base)
                let aligned = (address + Self.hugePageBytes - 1) & ~(Self.hugePageBytes - 1)
                let head = aligned - address
                if head > 0 {
                    munmap(base, head)
                }
                let tail = mapped - head - bytes
                let start = base + head
                if tail > 0 {
                    munmap(start + bytes, tail)
                }
                _ = madvise(start, bytes, MADV_HUGEPAGE)
                mapping = (start, bytes)
                blocks = start.bindMemory(to: UInt64.self, capacity: blockCount * Self.wordsPerBlock)
                return
            }
        #endif
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, max(bytes, Self.blockBytes)) == 0, let raw else {
            throw .allocationFailed(bytes: bytes)
        }
        mapping = nil
        blocks = raw.bindMemory(to: UInt64.self, capacity: blockCount * Self.wordsPerBlock)
    }

    deinit {
        #if canImport(Glibc)
            if let mapping {
                // Unmapped pages are discarded by the kernel (and zeroed before any reuse): no wipe needed, and
                // skipping it saves a pass over the whole buffer.
                munmap(mapping.base, mapping.bytes)
                return
            }
        #endif
        // Heap memory holds password-derived state and may be handed out again: wipe it before freeing.
        let raw = UnsafeMutableRawPointer(blocks)
        memset(raw, 0, blockCount * Self.blockBytes)
        free(raw)
    }
}
