import Foundation

/// The encodings a message needs: RFC 2045 bodies, RFC 2047 encoded words, RFC 5322 folding.
enum MIMEEncoding {
    /// The longest line any encoder here writes, not counting CRLF (RFC 2045 and RFC 5322 both suggest 76-78).
    static let lineLimit = 76

    /// Whether `text` holds a character that could end a header line or confuse a parser (CR, LF, NUL).
    static func containsLineBreak(_ text: String) -> Bool {
        text.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }
    }

    /// Splits text into lines at CRLF, CR or LF, so output can use CRLF only.
    static func lines(of text: String) -> [ArraySlice<UInt8>] {
        let bytes = Array(text.utf8)
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x0D || byte == 0x0A {
                lines.append(bytes[start..<index])
                if byte == 0x0D, index + 1 < bytes.count, bytes[index + 1] == 0x0A {
                    index += 1
                }
                start = index + 1
            }
            index += 1
        }
        lines.append(bytes[start..<bytes.count])
        return lines
    }

    // MARK: Bodies

    /// Quoted-printable (RFC 2045 section 6.7) with CRLF hard line breaks and soft breaks keeping lines within 76.
    static func quotedPrintable(_ text: String) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count + text.utf8.count / 8)
        for (number, line) in lines(of: text).enumerated() {
            if number > 0 {
                output += "\r\n"
            }
            var column = 0
            for index in line.indices {
                let byte = line[index]
                let isLast = index == line.index(before: line.endIndex)
                let isWhitespace = byte == 0x20 || byte == 0x09
                let isLiteral = (0x21...0x7E).contains(byte) && byte != 0x3D || isWhitespace && !isLast
                let token = isLiteral ? String(UnicodeScalar(byte)) : hexEscape(byte)
                // Leave room for the "=" of a soft break, unless this token ends the line.
                let limit = isLast ? lineLimit : lineLimit - 1
                if column + token.utf8.count > limit {
                    output += "=\r\n"
                    column = 0
                }
                output += token
                column += token.utf8.count
            }
        }
        return output
    }

    /// Base64 in lines of 76 characters separated by CRLF.
    static func base64Lines(_ text: String) -> String {
        let normalized = lines(of: text).map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\r\n")
        return Data(normalized.utf8).base64EncodedString(options: [
            .lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed,
        ])
    }

    private static func hexEscape(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        return String(decoding: [0x3D, digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]], as: UTF8.self)
    }

    // MARK: Headers

    /// Encoded words (RFC 2047, "B" encoding, UTF-8) of at most 75 characters each, split between Unicode scalars
    /// so each word decodes on its own. The first word is kept within `firstWordLimit` characters, so that it fits
    /// on the line after the field name.
    static func encodedWords(_ text: String, firstWordLimit: Int = 75) -> [String] {
        // An encoded word is "=?UTF-8?B?" + base64 + "?=": 12 characters around 4 per 3 bytes.
        func byteBudget(_ limit: Int) -> Int { max(1, (min(limit, 75) - 12) / 4) * 3 }
        var maximumBytes = byteBudget(firstWordLimit)
        var words: [String] = []
        var chunk: [UInt8] = []
        for scalar in text.unicodeScalars {
            let encoded = Array(String(scalar).utf8)
            if chunk.count + encoded.count > maximumBytes && !chunk.isEmpty {
                words.append(encodedWord(chunk))
                chunk = []
                maximumBytes = byteBudget(75)
            }
            chunk += encoded
        }
        if !chunk.isEmpty || words.isEmpty {
            words.append(encodedWord(chunk))
        }
        return words
    }

    private static func encodedWord(_ bytes: [UInt8]) -> String {
        "=?UTF-8?B?\(Data(bytes).base64EncodedString())?="
    }

    /// Whether unstructured header text can be written as it is: printable ASCII words that cannot be mistaken
    /// for encoded words and fit on folded lines, the first one after a field name of `nameLength` characters.
    static func isPlainHeaderText(_ text: String, nameLength: Int = 10) -> Bool {
        guard text.utf8.allSatisfy({ (0x20...0x7E).contains($0) || $0 == 0x09 }) else { return false }
        guard !text.contains("=?") else { return false }
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard (words.first?.utf8.count ?? 0) <= lineLimit - nameLength - 2 else { return false }
        return words.allSatisfy { $0.utf8.count <= lineLimit - 10 }
    }

    /// The words of an unstructured header value (Subject, X- headers), encoded where needed.
    static func unstructuredWords(_ text: String, headerName: String) -> [String] {
        let nameLength = headerName.utf8.count
        if isPlainHeaderText(text, nameLength: nameLength) {
            // Runs of whitespace are kept inside words so that unfolding gives back the same text.
            return splitKeepingSpacing(text)
        }
        return encodedWords(text, firstWordLimit: lineLimit - nameLength - 2)
    }

    /// A display name as a phrase: atoms as they are, other ASCII as a quoted string, anything else encoded.
    static func phrase(_ name: String) -> String {
        let atext = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~ ".utf8)
        if name.utf8.allSatisfy(atext.contains), !name.contains("=?"), name.utf8.count <= lineLimit - 10 {
            return name
        }
        if isPlainHeaderText(name) {
            let escaped = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return "\"\(escaped)\""
        }
        // Room for the longest field name that carries addresses here ("From: ").
        return encodedWords(name, firstWordLimit: lineLimit - 6).joined(separator: " ")
    }

    /// A complete header field, folded at whitespace between `words` so lines stay within 76 where possible.
    static func header(_ name: String, words: [String]) -> String {
        var output = "\(name):"
        var column = output.utf8.count
        for word in words {
            if column + 1 + word.utf8.count > lineLimit && column > name.utf8.count + 1 {
                output += "\r\n"
                column = 0
            }
            output += " " + word
            column += 1 + word.utf8.count
        }
        return output + "\r\n"
    }

    /// Splits at single spaces; extra spaces and tabs stay attached to the following word.
    private static func splitKeepingSpacing(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        var previousWasSpace = false
        for character in text {
            if character == " " && !previousWasSpace && !current.isEmpty {
                words.append(current)
                current = ""
                previousWasSpace = true
                continue
            }
            previousWasSpace = false
            current.append(character)
        }
        if !current.isEmpty || words.isEmpty {
            words.append(current)
        }
        return words
    }
}
