import Foundation
import GatehouseBasics

/// Hex and base64url helpers used for tokens and stored digests.
public enum Encoding {
    /// Lower-case hexadecimal of `bytes`.
    public static func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Bytes of a hexadecimal string, or nil when it is not valid hex.
    public static func bytes(hex: String) -> [UInt8]? {
        let utf8 = Array(hex.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Unpadded base64url (RFC 4648 section 5).
    public static func base64URL<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        Base64URL.encode(bytes)
    }

    /// Decodes unpadded or padded base64url; nil when malformed.
    public static func bytes(base64URL text: String) -> [UInt8]? {
        Base64URL.decode(text)
    }
}

extension String {
    /// The first `limit` Unicode scalars. Limits count scalars (or UTF-8 bytes), never characters: one grapheme
    /// cluster can carry kilobytes of combining marks.
    public func clipped(toScalars limit: Int) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in unicodeScalars.prefix(limit) { scalars.append(scalar) }
        return String(scalars)
    }
}
