/// Unpadded base64url (RFC 4648 section 5): the one encoder of tokens, ids, JWK members and DPoP thumbprints.
public enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// `bytes` as unpadded base64url.
    public static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        let input = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity((input.count * 4 + 2) / 3)
        var index = 0
        while index + 3 <= input.count {
            let value = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
            for shift in [18, 12, 6, 0] { out.append(alphabet[Int((value >> UInt32(shift)) & 63)]) }
            index += 3
        }
        let rest = input.count - index
        if rest > 0 {
            var value = UInt32(input[index]) << 16
            if rest == 2 { value |= UInt32(input[index + 1]) << 8 }
            let shifts = rest == 1 ? [18, 12] : [18, 12, 6]
            for shift in shifts { out.append(alphabet[Int((value >> UInt32(shift)) & 63)]) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The 6-bit value of each byte of the alphabet (both `-_` and `+/`, as the decoder has always accepted), or 255.
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 255, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        table[Int(UInt8(ascii: "+"))] = 62
        table[Int(UInt8(ascii: "/"))] = 63
        return table
    }()

    /// Decodes base64url, unpadded or padded (`=` only at the end, never more than the last group needs); nil when
    /// malformed. One pass over the UTF-8 bytes, no intermediate strings: tokens, sealed mail bodies and DPoP proofs
    /// are decoded on hot paths.
    public static func decode(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8 { decode(bytes: $0) }
    }

    private static func decode(bytes input: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        var length = input.count
        var padding = 0
        while length > 0, input[length - 1] == UInt8(ascii: "=") {
            length -= 1
            padding += 1
        }
        let remainder = length % 4
        if remainder == 1 { return nil }
        if padding > 0, remainder == 0 || padding > 4 - remainder { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(length / 4 * 3 + 2)
        var index = 0
        while index + 4 <= length {
            let a = values[Int(input[index])]
            let b = values[Int(input[index + 1])]
            let c = values[Int(input[index + 2])]
            let d = values[Int(input[index + 3])]
            if (a | b | c | d) & 0xC0 != 0 { return nil }
            let value = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
            out.append(UInt8(truncatingIfNeeded: value >> 16))
            out.append(UInt8(truncatingIfNeeded: value >> 8))
            out.append(UInt8(truncatingIfNeeded: value))
            index += 4
        }
        if remainder > 0 {
            let a = values[Int(input[index])]
            let b = values[Int(input[index + 1])]
            let c = remainder == 3 ? values[Int(input[index + 2])] : 0
            if (a | b | c) & 0xC0 != 0 { return nil }
            let value = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6
            out.append(UInt8(truncatingIfNeeded: value >> 16))
            if remainder == 3 { out.append(UInt8(truncatingIfNeeded: value >> 8)) }
        }
        return out
    }
}
