#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A read-only, memory-mapped breach index built by ``BreachIndexBuilder``.
///
/// Lookups binary-search one bucket of sorted 64-bit hash prefixes in the mapped file, so they cost a few
/// microseconds and the operating system pages in only what is touched. See ``BreachIndexFormat`` for the layout
/// and the false-positive rate of keeping 64 bits per hash.
public final class BreachIndex: BreachedPasswordSource, @unchecked Sendable {
    // Unchecked Sendable: every stored property is set once in init and the mapping is read-only until deinit.
    private let base: UnsafeRawPointer
    private let mappedLength: Int
    private let bucketBits: Int
    private let table: UnsafePointer<UInt64>
    private let entries: UnsafePointer<UInt64>

    /// The number of distinct hashes in the index.
    public let count: Int
    /// The minimum breach count that was applied when the index was imported (1 when none was).
    public let minimumCount: UInt64
    /// The size of the index file in bytes.
    public var fileSize: Int { mappedLength }

    /// Why an index file could not be opened.
    public enum OpenError: Error, Equatable, Sendable {
        case cannotOpen(path: String, errno: Int32)
        case notAnIndex(path: String)
        case unsupportedVersion(path: String, version: UInt32)
        case truncated(path: String)
        case mapFailed(path: String, errno: Int32)
    }

    /// Opens and maps the index at `path`, checking its header and size.
    public init(path: String) throws(OpenError) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw .cannotOpen(path: path, errno: errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .cannotOpen(path: path, errno: errno) }
        let length = Int(info.st_size)
        guard length >= BreachIndexFormat.headerSize else { throw .notAnIndex(path: path) }
        guard let mapped = mmap(nil, length, PROT_READ, MAP_SHARED, fd, 0), mapped != MAP_FAILED else {
            throw .mapFailed(path: path, errno: errno)
        }
        let raw = UnsafeRawPointer(mapped)
        let magic = (0..<8).map { raw.load(fromByteOffset: $0, as: UInt8.self) }
        let version = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        let bits = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 12, as: UInt32.self)))
        let entryCount = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        let minimum = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        func fail(_ error: OpenError) -> OpenError {
            munmap(mapped, length)
            return error
        }
        guard magic == BreachIndexFormat.magic else { throw fail(.notAnIndex(path: path)) }
        guard version == BreachIndexFormat.version else {
            throw fail(.unsupportedVersion(path: path, version: version))
        }
        guard bits <= BreachIndexFormat.maximumBucketBits, entryCount <= UInt64(Int.max / 16) else {
            throw fail(.notAnIndex(path: path))
        }
        let entriesOffset = BreachIndexFormat.entriesOffset(bucketBits: bits)
        guard length == entriesOffset + Int(entryCount) * 8 else { throw fail(.truncated(path: path)) }
        #if canImport(Glibc)
            // Lookups jump to random places; read-ahead would only waste memory.
            madvise(mapped, length, MADV_RANDOM)
        #endif

        base = raw
        mappedLength = length
        bucketBits = bits
        table = raw.advanced(by: BreachIndexFormat.headerSize).assumingMemoryBound(to: UInt64.self)
        entries = raw.advanced(by: entriesOffset).assumingMemoryBound(to: UInt64.self)
        count = Int(entryCount)
        minimumCount = minimum
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: base), mappedLength)
    }

    /// Returns whether the leading 64 bits of a SHA-1 digest are in the index.
    public func contains(leading64Bits key: UInt64) -> Bool {
        let bucket = bucketBits == 0 ? 0 : Int(key >> UInt64(64 - bucketBits))
        var low = Int(UInt64(littleEndian: table[bucket]))
        var high = Int(UInt64(littleEndian: table[bucket + 1]))
        guard low <= high, high <= count else { return false }
        while low < high {
            let middle = (low + high) / 2
            let value = UInt64(littleEndian: entries[middle])
            if value == key { return true }
            if value < key {
                low = middle + 1
            } else {
                high = middle
            }
        }
        return false
    }

    /// Returns whether the SHA-1 digest `sha1` (20 bytes) is in the index; a malformed digest is never breached.
    public func contains(sha1: [UInt8]) -> Bool {
        guard let key = leading64Bits(of: sha1) else { return false }
        return contains(leading64Bits: key)
    }

    /// Returns whether the password with SHA-1 digest `sha1` is in the index.
    public func isBreached(sha1: [UInt8]) async throws -> Bool {
        contains(sha1: sha1)
    }
}
