/// Writes 1-bit greyscale PNG images (ISO/IEC 15948), compressed with our own zlib stream.
enum PNGWriter {
    /// A PNG of `width` x `height` pixels where `isDark(x, y)` says which pixels are black.
    static func blackAndWhite(width: Int, height: Int, isDark: (Int, Int) -> Bool) -> [UInt8] {
        let stride = 1 + (width + 7) / 8  // a filter-type byte (0, none) then 8 pixels a byte
        var raw = [UInt8](repeating: 0, count: stride * height)
        for y in 0..<height {
            let rowStart = y * stride
            for x in 0..<width where !isDark(x, y) {
                // Greyscale 1 is white; pixels left 0 are black, and so is the padding after the last pixel.
                raw[rowStart + 1 + x / 8] |= UInt8(0x80 >> (x % 8))
            }
        }

        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header: [UInt8] = []
        header.appendBigEndian(UInt32(width))
        header.appendBigEndian(UInt32(height))
        header += [1, 0, 0, 0, 0]  // bit depth 1, greyscale, deflate, adaptive filtering, no interlace
        appendChunk("IHDR", header, to: &png)
        appendChunk("IDAT", zlibStream(raw, stride: stride), to: &png)
        appendChunk("IEND", [], to: &png)
        return png
    }

    /// A zlib (RFC 1950) wrapper around our DEFLATE stream.
    static func zlibStream(_ data: [UInt8], stride: Int) -> [UInt8] {
        // CMF 0x78: deflate with a 32 KiB window; FLG 0x01 makes CMF * 256 + FLG a multiple of 31.
        var stream: [UInt8] = [0x78, 0x01]
        stream += Deflate.compress(data, stride: stride)
        stream.appendBigEndian(Adler32.checksum(data))
        return stream
    }

    private static func appendChunk(_ type: String, _ data: [UInt8], to png: inout [UInt8]) {
        png.appendBigEndian(UInt32(data.count))
        let typeAndData = Array(type.utf8) + data
        png += typeAndData
        png.appendBigEndian(CRC32.checksum(typeAndData))
    }
}

extension [UInt8] {
    fileprivate mutating func appendBigEndian(_ value: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) {
            append(UInt8(truncatingIfNeeded: value >> UInt32(shift)))
        }
    }
}
