/// The fields of clientDataJSON (CollectedClientData) that a relying party checks.
public struct CollectedClientData: Sendable, Equatable {
    /// "webauthn.create" or "webauthn.get".
    public var type: String
    /// The challenge as the client sent it (base64url text).
    public var challenge: String
    /// The origin of the calling page.
    public var origin: String
    /// Whether the ceremony ran in a cross-origin iframe.
    public var crossOrigin: Bool?
    /// The top-level origin, present for cross-origin ceremonies.
    public var topOrigin: String?

    /// The largest clientDataJSON accepted, in bytes.
    public static let maximumSize = 4096

    /// Parses clientDataJSON with a strict JSON parser: one object, no duplicate keys, valid UTF-8, bounded depth;
    /// `type`, `challenge` and `origin` must be strings, `crossOrigin` a boolean and `topOrigin` a string when present.
    public init(json bytes: [UInt8]) throws(WebAuthnError) {
        guard bytes.count <= Self.maximumSize else {
            throw .inputTooLarge(field: "clientDataJSON", limit: Self.maximumSize)
        }
        var parser = StrictJSON(bytes: bytes)
        let root: StrictJSON.Value
        do { root = try parser.parseDocument() } catch { throw .malformedClientData(error.reason) }
        guard case .object(let members) = root else { throw .malformedClientData("not an object") }
        func string(_ key: String) throws(WebAuthnError) -> String? {
            guard let value = members[key] else { return nil }
            guard case .string(let s) = value else { throw .malformedClientData("\(key) is not a string") }
            return s
        }
        guard let type = try string("type") else { throw .malformedClientData("missing type") }
        guard let challenge = try string("challenge") else { throw .malformedClientData("missing challenge") }
        guard let origin = try string("origin") else { throw .malformedClientData("missing origin") }
        self.type = type
        self.challenge = challenge
        self.origin = origin
        switch members["crossOrigin"] {
        case nil: crossOrigin = nil
        case .bool(let b)?: crossOrigin = b
        default: throw .malformedClientData("crossOrigin is not a boolean")
        }
        topOrigin = try string("topOrigin")
    }
}

/// A small strict JSON parser (RFC 8259) for clientDataJSON.
struct StrictJSON {
    indirect enum Value: Equatable {
        case object([String: Value])
        case array([Value])
        case string(String)
        case number
        case bool(Bool)
        case null
    }

    struct Failure: Error { let reason: String }

    let bytes: [UInt8]
    var position = 0
    let maxDepth = 8

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func parseDocument() throws(Failure) -> Value {
        guard String(validating: bytes, as: UTF8.self) != nil else { throw Failure(reason: "invalid UTF-8") }
        skipWhitespace()
        let value = try parseValue(depth: 1)
        skipWhitespace()
        guard position == bytes.count else { throw Failure(reason: "trailing bytes") }
        return value
    }

    mutating func skipWhitespace() {
        while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
    }

    mutating func expect(_ literal: String) throws(Failure) {
        for c in literal.utf8 {
            guard position < bytes.count, bytes[position] == c else { throw Failure(reason: "bad literal") }
            position += 1
        }
    }

    mutating func parseValue(depth: Int) throws(Failure) -> Value {
        guard depth <= maxDepth else { throw Failure(reason: "nesting too deep") }
        guard position < bytes.count else { throw Failure(reason: "truncated") }
        switch bytes[position] {
        case UInt8(ascii: "{"):
            position += 1
            var members: [String: Value] = [:]
            skipWhitespace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "}") { position += 1; return .object(members) }
            while true {
                skipWhitespace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                    throw Failure(reason: "expected key")
                }
                let key = try parseString()
                skipWhitespace()
                try expect(":")
                skipWhitespace()
                let value = try parseValue(depth: depth + 1)
                guard members.updateValue(value, forKey: key) == nil else {
                    throw Failure(reason: "duplicate key \(key)")
                }
                skipWhitespace()
                guard position < bytes.count else { throw Failure(reason: "truncated") }
                if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                if bytes[position] == UInt8(ascii: "}") { position += 1; return .object(members) }
                throw Failure(reason: "expected , or }")
            }
        case UInt8(ascii: "["):
            position += 1
            var items: [Value] = []
            skipWhitespace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "]") { position += 1; return .array(items) }
            while true {
                skipWhitespace()
                items.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                guard position < bytes.count else { throw Failure(reason: "truncated") }
                if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                if bytes[position] == UInt8(ascii: "]") { position += 1; return .array(items) }
                throw Failure(reason: "expected , or ]")
            }
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "t"):
            try expect("true"); return .bool(true)
        case UInt8(ascii: "f"):
            try expect("false"); return .bool(false)
        case UInt8(ascii: "n"):
            try expect("null"); return .null
        default:
            try parseNumber(); return .number
        }
    }

    mutating func parseNumber() throws(Failure) {
        func digit(_ i: Int) -> Bool { i < bytes.count && bytes[i] >= 0x30 && bytes[i] <= 0x39 }
        if position < bytes.count, bytes[position] == UInt8(ascii: "-") { position += 1 }
        guard digit(position) else { throw Failure(reason: "bad value") }
        if bytes[position] == 0x30 { position += 1 } else { while digit(position) { position += 1 } }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            guard digit(position) else { throw Failure(reason: "bad number") }
            while digit(position) { position += 1 }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard digit(position) else { throw Failure(reason: "bad number") }
            while digit(position) { position += 1 }
        }
    }

    mutating func hex4() throws(Failure) -> UInt32 {
        guard position + 4 <= bytes.count else { throw Failure(reason: "truncated escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[position]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw Failure(reason: "bad escape")
            }
            v = v << 4 | d
            position += 1
        }
        return v
    }

    mutating func parseString() throws(Failure) -> String {
        position += 1  // opening quote
        var out: [UInt8] = []
        while true {
            guard position < bytes.count else { throw Failure(reason: "unterminated string") }
            let c = bytes[position]
            position += 1
            switch c {
            case UInt8(ascii: "\""):
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard position < bytes.count else { throw Failure(reason: "truncated escape") }
                let e = bytes[position]
                position += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard position + 2 <= bytes.count, bytes[position] == UInt8(ascii: "\\"),
                            bytes[position + 1] == UInt8(ascii: "u")
                        else { throw Failure(reason: "unpaired surrogate") }
                        position += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw Failure(reason: "unpaired surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw Failure(reason: "unpaired surrogate")
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw Failure(reason: "bad escape") }
                    out += Array(String(Character(u)).utf8)
                default:
                    throw Failure(reason: "bad escape")
                }
            case 0x00..<0x20:
                throw Failure(reason: "control character in string")
            default:
                out.append(c)
            }
        }
    }
}
