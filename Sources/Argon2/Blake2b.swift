/// BLAKE2b (RFC 7693), the hash function under Argon2, with optional key and output length 1...64 bytes.
///
/// Use ``hash(_:outputLength:key:)`` for one-shot hashing, or make an instance and feed it with
/// ``update(_:)`` before ``finalize()``.
public struct Blake2b: Sendable {
    /// The errors ``Blake2b`` throws for out-of-range lengths.
    public enum ParameterError: Error, Equatable, Sendable {
        /// The output length is outside 1...64 bytes.
        case outputLengthOutOfRange(Int)
        /// The key is longer than 64 bytes.
        case keyTooLong(Int)
    }

    /// The largest output (and key) length in bytes.
    public static let maxOutputLength = 64
    static let blockLength = 128

    static let iv = SIMD8<UInt64>(
        0x6a09_e667_f3bc_c908, 0xbb67_ae85_84ca_a73b, 0x3c6e_f372_fe94_f82b, 0xa54f_f53a_5f1d_36f1,
        0x510e_527f_ade6_82d1, 0x9b05_688c_2b3e_6c1f, 0x1f83_d9ab_fb41_bd6b, 0x5be0_cd19_137e_2179
    )

    // Message schedule: row r gives the order in which round r reads the 16 message words.
    static let sigma: [[Int]] = [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
        [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
        [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
        [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
        [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
        [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
        [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
        [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
        [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
        [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
    ]

    private var state: SIMD8<UInt64>
    private var buffer: SIMD16<UInt64> = .zero
    private var bufferedBytes = 0
    private var totalBytes: (low: UInt64, high: UInt64) = (0, 0)
    /// The number of bytes ``finalize()`` returns.
    public let outputLength: Int

    /// Makes a hasher for `outputLength` bytes (1...64), keyed when `key` is not empty (at most 64 bytes).
    public init(outputLength: Int, key: [UInt8] = []) throws(ParameterError) {
        guard (1...Self.maxOutputLength).contains(outputLength) else {
            throw .outputLengthOutOfRange(outputLength)
        }
        guard key.count <= Self.maxOutputLength else { throw .keyTooLong(key.count) }
        self.outputLength = outputLength
        state = Self.iv
        state[0] ^= 0x0101_0000 ^ (UInt64(key.count) << 8) ^ UInt64(outputLength)
        if !key.isEmpty {
            update(key)
            // A key fills a whole block of its own, zero padded.
            update([UInt8](repeating: 0, count: Self.blockLength - key.count))
        }
    }

    /// Hashes `data` in one call.
    public static func hash(_ data: [UInt8], outputLength: Int = 64, key: [UInt8] = []) throws(ParameterError)
        -> [UInt8]
    {
        var hasher = try Blake2b(outputLength: outputLength, key: key)
        hasher.update(data)
        return hasher.finalize()
    }

    /// Feeds `bytes` to the hash.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Feeds `bytes` to the hash.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var index = 0
        let count = bytes.count
        while index < count {
            // The last block must be compressed with the final flag, so a full buffer waits for more input.
            if bufferedBytes == Self.blockLength {
                addToCounter(UInt64(Self.blockLength))
                compress(isLast: false)
                buffer = .zero
                bufferedBytes = 0
            }
            if bufferedBytes == 0 && count - index > Self.blockLength {
                for word in 0..<16 {
                    buffer[word] = Self.loadWord(bytes, at: index + 8 * word)
                }
                bufferedBytes = Self.blockLength
                index += Self.blockLength
                continue
            }
            let byte = UInt64(bytes[index])
            buffer[bufferedBytes >> 3] |= byte << UInt64((bufferedBytes & 7) * 8)
            bufferedBytes += 1
            index += 1
        }
    }

    /// Feeds a 32-bit value in little-endian order, as Argon2 frames its inputs.
    mutating func update(littleEndian value: UInt32) {
        let bytes: [UInt8] = [
            UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8),
            UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 24),
        ]
        update(bytes)
    }

    /// Finishes the hash and returns ``outputLength`` bytes.
    public mutating func finalize() -> [UInt8] {
        addToCounter(UInt64(bufferedBytes))
        compress(isLast: true)
        var output = [UInt8](repeating: 0, count: outputLength)
        for index in 0..<outputLength {
            output[index] = UInt8(truncatingIfNeeded: state[index >> 3] >> UInt64((index & 7) * 8))
        }
        return output
    }

    private static func loadWord(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
        var word: UInt64 = 0
        for byte in (0..<8).reversed() {
            word = (word << 8) | UInt64(bytes[offset + byte])
        }
        return word
    }

    private mutating func addToCounter(_ amount: UInt64) {
        let (sum, overflow) = totalBytes.low.addingReportingOverflow(amount)
        totalBytes.low = sum
        if overflow { totalBytes.high &+= 1 }
    }

    private mutating func compress(isLast: Bool) {
        var a = state.lowHalf
        var b = state.highHalf
        var c = Self.iv.lowHalf
        var d = Self.iv.highHalf
        d[0] ^= totalBytes.low
        d[1] ^= totalBytes.high
        if isLast { d[2] = ~d[2] }
        let m = buffer
        for round in 0..<12 {
            let s = Self.sigma[round % 10]
            // Columns, then diagonals (lanes of b, c, d rotated so each lane holds one diagonal).
            Self.mix(
                &a, &b, &c, &d,
                SIMD4(m[s[0]], m[s[2]], m[s[4]], m[s[6]]), SIMD4(m[s[1]], m[s[3]], m[s[5]], m[s[7]]))
            b = SIMD4(b[1], b[2], b[3], b[0])
            c = SIMD4(c[2], c[3], c[0], c[1])
            d = SIMD4(d[3], d[0], d[1], d[2])
            Self.mix(
                &a, &b, &c, &d,
                SIMD4(m[s[8]], m[s[10]], m[s[12]], m[s[14]]), SIMD4(m[s[9]], m[s[11]], m[s[13]], m[s[15]]))
            b = SIMD4(b[3], b[0], b[1], b[2])
            c = SIMD4(c[2], c[3], c[0], c[1])
            d = SIMD4(d[1], d[2], d[3], d[0])
        }
        state ^= SIMD8(lowHalf: a ^ c, highHalf: b ^ d)
    }

    @inline(__always)
    private static func mix(
        _ a: inout SIMD4<UInt64>, _ b: inout SIMD4<UInt64>, _ c: inout SIMD4<UInt64>, _ d: inout SIMD4<UInt64>,
        _ x: SIMD4<UInt64>, _ y: SIMD4<UInt64>
    ) {
        a = a &+ b &+ x
        d = (d ^ a).rotatedRight32()
        c = c &+ d
        b = (b ^ c).rotatedRight24()
        a = a &+ b &+ y
        d = (d ^ a).rotatedRight16()
        c = c &+ d
        b = (b ^ c).rotatedRight63()
    }

}
