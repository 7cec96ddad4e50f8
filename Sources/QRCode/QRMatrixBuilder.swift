/// A square of modules, row-major, `true` for dark.
struct QRMatrix: Hashable {
    let size: Int
    var modules: [Bool]

    init(size: Int) {
        self.size = size
        modules = [Bool](repeating: false, count: size * size)
    }

    subscript(x: Int, y: Int) -> Bool {
        get { modules[y * size + x] }
        set { modules[y * size + x] = newValue }
    }
}

/// Lays out a symbol: function patterns, codewords, mask, format and version information
/// (ISO/IEC 18004 sections 6.3, 7.7, 7.8 and 7.9).
struct QRMatrixBuilder {
    let version: Int
    let size: Int
    /// The symbol before masking, function patterns included.
    private(set) var matrix: QRMatrix
    /// Modules that belong to function patterns or format/version information, which masks leave alone.
    private(set) var isFunction: QRMatrix

    init(version: Int) {
        self.version = version
        size = QRVersionTable.size(version: version)
        matrix = QRMatrix(size: size)
        isFunction = QRMatrix(size: size)
        drawFunctionPatterns()
    }

    // MARK: Function patterns

    private mutating func setFunction(x: Int, y: Int, dark: Bool) {
        matrix[x, y] = dark
        isFunction[x, y] = true
    }

    private mutating func drawFunctionPatterns() {
        for index in 0..<size {
            setFunction(x: 6, y: index, dark: index % 2 == 0)
            setFunction(x: index, y: 6, dark: index % 2 == 0)
        }
        drawFinder(centreX: 3, centreY: 3)
        drawFinder(centreX: size - 4, centreY: 3)
        drawFinder(centreX: 3, centreY: size - 4)

        let positions = QRVersionTable.alignmentPositions(version: version)
        for x in positions {
            for y in positions {
                let overlapsFinder = (x == 6 && y == 6) || (x == 6 && y == size - 7) || (x == size - 7 && y == 6)
                if !overlapsFinder {
                    drawAlignment(centreX: x, centreY: y)
                }
            }
        }
        // Reserve the format and version areas now so data placement skips them; real bits come with the mask.
        drawFormatBits(0)
        drawVersionBits()
    }

    /// A 7x7 finder pattern with its light separator, clipped to the symbol.
    private mutating func drawFinder(centreX: Int, centreY: Int) {
        for dy in -4...4 {
            for dx in -4...4 {
                let x = centreX + dx
                let y = centreY + dy
                guard x >= 0, x < size, y >= 0, y < size else { continue }
                let ring = max(abs(dx), abs(dy))
                setFunction(x: x, y: y, dark: ring != 2 && ring != 4)
            }
        }
    }

    private mutating func drawAlignment(centreX: Int, centreY: Int) {
        for dy in -2...2 {
            for dx in -2...2 {
                setFunction(x: centreX + dx, y: centreY + dy, dark: max(abs(dx), abs(dy)) != 1)
            }
        }
    }

    /// Both copies of the 15 format bits, and the dark module beside the lower-left finder.
    private mutating func drawFormatBits(_ bits: Int) {
        func bit(_ index: Int) -> Bool { (bits >> index) & 1 == 1 }
        // First copy, around the top-left finder: bits 0-7 down column 8 (skipping the timing row),
        // bits 8-14 leftwards along row 8 (skipping the timing column).
        for index in 0...5 {
            setFunction(x: 8, y: index, dark: bit(index))
        }
        setFunction(x: 8, y: 7, dark: bit(6))
        setFunction(x: 8, y: 8, dark: bit(7))
        setFunction(x: 7, y: 8, dark: bit(8))
        for index in 9...14 {
            setFunction(x: 14 - index, y: 8, dark: bit(index))
        }
        // Second copy: bits 0-7 along row 8 from the right edge, bits 8-14 down column 8 at the bottom.
        for index in 0...7 {
            setFunction(x: size - 1 - index, y: 8, dark: bit(index))
        }
        for index in 8...14 {
            setFunction(x: 8, y: size - 15 + index, dark: bit(index))
        }
        setFunction(x: 8, y: size - 8, dark: true)
    }

    /// The two 6x3 version-information blocks, from version 7 on.
    private mutating func drawVersionBits() {
        guard version >= 7 else { return }
        let bits = QRFormatInformation.versionBits(version: version)
        for index in 0..<18 {
            let dark = (bits >> index) & 1 == 1
            let across = size - 11 + index % 3
            let along = index / 3
            setFunction(x: across, y: along, dark: dark)  // top right
            setFunction(x: along, y: across, dark: dark)  // bottom left
        }
    }

    // MARK: Data

    /// Places the codewords' bits in two-column strips from the bottom-right corner, upwards and downwards in
    /// turn, skipping function modules; the vertical timing column belongs to no strip.
    mutating func placeData(_ codewords: [UInt8]) {
        let bitCount = codewords.count * 8
        var bitIndex = 0
        var right = size - 1
        var isUpwards = true
        while right >= 1 {
            if right == 6 {
                right = 5
            }
            for step in 0..<size {
                let y = isUpwards ? size - 1 - step : step
                for x in [right, right - 1] where !isFunction[x, y] && bitIndex < bitCount {
                    let byte = codewords[bitIndex >> 3]
                    matrix[x, y] = (byte >> (7 - UInt8(bitIndex & 7))) & 1 == 1
                    bitIndex += 1
                }
            }
            right -= 2
            isUpwards.toggle()
        }
        // Any remainder modules (0 to 7 of them) stay light before masking, as the standard asks.
    }

    // MARK: Masking

    /// Whether mask `pattern` (0...7) inverts the module at column `x`, row `y` (ISO/IEC 18004 Table 10).
    static func maskInverts(_ pattern: Int, x: Int, y: Int) -> Bool {
        switch pattern {
        case 0: (x + y) % 2 == 0
        case 1: y % 2 == 0
        case 2: x % 3 == 0
        case 3: (x + y) % 3 == 0
        case 4: (x / 3 + y / 2) % 2 == 0
        case 5: (x * y) % 2 + (x * y) % 3 == 0
        case 6: ((x * y) % 2 + (x * y) % 3) % 2 == 0
        case 7: ((x + y) % 2 + (x * y) % 3) % 2 == 0
        default: fatalError("mask pattern \(pattern) outside 0...7: callers only pass 0...7")
        }
    }

    /// The finished symbol with mask `pattern` applied and its format information drawn.
    func masked(_ pattern: Int, correction: QRCode.ErrorCorrection) -> QRMatrix {
        var copy = self
        for y in 0..<size {
            for x in 0..<size where !isFunction[x, y] && Self.maskInverts(pattern, x: x, y: y) {
                copy.matrix[x, y].toggle()
            }
        }
        copy.drawFormatBits(QRFormatInformation.formatBits(correction: correction, mask: pattern))
        return copy.matrix
    }

    /// The mask with the lowest penalty score; the lowest-numbered one wins a tie.
    func bestMask(correction: QRCode.ErrorCorrection) -> Int {
        var best = 0
        var bestScore = Int.max
        for pattern in 0..<8 {
            let score = QRPenalty.score(masked(pattern, correction: correction))
            if score < bestScore {
                best = pattern
                bestScore = score
            }
        }
        return best
    }
}
