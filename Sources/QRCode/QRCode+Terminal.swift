extension QRCode {
    /// How ``terminalText(style:)`` gets dark modules to show as dark, whatever the terminal's own colours.
    public enum TerminalStyle: Sendable, Hashable {
        /// Sets the colours itself: black (xterm-256 colour 16) on white (colour 231). Those two come from the
        /// fixed 6x6x6 colour cube, which themes almost never remap, unlike the 16 basic colours whose "black"
        /// and "white" a dark theme may swap or dim. Scans from dark and light terminals alike. The default.
        case colored
        /// No escape codes, for a terminal with light text on a dark background: glyphs draw the light modules
        /// and the dark background shows through as dark modules.
        case lightTextOnDark
        /// No escape codes, for a terminal with dark text on a light background: glyphs draw the dark modules.
        case darkTextOnLight
    }

    /// The symbol as lines of Unicode half blocks (two module rows per line), quiet zone included, ending in a
    /// newline.
    ///
    /// Phones read dark modules on a light ground most reliably, so every style aims at that: see
    /// ``TerminalStyle``. A terminal cell is about twice as tall as wide, so two rows per line keep the
    /// modules square.
    public func terminalText(style: TerminalStyle = .colored) -> String {
        let first = -Self.quietZone
        let last = size + Self.quietZone  // exclusive
        var text = ""
        for y in stride(from: first, to: last, by: 2) {
            if style == .colored {
                text += "\u{1B}[38;5;16;48;5;231m"
            }
            // The total height is odd, so the last line's lower half lies past the quiet zone: it gets no ink.
            let hasBottomRow = y + 1 < last
            for x in first..<last {
                let top = isDark(x: x, y: y)
                let bottom = isDark(x: x, y: y + 1)
                // In the light-text style a glyph draws the light modules.
                let inkTop = style == .lightTextOnDark ? !top : top
                let inkBottom = hasBottomRow && (style == .lightTextOnDark ? !bottom : bottom)
                text += Self.halfBlock(top: inkTop, bottom: inkBottom)
            }
            if style == .colored {
                text += "\u{1B}[0m"
            }
            text += "\n"
        }
        return text
    }

    private static func halfBlock(top: Bool, bottom: Bool) -> String {
        switch (top, bottom) {
        case (true, true): "\u{2588}"  // full block
        case (true, false): "\u{2580}"  // upper half block
        case (false, true): "\u{2584}"  // lower half block
        case (false, false): " "
        }
    }
}
