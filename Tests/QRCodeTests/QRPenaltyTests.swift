import Testing

@testable import QRCode

@Suite struct QRPenaltyTests {
    static func line(_ pattern: String) -> [Bool] {
        pattern.map { $0 == "#" }
    }

    @Test func runsOfFiveOrMoreScoreThreePlusOnePerExtraModule() {
        #expect(QRPenalty.runScore(Self.line("#.#.#.#.#.")) == 0)
        #expect(QRPenalty.runScore(Self.line("####.")) == 0)
        #expect(QRPenalty.runScore(Self.line("#####.")) == 3)
        #expect(QRPenalty.runScore(Self.line(".#######")) == 5)
        #expect(QRPenalty.runScore(Self.line(".....#.....")) == 6)
    }

    @Test func finderLikePatternNeedsFourLightModulesOnOneSide() {
        #expect(QRPenalty.finderLikeScore(Self.line("....#.###.#")) == 40)
        #expect(QRPenalty.finderLikeScore(Self.line("#.###.#....")) == 40)
        // Light on both sides is still one pattern.
        #expect(QRPenalty.finderLikeScore(Self.line("....#.###.#....")) == 40)
        // Three light modules on each side, inside the symbol, is not enough.
        #expect(QRPenalty.finderLikeScore(Self.line("#...#.###.#...#")) == 0)
        // Outside the symbol is the light quiet zone.
        #expect(QRPenalty.finderLikeScore(Self.line("#.###.#")) == 40)
        #expect(QRPenalty.finderLikeScore(Self.line("##.###.##")) == 0)
    }

    @Test func eachTwoByTwoBlockOfOneColourScoresThree() {
        var matrix = QRMatrix(size: 3)
        // All light: four overlapping 2x2 blocks.
        #expect(QRPenalty.blockScore(matrix) == 12)
        matrix[1, 1] = true
        #expect(QRPenalty.blockScore(matrix) == 0)
        matrix[0, 0] = true
        matrix[1, 0] = true
        matrix[0, 1] = true
        #expect(QRPenalty.blockScore(matrix) == 3)
    }

    @Test func balanceScoresTenPerFullFivePercentFromHalf() {
        func matrix(darkCount: Int) -> QRMatrix {
            var matrix = QRMatrix(size: 10)
            for index in 0..<darkCount {
                matrix.modules[index] = true
            }
            return matrix
        }
        #expect(QRPenalty.balanceScore(matrix(darkCount: 50)) == 0)
        #expect(QRPenalty.balanceScore(matrix(darkCount: 54)) == 0)
        #expect(QRPenalty.balanceScore(matrix(darkCount: 55)) == 10)
        #expect(QRPenalty.balanceScore(matrix(darkCount: 40)) == 20)
        #expect(QRPenalty.balanceScore(matrix(darkCount: 100)) == 100)
        #expect(QRPenalty.balanceScore(matrix(darkCount: 0)) == 100)
    }

    @Test(arguments: [
        "Gatehouse", "otpauth://totp/Gatehouse:alice?secret=JBSWY3DPEHPK3PXP", String(repeating: "ab", count: 300),
    ])
    func chosenMaskHasTheLowestScore(text: String) throws {
        let code = try QRCode(text: text, correction: .medium)
        var builder = QRMatrixBuilder(version: code.version)
        builder.placeData(
            QRBlockInterleaver.finalCodewords(
                data: QRSegmentEncoder.dataCodewords(for: Array(text.utf8), version: code.version, correction: .medium),
                version: code.version,
                correction: .medium
            )
        )
        let scores = (0..<8).map { QRPenalty.score(builder.masked($0, correction: .medium)) }
        #expect(scores[code.mask] == scores.min())
        #expect(scores.firstIndex(of: scores.min() ?? 0) == code.mask)
        #expect(builder.masked(code.mask, correction: .medium).modules == code.rows.flatMap { $0 })
    }

    @Test func scoreOfAKnownSymbolAddsTheFourRules() {
        // Whole-symbol score on a small hand-made matrix: a 5x5 all-light square.
        // Rule 1: 10 lines with a run of 5 = 30. Rule 2: 16 blocks = 48. Rule 3: none (needs dark modules).
        // Rule 4: 0 % dark is 10 steps of 5 % = 100.
        #expect(QRPenalty.score(QRMatrix(size: 5)) == 30 + 48 + 100)
    }
}
