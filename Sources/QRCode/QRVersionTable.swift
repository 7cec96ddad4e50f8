/// Per-version layout figures from ISO/IEC 18004 (Tables 1, 9 and Annex E).
enum QRVersionTable {
    /// Error-correction codewords in each block, by level (low, medium, quartile, high) then version 1...40.
    private static let ecCodewordsPerBlock: [[Int]] = [
        [
            7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28,
            28, 28, 30, 30, 26, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30,
        ],
        [
            10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26,
            26, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28,
        ],
        [
            13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30,
            28, 30, 30, 30, 30, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30,
        ],
        [
            17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28,
            30, 24, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30,
        ],
    ]

    /// Error-correction blocks, by level (low, medium, quartile, high) then version 1...40.
    private static let blockCounts: [[Int]] = [
        [
            1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8,
            8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 24, 25,
        ],
        [
            1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16,
            17, 17, 18, 20, 21, 23, 25, 26, 28, 29, 31, 33, 35, 37, 38, 40, 43, 45, 47, 49,
        ],
        [
            1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20,
            23, 23, 25, 27, 29, 34, 34, 35, 38, 40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68,
        ],
        [
            1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25,
            25, 34, 30, 32, 35, 37, 40, 42, 45, 48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81,
        ],
    ]

    /// Modules per side.
    static func size(version: Int) -> Int {
        4 * version + 17
    }

    /// Modules left for codewords once every function pattern and the format and version information are placed.
    static func dataModuleCount(version: Int) -> Int {
        var count = (16 * version + 128) * version + 64
        if version >= 2 {
            let alignments = version / 7 + 2
            // Alignment patterns (25 modules each, less the timing-pattern overlaps and the three at the finders).
            count -= (25 * alignments - 10) * alignments - 55
            if version >= 7 {
                count -= 36  // two version-information blocks of 18 modules
            }
        }
        return count
    }

    /// All codewords in the symbol, data and error correction.
    static func totalCodewords(version: Int) -> Int {
        dataModuleCount(version: version) / 8
    }

    /// Error-correction codewords in each block.
    static func ecCodewordsPerBlock(version: Int, correction: QRCode.ErrorCorrection) -> Int {
        ecCodewordsPerBlock[correction.rawValue][version - 1]
    }

    /// Number of Reed-Solomon blocks.
    static func blockCount(version: Int, correction: QRCode.ErrorCorrection) -> Int {
        blockCounts[correction.rawValue][version - 1]
    }

    /// Data codewords in the whole symbol.
    static func dataCodewords(version: Int, correction: QRCode.ErrorCorrection) -> Int {
        totalCodewords(version: version)
            - ecCodewordsPerBlock(version: version, correction: correction)
            * blockCount(version: version, correction: correction)
    }

    /// Bits of the byte-mode character count indicator.
    static func characterCountBits(version: Int) -> Int {
        version <= 9 ? 8 : 16
    }

    /// The most bytes one byte-mode segment holds after `headerBits` of other segments (an ECI header), or 0 for a
    /// version outside 1...40.
    static func byteCapacity(version: Int, correction: QRCode.ErrorCorrection, headerBits: Int = 0) -> Int {
        guard QRCode.versions.contains(version) else { return 0 }
        let bits = dataCodewords(version: version, correction: correction) * 8 - headerBits
        return (bits - 4 - characterCountBits(version: version)) / 8
    }

    /// Centre coordinates (rows and columns alike) of the alignment patterns, by version 1...40 (Annex E).
    private static let alignmentTable: [[Int]] = [
        [], [6, 18], [6, 22], [6, 26], [6, 30], [6, 34],
        [6, 22, 38], [6, 24, 42], [6, 26, 46], [6, 28, 50], [6, 30, 54], [6, 32, 58], [6, 34, 62],
        [6, 26, 46, 66], [6, 26, 48, 70], [6, 26, 50, 74], [6, 30, 54, 78], [6, 30, 56, 82], [6, 30, 58, 86],
        [6, 34, 62, 90],
        [6, 28, 50, 72, 94], [6, 26, 50, 74, 98], [6, 30, 54, 78, 102], [6, 28, 54, 80, 106],
        [6, 32, 58, 84, 110], [6, 30, 58, 86, 114], [6, 34, 62, 90, 118],
        [6, 26, 50, 74, 98, 122], [6, 30, 54, 78, 102, 126], [6, 26, 52, 78, 104, 130],
        [6, 30, 56, 82, 108, 134], [6, 34, 60, 86, 112, 138], [6, 30, 58, 86, 114, 142],
        [6, 34, 62, 90, 118, 146],
        [6, 30, 54, 78, 102, 126, 150], [6, 24, 50, 76, 102, 128, 154], [6, 28, 54, 80, 106, 132, 158],
        [6, 32, 58, 84, 110, 136, 162], [6, 26, 54, 82, 110, 138, 166], [6, 30, 58, 86, 114, 142, 170],
    ]

    /// Centre coordinates (rows and columns alike) of the alignment patterns; empty for version 1.
    static func alignmentPositions(version: Int) -> [Int] {
        alignmentTable[version - 1]
    }
}
