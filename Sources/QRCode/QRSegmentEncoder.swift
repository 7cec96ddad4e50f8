/// Turns bytes into the data codewords of one byte-mode segment, padded to the version's capacity
/// (ISO/IEC 18004 sections 7.4.2, 7.4.5, 7.4.9 and 7.4.10).
enum QRSegmentEncoder {
    /// ECI assignment number for UTF-8.
    static let utf8ECI = 26

    /// Bits an ECI header takes: its mode indicator and a one-byte designator (assignments 0...127).
    static let eciHeaderBits = 12

    /// The data codewords: an optional ECI header, mode, count, bytes, terminator, then the alternating pad
    /// codewords 0xEC 0x11.
    ///
    /// The caller guarantees the bytes fit (see ``QRVersionTable/byteCapacity(version:correction:headerBits:)``)
    /// and that `eci` is in 0...127.
    static func dataCodewords(
        for bytes: [UInt8],
        eci: Int? = nil,
        version: Int,
        correction: QRCode.ErrorCorrection
    ) -> [UInt8] {
        let capacity = QRVersionTable.dataCodewords(version: version, correction: correction)
        var bits = BitWriter()
        if let eci {
            bits.append(0b0111, count: 4)  // ECI mode
            bits.append(eci, count: 8)
        }
        bits.append(0b0100, count: 4)  // byte mode
        bits.append(bytes.count, count: QRVersionTable.characterCountBits(version: version))
        for byte in bytes {
            bits.append(Int(byte), count: 8)
        }
        // The terminator is up to four zero bits, cut short when the symbol is full.
        bits.append(0, count: min(4, capacity * 8 - bits.count))
        bits.append(0, count: (8 - bits.count % 8) % 8)
        var codewords = bits.bytes
        var pad: UInt8 = 0xEC
        while codewords.count < capacity {
            codewords.append(pad)
            pad ^= 0xEC ^ 0x11
        }
        return codewords
    }
}

/// Appends bit fields, most significant bit first, into bytes.
struct BitWriter {
    private(set) var bytes: [UInt8] = []
    private(set) var count = 0

    mutating func append(_ value: Int, count width: Int) {
        for shift in stride(from: width - 1, through: 0, by: -1) {
            if count % 8 == 0 {
                bytes.append(0)
            }
            if (value >> shift) & 1 == 1 {
                bytes[bytes.count - 1] |= UInt8(0x80 >> (count % 8))
            }
            count += 1
        }
    }
}
