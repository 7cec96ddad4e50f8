import NIOCore

/// Prepares message content for the DATA command (RFC 5321 section 4.5.2).
enum SMTPDataEncoder {
    /// Returns the content with CRLF line endings, every line that starts with "." given one more ".",
    /// a final CRLF when missing, and the terminating ".\r\n".
    ///
    /// Bare CR and bare LF become CRLF, so no line can end early or hide a terminator from the server.
    static func encode(_ message: some Collection<UInt8>, into buffer: inout ByteBuffer) {
        let cr = UInt8(ascii: "\r")
        let lf = UInt8(ascii: "\n")
        let dot = UInt8(ascii: ".")
        buffer.reserveCapacity(minimumWritableBytes: message.count + message.count / 64 + 8)
        var atLineStart = true
        var pendingCR = false
        for byte in message {
            if pendingCR {
                pendingCR = false
                buffer.writeInteger(cr)
                buffer.writeInteger(lf)
                atLineStart = true
                if byte == lf {
                    continue
                }
            }
            if byte == cr {
                pendingCR = true
                continue
            }
            if byte == lf {
                buffer.writeInteger(cr)
                buffer.writeInteger(lf)
                atLineStart = true
                continue
            }
            if atLineStart && byte == dot {
                buffer.writeInteger(dot)
            }
            atLineStart = false
            buffer.writeInteger(byte)
        }
        if pendingCR || !atLineStart {
            buffer.writeInteger(cr)
            buffer.writeInteger(lf)
        }
        buffer.writeStaticString(".\r\n")
    }

    /// Whether any byte is outside 7-bit ASCII.
    static func hasEightBitData(_ message: some Collection<UInt8>) -> Bool {
        message.contains { $0 >= 0x80 }
    }
}
