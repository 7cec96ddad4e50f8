/// A decoded CBOR data item (RFC 8949). Only the definite-length, well-formed subset is representable.
public enum CBORValue: Sendable, Hashable {
    /// Major type 0: an unsigned integer.
    case unsigned(UInt64)
    /// Major type 1: the negative integer `-1 - n`, stored as `n` so the whole range down to -2^64 fits.
    case negative(UInt64)
    /// Major type 2: a byte string.
    case bytes([UInt8])
    /// Major type 3: a text string (valid UTF-8).
    case text(String)
    /// Major type 4: an array.
    case array([CBORValue])
    /// Major type 5: a map, as its key/value pairs in encoded order (keys are unique).
    case map([CBORMapEntry])
    /// Major type 6: a tagged item.
    indirect case tagged(UInt64, CBORValue)
    /// Major type 7: `false` or `true`.
    case bool(Bool)
    /// Major type 7: `null`.
    case null
    /// Major type 7: `undefined`.
    case undefined
    /// Major type 7: an unassigned simple value (0...19, 32...255).
    case simple(UInt8)
    /// Major type 7: a half-, single- or double-precision float, widened to `Double`.
    case float(Double)

    /// The value as a signed integer when it is an integer that fits `Int64`.
    public var int64Value: Int64? {
        switch self {
        case .unsigned(let n): return n <= UInt64(Int64.max) ? Int64(n) : nil
        case .negative(let n): return n <= UInt64(Int64.max) ? -1 - Int64(n) : nil
        default: return nil
        }
    }

    /// The map's value for a key, when this is a map.
    public subscript(key: CBORValue) -> CBORValue? {
        guard case .map(let entries) = self else { return nil }
        for entry in entries where entry.key == key { return entry.value }
        return nil
    }

    /// The map's value for an integer key, when this is a map.
    public subscript(intKey key: Int64) -> CBORValue? {
        self[key >= 0 ? .unsigned(UInt64(key)) : .negative(UInt64(-(key + 1)))]
    }

    /// The map's value for a text key, when this is a map.
    public subscript(textKey key: String) -> CBORValue? {
        self[.text(key)]
    }
}

/// One key/value pair of a CBOR map.
public struct CBORMapEntry: Sendable, Hashable {
    /// The key.
    public var key: CBORValue
    /// The value.
    public var value: CBORValue

    /// Makes a pair.
    public init(key: CBORValue, value: CBORValue) {
        self.key = key
        self.value = value
    }
}

/// Why a CBOR input was refused.
public enum CBORError: Error, Sendable, Equatable {
    /// The input ends inside a data item.
    case truncated
    /// An indefinite-length string, array or map (additional information 31), or a "break" byte.
    case indefiniteLength
    /// Additional information 28...30, which RFC 8949 reserves.
    case reservedAdditionalInfo
    /// An integer, length or tag encoded in more bytes than needed.
    case nonCanonicalInteger
    /// Nesting deeper than the decoder's bound.
    case depthExceeded
    /// The input is larger than the decoder's bound.
    case inputTooLarge
    /// A map holds the same key twice.
    case duplicateMapKey
    /// A text string that is not valid UTF-8.
    case invalidUTF8
    /// A two-byte simple value below 32 (not well-formed).
    case invalidSimpleValue
    /// Bytes are left after the top-level item.
    case trailingBytes
    /// A length or count larger than the bytes that remain.
    case lengthExceedsInput
    /// The structure is well-formed CBOR but not the shape the caller expects.
    case unexpectedType(String)

    /// A short stable name for logs and test oracles.
    public var code: String {
        switch self {
        case .truncated: return "truncated"
        case .indefiniteLength: return "indefiniteLength"
        case .reservedAdditionalInfo: return "reservedAdditionalInfo"
        case .nonCanonicalInteger: return "nonCanonicalInteger"
        case .depthExceeded: return "depthExceeded"
        case .inputTooLarge: return "inputTooLarge"
        case .duplicateMapKey: return "duplicateMapKey"
        case .invalidUTF8: return "invalidUTF8"
        case .invalidSimpleValue: return "invalidSimpleValue"
        case .trailingBytes: return "trailingBytes"
        case .lengthExceedsInput: return "lengthExceedsInput"
        case .unexpectedType: return "unexpectedType"
        }
    }
}

