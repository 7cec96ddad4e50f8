extension QRCode {
    /// Light modules around the symbol on every side, as ISO/IEC 18004 section 6.3.8 asks.
    public static let quietZone = 4

    /// An SVG document of the symbol: black modules on a white square, quiet zone included.
    ///
    /// The view box counts modules, so the image scales without blurring; `shape-rendering="crispEdges"`
    /// keeps renderers from anti-aliasing the module edges.
    /// - Parameter moduleSize: the width and height given to one module, in CSS pixels.
    public func svg(moduleSize: Int = 8) -> String {
        let side = size + 2 * Self.quietZone
        let pixels = side * max(moduleSize, 1)
        var path = ""
        for y in 0..<size {
            var x = 0
            while x < size {
                guard isDark(x: x, y: y) else {
                    x += 1
                    continue
                }
                let start = x
                while x < size && isDark(x: x, y: y) {
                    x += 1
                }
                // One rectangle per horizontal run of dark modules.
                path += "M\(start + Self.quietZone) \(y + Self.quietZone)h\(x - start)v1h-\(x - start)z"
            }
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(pixels)" height="\(pixels)" \
            viewBox="0 0 \(side) \(side)" shape-rendering="crispEdges">\
            <rect width="\(side)" height="\(side)" fill="#ffffff"/>\
            <path fill="#000000" d="\(path)"/></svg>

            """
    }

    /// A PNG image of the symbol (1-bit greyscale, black on white), quiet zone included.
    /// - Parameter scale: pixels per module side; values below 2 are raised to 2.
    public func png(scale: Int = 8) -> [UInt8] {
        let scale = max(scale, 2)
        let side = (size + 2 * Self.quietZone) * scale
        return PNGWriter.blackAndWhite(width: side, height: side) { x, y in
            isDark(x: x / scale - Self.quietZone, y: y / scale - Self.quietZone)
        }
    }
}
