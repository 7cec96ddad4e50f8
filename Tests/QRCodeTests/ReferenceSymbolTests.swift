import Testing

@testable import QRCode

/// Whole symbols compared module by module with an independent encoder's output (see ``ReferenceSymbols``):
/// all eight masks, all four levels, and versions with alignment patterns and version information.
@Suite struct ReferenceSymbolTests {
    @Test(arguments: ReferenceSymbols.all.indices)
    func matrixMatchesReferenceEncoder(index: Int) throws {
        let reference = ReferenceSymbols.all[index]
        let code = try QRCode(
            encoding: Array(reference.text.utf8),
            eci: nil,
            correction: reference.correction,
            minimumVersion: 1,
            forcedMask: reference.mask
        )
        #expect(code.version == reference.version)
        let differing = Self.differingModules(code, reference)
        #expect(differing.isEmpty, "modules (x, y) that differ: \(differing.prefix(20))")
    }

    static func differingModules(_ code: QRCode, _ reference: ReferenceSymbols.Symbol) -> [(Int, Int)] {
        let expected = decode(reference.rows, size: code.size)
        guard expected.count == code.size else { return [(-1, -1)] }
        var differing: [(Int, Int)] = []
        for y in 0..<code.size {
            for x in 0..<code.size where code.isDark(x: x, y: y) != expected[y][x] {
                differing.append((x, y))
            }
        }
        return differing
    }

    static func decode(_ rows: [String], size: Int) -> [[Bool]] {
        rows.map { row in
            let bits = row.flatMap { digit -> [Bool] in
                let value = digit.hexDigitValue ?? 0
                return (0..<4).map { (value >> (3 - $0)) & 1 == 1 }
            }
            return Array(bits.prefix(size))
        }
    }
}
