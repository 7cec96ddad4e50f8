#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Block-aligned work memory for Argon2, owned by one hash at a time.
final class WorkMemory {
    static let blockBytes = 1024
    static let wordsPerBlock = 128

    /// The memory as 64-bit words, 128 per block.
    let blocks: UnsafeMutablePointer<UInt64>
    /// How many 1 KiB blocks fit.
    let blockCount: Int

    /// Allocates `blockCount` blocks; when `preTouched`, writes every page now so hashes never page-fault.
    init(blockCount: Int, preTouched: Bool) throws(Argon2Error) {
        let bytes = blockCount * Self.blockBytes
        var raw: UnsafeMutableRawPointer?
        // Large buffers are aligned to 2 MiB so the kernel can back them with huge pages.
        let hugePage = 2 << 20
        let alignment = bytes >= hugePage ? hugePage : 64
        guard posix_memalign(&raw, alignment, max(bytes, Self.blockBytes)) == 0, let raw else {
            throw .allocationFailed(bytes: bytes)
        }
        #if canImport(Glibc)
        if bytes >= hugePage {
            _ = madvise(raw, bytes, MADV_HUGEPAGE)
        }
        #endif
        if preTouched {
            memset(raw, 0, bytes)
        }
        blocks = raw.bindMemory(to: UInt64.self, capacity: blockCount * Self.wordsPerBlock)
        self.blockCount = blockCount
    }

    deinit {
        // The blocks hold password-derived state; wipe them before giving them back.
        let raw = UnsafeMutableRawPointer(blocks)
        memset(raw, 0, blockCount * Self.blockBytes)
        free(raw)
    }
}
