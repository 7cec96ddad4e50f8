import Testing

@testable import QRCode

/// The PNG and zlib code checked against Python's zlib, an independent implementation.
@Suite struct PNGWriterTests {
    /// Reads a PNG from standard input, checks every chunk's CRC with zlib.crc32, inflates the IDAT data with
    /// zlib (which checks Adler-32), and prints "width height depth colour" then one line of 0/1 per pixel row.
    static let pngReader = """
        import sys, zlib, struct
        data = sys.stdin.buffer.read()
        assert data[:8] == b'\\x89PNG\\r\\n\\x1a\\n', 'signature'
        pos, idat, header = 8, b'', None
        while pos < len(data):
            length, kind = struct.unpack('>I4s', data[pos:pos + 8])
            body = data[pos + 8:pos + 8 + length]
            crc, = struct.unpack('>I', data[pos + 8 + length:pos + 12 + length])
            assert zlib.crc32(kind + body) == crc, 'crc of ' + kind.decode()
            if kind == b'IHDR': header = struct.unpack('>IIBBBBB', body)
            if kind == b'IDAT': idat += body
            pos += 12 + length
        width, height, depth, colour = header[:4]
        raw = zlib.decompress(idat)
        stride = 1 + (width * depth + 7) // 8
        assert len(raw) == stride * height, 'length'
        print(width, height, depth, colour)
        for y in range(height):
            row = raw[y * stride:(y + 1) * stride]
            assert row[0] == 0, 'filter'
            print(''.join(str((row[1 + x // 8] >> (7 - x % 8)) & 1) for x in range(width)))
        """

    @Test(arguments: [(1, 2), (7, 3), (25, 2)])
    func pngPixelsAreTheModulesWithQuietZone(version: Int, scale: Int) async throws {
        let code = try QRCode(text: "png check", correction: .high, minimumVersion: version)
        guard let result = try await ExternalTool.python(Self.pngReader, input: code.png(scale: scale)) else {
            Issue.record("python3 is not on PATH; it is the independent zlib and CRC oracle")
            return
        }
        #expect(result.status == 0, "\(result.errors)")
        let lines = String(decoding: result.output, as: UTF8.self).split(separator: "\n")
        let side = (code.size + 2 * QRCode.quietZone) * scale
        #expect(lines.first == "\(side) \(side) 1 0")
        let expected = (0..<side).map { y in
            String(
                (0..<side).map { x in
                    code.isDark(x: x / scale - QRCode.quietZone, y: y / scale - QRCode.quietZone) ? "0" : "1"
                }
            )
        }
        #expect(lines.dropFirst().map(String.init) == expected)
    }

    @Test func scaleBelowTwoIsRaisedToTwo() throws {
        let code = try QRCode(text: "tiny")
        let png = code.png(scale: 1)
        let width = png[16..<20].reduce(0) { $0 << 8 | Int($1) }
        #expect(width == (code.size + 8) * 2)
    }

    @Test(arguments: [0, 1, 2, 3, 258, 259, 1000, 70_000])
    func zlibStreamInflatesWithPython(length: Int) async throws {
        // Runs, repeats at the stride, and noise: every kind of symbol the compressor emits.
        var random = SplitMix64(seed: UInt64(length))
        var data: [UInt8] = []
        while data.count < length {
            let byte = UInt8.random(in: 0...255, using: &random)
            let count = Int.random(in: 1...400, using: &random)
            switch count % 3 {
            case 0: data += [UInt8](repeating: byte, count: count)
            case 1: data += data.suffix(37) + [byte]
            default: data += (0..<(count % 20)).map { _ in UInt8.random(in: 0...255, using: &random) }
            }
        }
        data = Array(data.prefix(length))
        let script = "import sys, zlib; sys.stdout.buffer.write(zlib.decompress(sys.stdin.buffer.read()))"
        guard let result = try await ExternalTool.python(script, input: PNGWriter.zlibStream(data, stride: 37)) else {
            Issue.record("python3 is not on PATH; it is the independent zlib oracle")
            return
        }
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output == data)
    }

    @Test func qrImagesCompressWell() throws {
        let code = try QRCode(encoding: [UInt8](repeating: 0x41, count: 2900), correction: .low)
        let png = code.png(scale: 8)
        let rawSize = ((code.size + 8) * 8 / 8 + 1) * (code.size + 8) * 8
        #expect(png.count * 4 < rawSize)
    }
}
