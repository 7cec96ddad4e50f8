/// A QR code symbol (ISO/IEC 18004, Model 2) holding bytes in byte mode.
///
/// The symbol is built once, at initialisation: the smallest version that holds the data at the chosen
/// error-correction level (never below `minimumVersion`), and the mask with the lowest penalty score.
/// Coordinates run from the top-left corner: `x` is the column, `y` the row.
public struct QRCode: Sendable, Hashable {
    /// How much of the symbol is spent on Reed-Solomon error correction.
    ///
    /// Each level recovers roughly this share of damaged codewords: low 7 %, medium 15 %, quartile 25 %,
    /// high 30 %.
    public enum ErrorCorrection: Int, Sendable, Hashable, CaseIterable {
        case low = 0
        case medium = 1
        case quartile = 2
        case high = 3

        /// The two bits this level takes in the format information (ISO/IEC 18004 Table 12).
        var formatBits: Int {
            switch self {
            case .low: 0b01
            case .medium: 0b00
            case .quartile: 0b11
            case .high: 0b10
            }
        }
    }

    /// Why a QR code could not be built.
    public enum EncodingError: Error, Sendable, Hashable {
        /// The data needs more than version 40 holds at this level; `maximum` is the most bytes that fit.
        case dataTooLong(byteCount: Int, maximum: Int)
        /// The requested minimum version is outside 1...40.
        case invalidMinimumVersion(Int)
    }

    /// The smallest and largest versions the standard defines.
    public static let versions: ClosedRange<Int> = 1...40

    /// The symbol version, 1...40; the side is `4 * version + 17` modules.
    public let version: Int
    /// The error-correction level the symbol was built with.
    public let correction: ErrorCorrection
    /// The data mask pattern chosen, 0...7.
    public let mask: Int
    /// Modules per side, quiet zone excluded.
    public let size: Int
    /// Row-major module colours, `true` for dark.
    private let modules: [Bool]

    /// Builds a symbol holding `bytes` in byte mode.
    ///
    /// - Parameters:
    ///   - bytes: the data, stored as is, without an ECI header. Readers must guess the encoding of bytes past
    ///     ASCII (zbar reads some UTF-8 as Shift JIS), so pass text through ``init(text:correction:minimumVersion:)``.
    ///   - correction: the error-correction level.
    ///   - minimumVersion: the smallest version to use; a larger one is chosen when the data needs it.
    /// - Throws: ``EncodingError`` when the data does not fit in version 40 or `minimumVersion` is invalid.
    public init(
        encoding bytes: [UInt8],
        correction: ErrorCorrection = .medium,
        minimumVersion: Int = 1
    ) throws(EncodingError) {
        try self.init(encoding: bytes, eci: nil, correction: correction, minimumVersion: minimumVersion)
    }

    /// Builds a symbol holding the UTF-8 bytes of `text` in byte mode.
    ///
    /// Text that is all ASCII is stored as is. Other text is preceded by an ECI header naming UTF-8 (assignment
    /// 26), as ISO/IEC 18004 asks for byte data that is not ISO 8859-1; without it readers guess, and some guess
    /// Shift JIS. The header takes 12 bits, so such text holds up to 2 bytes less than ``byteCapacity``.
    /// - Throws: ``EncodingError`` when the text does not fit in version 40 or `minimumVersion` is invalid.
    public init(
        text: String,
        correction: ErrorCorrection = .medium,
        minimumVersion: Int = 1
    ) throws(EncodingError) {
        let bytes = Array(text.utf8)
        let isASCII = bytes.allSatisfy { $0 < 0x80 }
        try self.init(
            encoding: bytes,
            eci: isASCII ? nil : QRSegmentEncoder.utf8ECI,
            correction: correction,
            minimumVersion: minimumVersion
        )
    }

    /// Builds a symbol, with an optional ECI header, and with the mask fixed by the caller when `forcedMask` is
    /// set (tests compare fixed masks with another encoder's).
    init(
        encoding bytes: [UInt8],
        eci: Int?,
        correction: ErrorCorrection,
        minimumVersion: Int,
        forcedMask: Int? = nil
    ) throws(EncodingError) {
        guard Self.versions.contains(minimumVersion) else {
            throw .invalidMinimumVersion(minimumVersion)
        }
        let headerBits = eci == nil ? 0 : QRSegmentEncoder.eciHeaderBits
        func capacity(_ version: Int) -> Int {
            QRVersionTable.byteCapacity(version: version, correction: correction, headerBits: headerBits)
        }
        guard let version = Self.versions.first(where: { $0 >= minimumVersion && bytes.count <= capacity($0) })
        else {
            throw .dataTooLong(byteCount: bytes.count, maximum: capacity(40))
        }
        let dataCodewords = QRSegmentEncoder.dataCodewords(
            for: bytes,
            eci: eci,
            version: version,
            correction: correction
        )
        let codewords = QRBlockInterleaver.finalCodewords(
            data: dataCodewords,
            version: version,
            correction: correction
        )
        var builder = QRMatrixBuilder(version: version)
        builder.placeData(codewords)
        let chosenMask = forcedMask ?? builder.bestMask(correction: correction)
        let matrix = builder.masked(chosenMask, correction: correction)
        self.version = version
        self.correction = correction
        self.mask = chosenMask
        self.size = matrix.size
        self.modules = matrix.modules
    }

    /// Whether the module at column `x`, row `y` is dark; anything outside the symbol (the quiet zone) is light.
    public func isDark(x: Int, y: Int) -> Bool {
        guard x >= 0, y >= 0, x < size, y < size else { return false }
        return modules[y * size + x]
    }

    /// Whether the module at column `x`, row `y` is dark; see ``isDark(x:y:)``.
    public subscript(x: Int, y: Int) -> Bool {
        isDark(x: x, y: y)
    }

    /// The modules as rows of columns, `true` for dark, without the quiet zone.
    public var rows: [[Bool]] {
        (0..<size).map { y in Array(modules[(y * size)..<((y + 1) * size)]) }
    }

    /// The most bytes a symbol of `version` (1...40, else 0) holds at `correction` in byte mode without an ECI
    /// header; non-ASCII text, which carries one, holds 1 or 2 bytes less.
    public static func byteCapacity(version: Int, correction: ErrorCorrection) -> Int {
        QRVersionTable.byteCapacity(version: version, correction: correction)
    }
}
