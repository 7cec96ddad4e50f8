/// One reply from an SMTP server: a three-digit code and one or more lines of text (RFC 5321 section 4.2).
public struct SMTPReply: Sendable, Hashable {
    /// The reply code, 200 to 599.
    public let code: Int
    /// The text of each line, without the code and separator.
    public let lines: [String]

    /// Creates a reply.
    public init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines
    }

    /// 2xx: the command succeeded.
    public var isPositiveCompletion: Bool { (200..<300).contains(code) }
    /// 3xx: the server waits for more (DATA content, an AUTH answer).
    public var isPositiveIntermediate: Bool { (300..<400).contains(code) }
    /// 4xx: failed for now; the same command may succeed later.
    public var isTransientNegative: Bool { (400..<500).contains(code) }
    /// 5xx: failed for good.
    public var isPermanentNegative: Bool { (500..<600).contains(code) }
}

extension SMTPReply: CustomStringConvertible {
    /// The reply as the server sent it, lines joined by " / ".
    public var description: String { "\(code) \(lines.joined(separator: " / "))" }
}

/// Assembles replies from the bytes a server sends, one line at a time.
///
/// A multi-line reply is `250-first`, `250-second`, ..., `250 last`; every line must carry the same code.
struct SMTPReplyParser {
    /// Bounds memory held for one reply, so a hostile server cannot make the client buffer without limit.
    static let maximumReplySize = 64 * 1024

    private var pendingCode: Int?
    private var pendingLines: [String] = []
    private var pendingSize = 0

    /// Whether a multi-line reply has started but not finished.
    var isMidReply: Bool { pendingCode != nil }

    /// Feeds one line (without its line ending); returns a reply once its last line arrived.
    mutating func consume(line: [UInt8]) throws(SMTPError) -> SMTPReply? {
        pendingSize += line.count
        guard pendingSize <= Self.maximumReplySize else {
            throw .protocolViolation("reply longer than \(Self.maximumReplySize) bytes")
        }
        guard line.count >= 3, let code = Self.code(of: line) else {
            throw .protocolViolation("malformed reply line")
        }
        let isLast: Bool
        if line.count == 3 {
            isLast = true
        } else if line[3] == UInt8(ascii: " ") {
            isLast = true
        } else if line[3] == UInt8(ascii: "-") {
            isLast = false
        } else {
            throw .protocolViolation("malformed reply line")
        }
        if let pendingCode, pendingCode != code {
            throw .protocolViolation("reply code changed within a multi-line reply")
        }
        let text = line.count > 4 ? String(decoding: line[4...], as: UTF8.self) : ""
        pendingLines.append(text)
        guard isLast else {
            pendingCode = code
            return nil
        }
        let reply = SMTPReply(code: code, lines: pendingLines)
        pendingCode = nil
        pendingLines = []
        pendingSize = 0
        return reply
    }

    private static func code(of line: [UInt8]) -> Int? {
        let digits = line.prefix(3).map { Int($0) - Int(UInt8(ascii: "0")) }
        guard (2...5).contains(digits[0]), (0...9).contains(digits[1]), (0...9).contains(digits[2]) else {
            return nil
        }
        return digits[0] * 100 + digits[1] * 10 + digits[2]
    }
}
