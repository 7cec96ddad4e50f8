/// A single HTTP byte range resolved against a file size (RFC 9110 §14).
///
/// Policy, applied consistently: one range only (`a-b`, `a-`, `-n`); an end past the file is clamped;
/// anything else (bad syntax, other units, several ranges, a start at or past the end, an empty suffix)
/// is unsatisfiable and answered with 416.
struct ByteRange: Equatable {
    var first: Int64
    var last: Int64

    var count: Int64 { last - first + 1 }

    enum ParseResult: Equatable {
        case satisfiable(ByteRange)
        case unsatisfiable
    }

    static func parse(_ header: String, fileSize: Int64) -> ParseResult {
        let trimmed = header.trimmingWhitespace()
        guard trimmed.count < 200, trimmed.lowercased().hasPrefix("bytes=") else { return .unsatisfiable }
        let spec = trimmed.dropFirst("bytes=".count).trimmingWhitespace()
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return .unsatisfiable }
        let startText = spec[spec.startIndex..<dash].trimmingWhitespace()
        let endText = spec[spec.index(after: dash)...].trimmingWhitespace()
        guard fileSize > 0 else { return .unsatisfiable }
        if startText.isEmpty {
            guard let suffix = digits(endText), suffix > 0 else { return .unsatisfiable }
            return .satisfiable(ByteRange(first: max(0, fileSize - suffix), last: fileSize - 1))
        }
        guard let first = digits(startText), first < fileSize else { return .unsatisfiable }
        if endText.isEmpty {
            return .satisfiable(ByteRange(first: first, last: fileSize - 1))
        }
        guard let last = digits(endText), last >= first else { return .unsatisfiable }
        return .satisfiable(ByteRange(first: first, last: min(last, fileSize - 1)))
    }

    /// Parses ASCII digits only (no sign, no spaces); values beyond Int64 are treated as invalid.
    private static func digits(_ text: String) -> Int64? {
        guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
            return nil
        }
        return Int64(text)
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
