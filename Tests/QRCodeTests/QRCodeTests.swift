import Testing

@testable import QRCode

@Suite struct QRCodeTests {
    @Test func smallestVersionThatFits() throws {
        #expect(try QRCode(encoding: [UInt8](repeating: 0x61, count: 14), correction: .medium).version == 1)
        #expect(try QRCode(encoding: [UInt8](repeating: 0x61, count: 15), correction: .medium).version == 2)
        #expect(try QRCode(encoding: [], correction: .high).version == 1)
        let code = try QRCode(encoding: [UInt8](repeating: 0x61, count: 2953), correction: .low)
        #expect(code.version == 40)
        #expect(code.size == 177)
    }

    @Test func minimumVersionIsRespected() throws {
        let code = try QRCode(text: "a", minimumVersion: 12)
        #expect(code.version == 12)
        #expect(code.size == 65)
        // A minimum below what the data needs is simply exceeded.
        #expect(try QRCode(encoding: [UInt8](repeating: 0x61, count: 100), minimumVersion: 2).version == 6)
    }

    @Test func tooMuchDataIsATypedError() {
        #expect(throws: QRCode.EncodingError.dataTooLong(byteCount: 2954, maximum: 2953)) {
            try QRCode(encoding: [UInt8](repeating: 0, count: 2954), correction: .low)
        }
        #expect(throws: QRCode.EncodingError.dataTooLong(byteCount: 1274, maximum: 1273)) {
            try QRCode(encoding: [UInt8](repeating: 0, count: 1274), correction: .high)
        }
    }

    @Test func invalidMinimumVersionIsATypedError() {
        #expect(throws: QRCode.EncodingError.invalidMinimumVersion(0)) { try QRCode(text: "a", minimumVersion: 0) }
        #expect(throws: QRCode.EncodingError.invalidMinimumVersion(41)) { try QRCode(text: "a", minimumVersion: 41) }
    }

    @Test func asciiTextIsPlainByteMode() throws {
        let text = "otpauth://totp/x?secret=AB"
        #expect(try QRCode(text: text) == QRCode(encoding: Array(text.utf8)))
        let codewords = QRSegmentEncoder.dataCodewords(for: Array("A".utf8), version: 1, correction: .high)
        // 0100 (byte mode), 00000001 (count), 01000001 ("A"), 0000 (terminator), then 0xEC 0x11 padding.
        #expect(codewords == [0x40, 0x14, 0x10, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11])
    }

    @Test func nonASCIITextCarriesAUTF8ECIHeader() throws {
        let codewords = QRSegmentEncoder.dataCodewords(
            for: Array("é".utf8),
            eci: QRSegmentEncoder.utf8ECI,
            version: 1,
            correction: .high
        )
        // 0111 (ECI) 00011010 (26, UTF-8) 0100 (byte mode) 00000010 (count) 0xC3 0xA9 0000, then padding.
        #expect(codewords == [0x71, 0xA4, 0x02, 0xC3, 0xA9, 0x00, 0xEC, 0x11, 0xEC])
        // The 12-bit header costs capacity: 2952 bytes of UTF-8 fit in version 40-L, not 2953.
        let fits = "é" + String(repeating: "a", count: 2950)
        #expect(try QRCode(text: fits, correction: .low).version == 40)
        #expect(throws: QRCode.EncodingError.dataTooLong(byteCount: 2953, maximum: 2952)) {
            try QRCode(text: fits + "a", correction: .low)
        }
    }

    @Test(arguments: [1, 2, 7, 40])
    func functionPatternsAreInPlace(version: Int) throws {
        let code = try QRCode(text: "patterns", minimumVersion: version)
        let size = code.size
        #expect(size == 4 * version + 17)
        for (left, top) in [(0, 0), (size - 7, 0), (0, size - 7)] {
            for dy in 0..<7 {
                for dx in 0..<7 {
                    let ring = max(abs(dx - 3), abs(dy - 3))
                    #expect(code.isDark(x: left + dx, y: top + dy) == (ring != 2), "finder at \(left), \(top)")
                }
            }
        }
        for index in 8..<(size - 8) {
            #expect(code.isDark(x: index, y: 6) == index.isMultiple(of: 2))
            #expect(code.isDark(x: 6, y: index) == index.isMultiple(of: 2))
        }
        if version > 1 {
            let last = size - 7
            #expect(code.isDark(x: last, y: last) && !code.isDark(x: last + 1, y: last))
            #expect(code.isDark(x: last + 2, y: last + 2))
        }
        if version >= 7 {
            // Version information, read back from the top-right block.
            var word = 0
            for index in 0..<18 where code.isDark(x: size - 11 + index % 3, y: index / 3) {
                word |= 1 << index
            }
            #expect(word >> 12 == version)
        }
    }

    @Test func accessorsAgree() throws {
        let code = try QRCode(text: "accessors", correction: .quartile)
        let rows = code.rows
        #expect(rows.count == code.size && rows.allSatisfy { $0.count == code.size })
        for y in 0..<code.size {
            for x in 0..<code.size {
                #expect(code[x, y] == rows[y][x])
                #expect(code.isDark(x: x, y: y) == rows[y][x])
            }
        }
        #expect(!code.isDark(x: -1, y: 0) && !code.isDark(x: 0, y: code.size) && !code[code.size + 3, -4])
        #expect(code.correction == .quartile)
        #expect((0..<8).contains(code.mask))
    }

    @Test func capacityOutsideTheVersionsIsZero() {
        #expect(QRCode.byteCapacity(version: 0, correction: .low) == 0)
        #expect(QRCode.byteCapacity(version: 41, correction: .low) == 0)
    }
}
