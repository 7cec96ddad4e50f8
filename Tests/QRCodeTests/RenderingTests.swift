import Testing

@testable import QRCode

@Suite struct RenderingTests {
    /// The modules with the quiet zone, as the renderers should draw them.
    static func expectedImage(_ code: QRCode) -> [[Bool]] {
        let zone = QRCode.quietZone
        return (-zone..<(code.size + zone)).map { y in
            (-zone..<(code.size + zone)).map { x in code.isDark(x: x, y: y) }
        }
    }

    @Test func svgDrawsExactlyTheDarkModules() throws {
        let code = try QRCode(text: "otpauth://totp/Gatehouse:alice?secret=JBSWY3DPEHPK3PXP&issuer=Gatehouse")
        let svg = code.svg(moduleSize: 6)
        let side = code.size + 8
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(svg.contains("width=\"\(side * 6)\" height=\"\(side * 6)\""))
        #expect(svg.contains("viewBox=\"0 0 \(side) \(side)\""))
        #expect(svg.contains("shape-rendering=\"crispEdges\""))
        #expect(svg.contains("<rect width=\"\(side)\" height=\"\(side)\" fill=\"#ffffff\"/>"))

        // Paint the path's rectangles ("M x y h w v1 h-w z") onto a grid and compare with the modules.
        guard let start = svg.range(of: " d=\""), let end = svg[start.upperBound...].firstIndex(of: "\"") else {
            Issue.record("no path in \(svg)")
            return
        }
        var painted = [[Bool]](repeating: [Bool](repeating: false, count: side), count: side)
        for command in svg[start.upperBound..<end].split(separator: "z") {
            let numbers = command.split(whereSeparator: { "Mhv ".contains($0) }).compactMap { Int($0) }
            #expect(numbers.count == 5 && numbers[3] == 1 && numbers[4] == -numbers[2], "\(command)")
            guard numbers.count == 5 else { continue }
            for x in numbers[0]..<(numbers[0] + numbers[2]) {
                #expect(!painted[numbers[1]][x], "painted twice")
                painted[numbers[1]][x] = true
            }
        }
        #expect(painted == Self.expectedImage(code))
    }

    /// Turns half-block text back into module rows, given which glyph ink means dark.
    static func unpaint(_ text: String, inkIsDark: Bool) -> [[Bool]] {
        var rows: [[Bool]] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            var top: [Bool] = []
            var bottom: [Bool] = []
            var plain = String(line)
            for escape in ["\u{1B}[38;5;16;48;5;231m", "\u{1B}[0m"] {
                plain = plain.replacingOccurrences(of: escape, with: "")
            }
            for character in plain {
                let ink: (Bool, Bool) =
                    switch character {
                    case "\u{2588}": (true, true)
                    case "\u{2580}": (true, false)
                    case "\u{2584}": (false, true)
                    default: (false, false)
                    }
                top.append(ink.0 == inkIsDark)
                bottom.append(ink.1 == inkIsDark)
            }
            rows.append(top)
            rows.append(bottom)
        }
        return rows
    }

    @Test(arguments: [QRCode.TerminalStyle.colored, .darkTextOnLight, .lightTextOnDark])
    func terminalTextShowsTheModulesTwoRowsPerLine(style: QRCode.TerminalStyle) throws {
        let code = try QRCode(text: "terminal", correction: .quartile)
        let text = code.terminalText(style: style)
        let side = code.size + 8
        let lines = text.split(separator: "\n")
        #expect(lines.count == (side + 1) / 2)
        #expect(text.hasSuffix("\n"))
        let rows = Self.unpaint(text, inkIsDark: style != .lightTextOnDark)
        // The symbol's side is odd, so the last line's lower half lies past the quiet zone.
        #expect(Array(rows.prefix(side)) == Self.expectedImage(code))
        for line in lines {
            #expect(line.filter { "\u{2588}\u{2580}\u{2584} ".contains($0) }.count == side)
            #expect(line.hasPrefix("\u{1B}[") == (style == .colored))
        }
    }

    @Test func coloredTerminalTextSetsBlackOnWhiteAndResets() throws {
        let text = try QRCode(text: "colour").terminalText()
        for line in text.split(separator: "\n") {
            // Foreground xterm colour 16 (#000000), background 231 (#ffffff): fixed cube entries.
            #expect(line.hasPrefix("\u{1B}[38;5;16;48;5;231m"))
            #expect(line.hasSuffix("\u{1B}[0m"))
        }
    }
}
