/// A small DEFLATE (RFC 1951) compressor: one block with the fixed Huffman codes, and greedy matches at two
/// distances only, 1 (runs of one byte) and a caller-given stride (the previous image row). That is all a
/// QR code image needs: its rows repeat and its pixels come in runs.
struct Deflate {
    private var bits = LSBBitWriter()

    private static let lengthBases = [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227,
        258,
    ]
    private static let lengthExtraBits = [
        0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
    ]
    private static let distanceBases = [
        1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
        4097, 6145, 8193, 12289, 16385, 24577,
    ]
    private static let distanceExtraBits = [
        0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
    ]
    private static let maximumMatch = 258
    private static let maximumDistance = 32768

    /// The raw DEFLATE stream for `data`, looking back `stride` bytes for matches as well as 1.
    static func compress(_ data: [UInt8], stride: Int) -> [UInt8] {
        var deflate = Deflate()
        deflate.bits.write(1, count: 1)  // BFINAL: the only block
        deflate.bits.write(1, count: 2)  // BTYPE 01: fixed Huffman codes
        let distances = [stride, 1].filter { $0 >= 1 && $0 <= maximumDistance }
        var position = 0
        while position < data.count {
            var bestLength = 0
            var bestDistance = 0
            for distance in distances where distance <= position {
                let limit = min(maximumMatch, data.count - position)
                var length = 0
                while length < limit && data[position + length] == data[position + length - distance] {
                    length += 1
                }
                if length > bestLength {
                    bestLength = length
                    bestDistance = distance
                }
            }
            if bestLength >= 3 {
                deflate.writeMatch(length: bestLength, distance: bestDistance)
                position += bestLength
            } else {
                deflate.writeSymbol(Int(data[position]))
                position += 1
            }
        }
        deflate.writeSymbol(256)  // end of block
        return deflate.bits.bytes
    }

    /// A literal/length symbol (0...285) in the fixed code of RFC 1951 section 3.2.6.
    private mutating func writeSymbol(_ symbol: Int) {
        switch symbol {
        case 0...143: bits.writeHuffman(0b0011_0000 + symbol, length: 8)
        case 144...255: bits.writeHuffman(0b1_1001_0000 + symbol - 144, length: 9)
        case 256...279: bits.writeHuffman(symbol - 256, length: 7)
        default: bits.writeHuffman(0b1100_0000 + symbol - 280, length: 8)
        }
    }

    private mutating func writeMatch(length: Int, distance: Int) {
        let lengthCode = Self.lengthBases.lastIndex { $0 <= length } ?? 0
        writeSymbol(257 + lengthCode)
        bits.write(length - Self.lengthBases[lengthCode], count: Self.lengthExtraBits[lengthCode])
        let distanceCode = Self.distanceBases.lastIndex { $0 <= distance } ?? 0
        bits.writeHuffman(distanceCode, length: 5)
        bits.write(distance - Self.distanceBases[distanceCode], count: Self.distanceExtraBits[distanceCode])
    }
}

/// Packs bits least significant first, as DEFLATE does.
struct LSBBitWriter {
    private(set) var bytes: [UInt8] = []
    private var bitCount = 0

    /// Writes the low `count` bits of `value`, least significant first (DEFLATE's extra bits and header fields).
    mutating func write(_ value: Int, count: Int) {
        for index in 0..<count {
            writeBit((value >> index) & 1 == 1)
        }
    }

    /// Writes a Huffman code, most significant bit first, as RFC 1951 section 3.1.1 asks.
    mutating func writeHuffman(_ code: Int, length: Int) {
        for index in stride(from: length - 1, through: 0, by: -1) {
            writeBit((code >> index) & 1 == 1)
        }
    }

    private mutating func writeBit(_ bit: Bool) {
        if bitCount % 8 == 0 {
            bytes.append(0)
        }
        if bit {
            bytes[bytes.count - 1] |= UInt8(1 << (bitCount % 8))
        }
        bitCount += 1
    }
}
