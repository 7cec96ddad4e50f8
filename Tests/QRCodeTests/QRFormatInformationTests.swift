import Testing

@testable import QRCode

@Suite struct QRFormatInformationTests {
    /// ISO/IEC 18004 Annex C, Table C.1: format words by level, masks 0...7.
    static let published: [QRCode.ErrorCorrection: [String]] = [
        .low: [
            "111011111000100", "111001011110011", "111110110101010", "111100010011101",
            "110011000101111", "110001100011000", "110110001000001", "110100101110110",
        ],
        .medium: [
            "101010000010010", "101000100100101", "101111001111100", "101101101001011",
            "100010111111001", "100000011001110", "100111110010111", "100101010100000",
        ],
        .quartile: [
            "011010101011111", "011000001101000", "011111100110001", "011101000000110",
            "010010010110100", "010000110000011", "010111011011010", "010101111101101",
        ],
        .high: [
            "001011010001001", "001001110111110", "001110011100111", "001100111010000",
            "000011101100010", "000001001010101", "000110100001100", "000100000111011",
        ],
    ]

    @Test(arguments: QRCode.ErrorCorrection.allCases)
    func formatWordsMatchAnnexC(correction: QRCode.ErrorCorrection) {
        let words = (0..<8).map { mask in
            let binary = String(QRFormatInformation.formatBits(correction: correction, mask: mask), radix: 2)
            return String(repeating: "0", count: 15 - binary.count) + binary
        }
        #expect(words == Self.published[correction])
    }

    @Test func versionWordsMatchAnnexD() {
        // ISO/IEC 18004 Annex D, Table D.1.
        let published = [
            7: 0b000111_110010010100, 8: 0b001000_010110111100, 9: 0b001001_101010011001,
            10: 0b001010_010011010011, 40: 0b101000_110001101001,
        ]
        for (version, word) in published {
            #expect(QRFormatInformation.versionBits(version: version) == word, "version \(version)")
        }
    }

    @Test func formatInformationIsReadableFromTheSymbol() throws {
        // Read both copies back from a finished symbol, in the standard's bit order, and compare.
        let code = try QRCode(text: "format", correction: .quartile)
        let expected = QRFormatInformation.formatBits(correction: .quartile, mask: code.mask)
        var first = 0
        let firstPositions =
            (0...5).map { (8, $0) } + [(8, 7), (8, 8), (7, 8)] + (9...14).map { (14 - $0, 8) }
        for (index, (x, y)) in firstPositions.enumerated() where code.isDark(x: x, y: y) {
            first |= 1 << index
        }
        var second = 0
        let secondPositions = (0...7).map { (code.size - 1 - $0, 8) } + (8...14).map { (8, code.size - 15 + $0) }
        for (index, (x, y)) in secondPositions.enumerated() where code.isDark(x: x, y: y) {
            second |= 1 << index
        }
        #expect(first == expected)
        #expect(second == expected)
        #expect(code.isDark(x: 8, y: code.size - 8), "the dark module")
    }
}