/// A strict CBOR decoder: definite lengths only, shortest-form integers and lengths, unique map keys, valid UTF-8,
/// bounded nesting depth and input size. It never allocates more than the input can justify.
public struct CBORDecoder: Sendable {
    /// The deepest nesting of arrays, maps and tags accepted (the top-level item is depth 1).
    public var maxDepth: Int
    /// The largest input accepted, in bytes.
    public var maxInputSize: Int

    /// Makes a decoder with the given bounds.
    public init(maxDepth: Int = 16, maxInputSize: Int = 16 * 1024) {
        self.maxDepth = maxDepth
        self.maxInputSize = maxInputSize
    }

    /// Decodes exactly one data item that must span the whole input.
    public func decode(_ input: [UInt8]) throws(CBORError) -> CBORValue {
        let (value, end) = try decodePrefix(input, from: 0)
        guard end == input.count else { throw .trailingBytes }
        return value
    }

    /// Decodes one data item starting at `offset` and returns it with the offset just past it; later bytes are left
    /// to the caller (authenticator data places more fields after the credential public key).
    public func decodePrefix(_ input: [UInt8], from offset: Int) throws(CBORError) -> (CBORValue, Int) {
        guard input.count <= maxInputSize else { throw .inputTooLarge }
        guard offset >= 0, offset <= input.count else { throw .truncated }
        var reader = Reader(bytes: input, position: offset, maxDepth: maxDepth)
        let value = try reader.item(depth: 1)
        return (value, reader.position)
    }

    private struct Reader {
        let bytes: [UInt8]
        var position: Int
        let maxDepth: Int

        var remaining: Int { bytes.count - position }

        mutating func byte() throws(CBORError) -> UInt8 {
            guard position < bytes.count else { throw .truncated }
            defer { position += 1 }
            return bytes[position]
        }

        mutating func take(_ count: Int) throws(CBORError) -> ArraySlice<UInt8> {
            guard count >= 0, count <= remaining else { throw .lengthExceedsInput }
            defer { position += count }
            return bytes[position..<(position + count)]
        }

        /// Reads the argument of the initial byte: additional information 0...27, shortest form enforced.
        mutating func argument(_ info: UInt8) throws(CBORError) -> UInt64 {
            switch info {
            case 0...23:
                return UInt64(info)
            case 24:
                let v = UInt64(try byte())
                guard v >= 24 else { throw .nonCanonicalInteger }
                return v
            case 25:
                let v = try bigEndian(2)
                guard v > 0xFF else { throw .nonCanonicalInteger }
                return v
            case 26:
                let v = try bigEndian(4)
                guard v > 0xFFFF else { throw .nonCanonicalInteger }
                return v
            case 27:
                let v = try bigEndian(8)
                guard v > 0xFFFF_FFFF else { throw .nonCanonicalInteger }
                return v
            case 28...30:
                throw .reservedAdditionalInfo
            default:
                throw .indefiniteLength
            }
        }

        mutating func bigEndian(_ count: Int) throws(CBORError) -> UInt64 {
            guard count <= remaining else { throw .truncated }
            var v: UInt64 = 0
            for _ in 0..<count { v = (v << 8) | UInt64(bytes[position]); position += 1 }
            return v
        }

        /// A length or count that must fit in what remains (each element takes at least one byte).
        mutating func length(_ info: UInt8) throws(CBORError) -> Int {
            let v = try argument(info)
            guard v <= UInt64(remaining) else { throw .lengthExceedsInput }
            return Int(v)
        }

        mutating func item(depth: Int) throws(CBORError) -> CBORValue {
            guard depth <= maxDepth else { throw .depthExceeded }
            let initial = try byte()
            let major = initial >> 5
            let info = initial & 0x1F
            switch major {
            case 0:
                return .unsigned(try argument(info))
            case 1:
                return .negative(try argument(info))
            case 2:
                let n = try length(info)
                return .bytes(Array(try take(n)))
            case 3:
                let n = try length(info)
                let raw = try take(n)
                guard let s = String(validating: raw, as: UTF8.self) else { throw .invalidUTF8 }
                return .text(s)
            case 4:
                let n = try length(info)
                var items: [CBORValue] = []
                items.reserveCapacity(n)
                for _ in 0..<n { items.append(try item(depth: depth + 1)) }
                return .array(items)
            case 5:
                let n = try length(info)
                guard n <= remaining / 2 else { throw .lengthExceedsInput }
                var entries: [CBORMapEntry] = []
                entries.reserveCapacity(n)
                var keys = Set<CBORValue>(minimumCapacity: n)
                for _ in 0..<n {
                    let key = try item(depth: depth + 1)
                    let value = try item(depth: depth + 1)
                    guard keys.insert(key).inserted else { throw .duplicateMapKey }
                    entries.append(CBORMapEntry(key: key, value: value))
                }
                return .map(entries)
            case 6:
                let tag = try argument(info)
                return .tagged(tag, try item(depth: depth + 1))
            default:
                return try simpleOrFloat(info)
            }
        }

