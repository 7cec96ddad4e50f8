/// The mask penalty score of ISO/IEC 18004 section 7.8.3: lower means easier to read.
///
/// The whole finished symbol is scored, format information of the mask under test included. Where the
/// standard's text leaves room, the choices (as ZXing makes them) are: the finder-like rule looks for
/// dark-light-dark x3-light-dark with four light modules on at least one side, counts modules outside the
/// symbol (the quiet zone) as light, and scores each such pattern once. Other encoders differ in these details
/// (python-qrcode, for one, scores with the format modules left light), so they may pick another mask for the
/// same data; any mask decodes the same.
enum QRPenalty {
    static let adjacentBase = 3
    static let block = 3
    static let finderLike = 40
    static let balance = 10

    static func score(_ matrix: QRMatrix) -> Int {
        let size = matrix.size
        var total = 0
        var line = [Bool](repeating: false, count: size)
        for index in 0..<size {
            for position in 0..<size {
                line[position] = matrix[position, index]
            }
            total += lineScore(line)
            for position in 0..<size {
                line[position] = matrix[index, position]
            }
            total += lineScore(line)
        }
        total += blockScore(matrix)
        total += balanceScore(matrix)
        return total
    }

    /// Rules 1 and 3 for one row or column.
    static func lineScore(_ line: [Bool]) -> Int {
        runScore(line) + finderLikeScore(line)
    }

    /// Rule 1: each run of five or more same-coloured modules scores 3, plus 1 per module past five.
    static func runScore(_ line: [Bool]) -> Int {
        var score = 0
        var runLength = 0
        for (index, dark) in line.enumerated() {
            if index > 0 && dark == line[index - 1] {
                runLength += 1
            } else {
                runLength = 1
            }
            if runLength == 5 {
                score += adjacentBase
            } else if runLength > 5 {
                score += 1
            }
        }
        return score
    }

    /// Rule 3: each 1:1:3:1:1 finder-like pattern with a four-module light area beside it scores 40.
    static func finderLikeScore(_ line: [Bool]) -> Int {
        let count = line.count
        // Four light modules starting at `start`, where modules outside the line (quiet zone) are light.
        func isLightRun(from start: Int) -> Bool {
            for index in max(start, 0)..<min(start + 4, count) where line[index] {
                return false
            }
            return true
        }
        var score = 0
        var start = 0
        while start + 7 <= count {
            let isPattern =
                line[start] && !line[start + 1] && line[start + 2] && line[start + 3] && line[start + 4]
                && !line[start + 5] && line[start + 6]
            if isPattern && (isLightRun(from: start - 4) || isLightRun(from: start + 7)) {
                score += finderLike
            }
            start += 1
        }
        return score
    }

    /// Rule 2: each 2x2 square of one colour scores 3 (overlapping squares count separately).
    static func blockScore(_ matrix: QRMatrix) -> Int {
        var score = 0
        for y in 0..<(matrix.size - 1) {
            for x in 0..<(matrix.size - 1) {
                let colour = matrix[x, y]
                if matrix[x + 1, y] == colour && matrix[x, y + 1] == colour && matrix[x + 1, y + 1] == colour {
                    score += block
                }
            }
        }
        return score
    }

    /// Rule 4: 10 points for each full 5 % step the dark share strays from 50 %.
    static func balanceScore(_ matrix: QRMatrix) -> Int {
        let total = matrix.modules.count
        let dark = matrix.modules.reduce(0) { $0 + ($1 ? 1 : 0) }
        // |dark/total - 1/2| in steps of 5 %, i.e. |2 * dark - total| * 10 / total, rounded down.
        return abs(2 * dark - total) * 10 / total * balance
    }
}
