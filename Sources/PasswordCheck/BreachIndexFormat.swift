/// The on-disk layout of a breach index, shared by the builder and the reader.
///
/// All integers are little-endian. The file is:
/// - a 64-byte header: magic `GHBRIDX1`, version (UInt32), bucket bits `b` (UInt32), entry count (UInt64),
///   the minimum breach count applied at import (UInt64), then zeros;
/// - the bucket table: `2^b + 1` UInt64 entry indices; bucket `k` holds the entries whose top `b` bits equal `k`,
///   at indices `table[k] ..< table[k + 1]`;
/// - the entries: the leading 64 bits of every distinct SHA-1, sorted ascending, one UInt64 each.
///
/// Keeping 64 of the 160 bits makes a false "breached" answer possible but negligible: with `N` stored hashes
/// a password that is not in the corpus matches some stored prefix with probability about `N / 2^64`
/// (5 × 10^-11 for the full Pwned Passwords corpus of about 10^9 hashes). Breach counts are not kept, so that each
/// hash costs exactly 8 bytes; an operator who wants to ignore rare leaks filters them at import.
enum BreachIndexFormat {
    static let magic: [UInt8] = Array("GHBRIDX1".utf8)
    static let version: UInt32 = 1
    static let headerSize = 64
    static let maximumBucketBits = 24

    /// Picks the bucket table size: about 256 entries per bucket keeps a lookup within a few cache lines
    /// while the table itself costs a negligible 1/32 byte per hash.
    static func bucketBits(forCount count: UInt64) -> Int {
        guard count > 1 else { return 0 }
        let log2 = 63 - count.leadingZeroBitCount
        return max(0, min(maximumBucketBits, log2 - 8))
    }

    static func entriesOffset(bucketBits: Int) -> Int {
        headerSize + 8 * ((1 << bucketBits) + 1)
    }

    static func header(bucketBits: Int, count: UInt64, minimumCount: UInt64) -> [UInt8] {
        var bytes = magic
        appendLittleEndian(version, to: &bytes)
        appendLittleEndian(UInt32(bucketBits), to: &bytes)
        appendLittleEndian(count, to: &bytes)
        appendLittleEndian(minimumCount, to: &bytes)
        while bytes.count < headerSize { bytes.append(0) }
        return bytes
    }

    static func appendLittleEndian<Value: FixedWidthInteger>(_ value: Value, to bytes: inout [UInt8]) {
        var little = value.littleEndian
        withUnsafeBytes(of: &little) { bytes.append(contentsOf: $0) }
    }
}