        mutating func simpleOrFloat(_ info: UInt8) throws(CBORError) -> CBORValue {
            switch info {
            case 20: return .bool(false)
            case 21: return .bool(true)
            case 22: return .null
            case 23: return .undefined
            case 0...19: return .simple(info)
            case 24:
                let v = try byte()
                guard v >= 32 else { throw .invalidSimpleValue }
                return .simple(v)
            case 25:
                return .float(Self.halfToDouble(UInt16(try bigEndian(2))))
            case 26:
                return .float(Double(Float(bitPattern: UInt32(try bigEndian(4)))))
            case 27:
                return .float(Double(bitPattern: try bigEndian(8)))
            case 28...30:
                throw .reservedAdditionalInfo
            default:
                throw .indefiniteLength  // 0xFF "break" outside an indefinite-length item
            }
        }

        static func halfToDouble(_ half: UInt16) -> Double {
            let exponent = Int((half >> 10) & 0x1F)
            let mantissa = Double(half & 0x3FF)
            let magnitude: Double
            if exponent == 0 {
                magnitude = mantissa * 0x1p-24
            } else if exponent == 31 {
                magnitude = mantissa == 0 ? .infinity : .nan
            } else {
                magnitude = (1 + mantissa / 1024) * Double(sign: .plus, exponent: exponent - 15, significand: 1)
            }
            return half & 0x8000 != 0 ? -magnitude : magnitude
        }
    }
}

/// A small CBOR encoder for the shapes WebAuthn needs (tests and tools build COSE keys and attestation objects with it).
public enum CBOREncoder {
    /// Encodes a value in shortest form (maps keep their given order).
    public static func encode(_ value: CBORValue) -> [UInt8] {
        var out: [UInt8] = []
        append(value, to: &out)
        return out
    }

    private static func head(_ major: UInt8, _ argument: UInt64, to out: inout [UInt8]) {
        let m = major << 5
        switch argument {
        case 0..<24: out.append(m | UInt8(argument))
        case 24...0xFF: out.append(m | 24); out.append(UInt8(argument))
        case 0x100...0xFFFF:
            out.append(m | 25)
            for shift in stride(from: 8, through: 0, by: -8) {
                out.append(UInt8(truncatingIfNeeded: argument >> UInt64(shift)))
            }
        case 0x1_0000...0xFFFF_FFFF:
            out.append(m | 26)
            for shift in stride(from: 24, through: 0, by: -8) {
                out.append(UInt8(truncatingIfNeeded: argument >> UInt64(shift)))
            }
        default:
            out.append(m | 27)
            for shift in stride(from: 56, through: 0, by: -8) {
                out.append(UInt8(truncatingIfNeeded: argument >> UInt64(shift)))
            }
        }
    }

    private static func append(_ value: CBORValue, to out: inout [UInt8]) {
        switch value {
        case .unsigned(let n): head(0, n, to: &out)
        case .negative(let n): head(1, n, to: &out)
        case .bytes(let b): head(2, UInt64(b.count), to: &out); out += b
        case .text(let s): head(3, UInt64(s.utf8.count), to: &out); out += Array(s.utf8)
        case .array(let items):
            head(4, UInt64(items.count), to: &out)
            for item in items { append(item, to: &out) }
        case .map(let entries):
            head(5, UInt64(entries.count), to: &out)
            for entry in entries { append(entry.key, to: &out); append(entry.value, to: &out) }
        case .tagged(let tag, let item): head(6, tag, to: &out); append(item, to: &out)
        case .bool(let b): out.append(b ? 0xF5 : 0xF4)
        case .null: out.append(0xF6)
        case .undefined: out.append(0xF7)
        case .simple(let v):
            if v < 24 { out.append(0xE0 | v) } else { out.append(0xF8); out.append(v) }
        case .float(let d):
            out.append(0xFB)
            let bits = d.bitPattern
            for shift in stride(from: 56, through: 0, by: -8) {
                out.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift)))
            }
        }
    }
}
