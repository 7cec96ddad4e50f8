import GatehouseBasics

/// An Argon2 hash in the PHC string format:
/// `$argon2id$v=19$m=19456,t=2,p=1[,keyid=...][,data=...]$salt$hash`, with B64 (unpadded Base64) fields.
///
/// Parsing is strict: anything but a canonical string is a ``ParseError``. `keyid` names the secret
/// (pepper) the hash was made with; `data` is Argon2's associated data and takes part in the hash.
public struct PHCString: Sendable, Hashable, CustomStringConvertible, LosslessStringConvertible {
    /// The longest string ``init(parsing:)`` reads.
    public static let maxLength = 4096
    /// The longest `keyid`, in bytes, as the PHC format sets for Argon2.
    public static let maxKeyIDLength = 8
    /// The longest `data`, in bytes, as the PHC format sets for Argon2.
    public static let maxDataLength = 32

    /// The part of a PHC string a ``ParseError`` is about.
    public enum Field: String, Sendable {
        /// The identifier, `argon2id` in `$argon2id$`.
        case algorithm
        /// `v=`, the Argon2 version.
        case version
        /// `m=`, memory in KiB.
        case memory
        /// `t=`, the number of passes.
        case iterations
        /// `p=`, the number of lanes.
        case parallelism
        /// `keyid=`, which secret was used.
        case keyID = "keyid"
        /// `data=`, the associated data.
        case data
        /// The salt, in B64.
        case salt
        /// The tag, in B64.
        case hash
    }

    /// Why a string is not a valid Argon2 PHC string.
    public enum ParseError: Error, Equatable, Sendable {
        /// Longer than ``PHCString/maxLength``.
        case tooLong(Int)
        /// The `$`-separated structure is wrong (missing, extra or empty parts).
        case malformed
        /// The identifier is not `argon2d`, `argon2i` or `argon2id`.
        case unknownAlgorithm(String)
        /// A field is missing, out of order, or not written as expected.
        case invalidField(Field)
        /// A number is not canonical decimal (digits only, no leading zero) or does not fit 32 bits.
        case invalidNumber(Field)
        /// The version is not 16 or 19.
        case unsupportedVersion(Int)
        /// A binary field is not canonical unpadded Base64.
        case invalidBase64(Field)
        /// A binary field is longer than the format allows.
        case fieldTooLong(Field)
        /// The parameters lie outside what Argon2 accepts.
        case invalidParameters(Argon2Error)
    }

    /// The hash's parameters; `tagLength` equals `tag.count`.
    public private(set) var parameters: Argon2.Parameters
    /// The salt.
    public let salt: [UInt8]
    /// The Argon2 tag.
    public let tag: [UInt8]
    /// The `keyid` parameter: names the secret (pepper) used, if any. At most 8 bytes.
    public let keyID: [UInt8]?
    /// The `data` parameter: Argon2's associated data, if any. At most 32 bytes.
    public let associatedData: [UInt8]?

    /// Makes a PHC string from its parts; `parameters.tagLength` is replaced by `tag.count`.
    public init(
        parameters: Argon2.Parameters, salt: [UInt8], tag: [UInt8], keyID: [UInt8]? = nil,
        associatedData: [UInt8]? = nil
    ) {
        self.parameters = parameters
        self.parameters.tagLength = tag.count
        self.salt = salt
        self.tag = tag
        self.keyID = keyID
        self.associatedData = associatedData
    }

    /// Hashes `password` and returns the PHC string of the result.
    ///
    /// - Parameters:
    ///   - secret: the pepper (Argon2's K); it is not stored, but `keyID` can say which one it was.
    ///   - associatedData: stored in the string as `data` (at most 32 bytes) and hashed as Argon2's X.
    ///   - hasher: a pooled hasher; nil hashes with fresh memory.
    public static func make(
        password: [UInt8], salt: [UInt8], parameters: Argon2.Parameters, secret: [UInt8] = [],
        keyID: [UInt8]? = nil, associatedData: [UInt8]? = nil, using hasher: Argon2Hasher? = nil
    ) throws(Argon2Error) -> PHCString {
        let tag = try computeTag(
            password: password, salt: salt, parameters: parameters, secret: secret,
            associatedData: associatedData ?? [], hasher: hasher)
        return PHCString(parameters: parameters, salt: salt, tag: tag, keyID: keyID, associatedData: associatedData)
    }

    /// Whether `password` (with the pepper `secret`) produces this hash; the tags are compared in constant time.
    ///
    /// - Throws: ``Argon2Error`` if the stored parameters cannot be computed (for example above the
    ///   hasher's memory limit).
    public func verify(password: [UInt8], secret: [UInt8] = [], using hasher: Argon2Hasher? = nil)
        throws(Argon2Error) -> Bool
    {
        let computed = try Self.computeTag(
            password: password, salt: salt, parameters: parameters, secret: secret,
            associatedData: associatedData ?? [], hasher: hasher)
        return ConstantTime.equals(computed, tag)
    }

    /// Whether this hash was made with other settings than `parameters` (ignoring the tag length),
    /// so it should be recomputed at the next successful sign-in.
    public func needsRehash(for parameters: Argon2.Parameters) -> Bool {
        var wanted = parameters
        wanted.tagLength = self.parameters.tagLength
        return wanted != self.parameters
    }

    private static func computeTag(
        password: [UInt8], salt: [UInt8], parameters: Argon2.Parameters, secret: [UInt8], associatedData: [UInt8],
        hasher: Argon2Hasher?
    ) throws(Argon2Error) -> [UInt8] {
        if let hasher {
            return try hasher.hash(
                password: password, salt: salt, parameters: parameters, secret: secret,
                associatedData: associatedData)
        }
        return try Argon2.hash(
            password: password, salt: salt, parameters: parameters, secret: secret,
            associatedData: associatedData)
    }

    /// The string form, always with the version field.
    public var description: String {
        var text = "$\(parameters.variant)$v=\(parameters.version.rawValue)"
        text += "$m=\(parameters.memoryKiB),t=\(parameters.iterations),p=\(parameters.parallelism)"
        if let keyID {
            text += ",keyid=\(Base64.encode(keyID))"
        }
        if let associatedData {
            text += ",data=\(Base64.encode(associatedData))"
        }
        return text + "$\(Base64.encode(salt))$\(Base64.encode(tag))"
    }

    /// Parses a PHC string, or returns nil; use ``init(parsing:)`` to learn why it failed.
    public init?(_ description: String) {
        guard let parsed = try? PHCString(parsing: description) else { return nil }
        self = parsed
    }

    /// Parses a PHC string strictly. A missing `v=` field means version 0x10, as in the reference library.
    public init(parsing string: String) throws(ParseError) {
        let utf8 = string.utf8
        guard utf8.count <= Self.maxLength else { throw .tooLong(utf8.count) }
        let parts = Substring(string).utf8.split(separator: UInt8(ascii: "$"), omittingEmptySubsequences: false)
        guard parts.count == 5 || parts.count == 6, parts[0].isEmpty else { throw .malformed }
        let variant: Argon2.Variant
        switch String(Substring(parts[1])) {
        case "argon2d": variant = .d
        case "argon2i": variant = .i
        case "argon2id": variant = .id
        default: throw .unknownAlgorithm(String(Substring(parts[1])))
        }
        var version = Argon2.Version.v10
        if parts.count == 6 {
            let number = try Self.value(of: "v", in: parts[2], field: .version)
            guard let parsed = Argon2.Version(rawValue: number) else { throw .unsupportedVersion(number) }
            version = parsed
        }
        let fields = parts[parts.count - 3].split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
        guard fields.count >= 3, fields.count <= 5 else { throw .invalidField(fields.count < 3 ? .parallelism : .data) }
        let memory = try Self.value(of: "m", in: fields[0], field: .memory)
        let iterations = try Self.value(of: "t", in: fields[1], field: .iterations)
        let parallelism = try Self.value(of: "p", in: fields[2], field: .parallelism)
        var keyID: [UInt8]?
        var data: [UInt8]?
        var next = 3
        if next < fields.count, Self.hasName("keyid", fields[next]) {
            keyID = try Self.binary(of: "keyid", in: fields[next], field: .keyID, maxLength: Self.maxKeyIDLength)
            next += 1
        }
        if next < fields.count, Self.hasName("data", fields[next]) {
            data = try Self.binary(of: "data", in: fields[next], field: .data, maxLength: Self.maxDataLength)
            next += 1
        }
        guard next == fields.count else { throw .invalidField(keyID == nil ? .keyID : .data) }
        let saltText = parts[parts.count - 2]
        let tagText = parts[parts.count - 1]
        guard !saltText.isEmpty, let salt = Base64.decode(saltText) else { throw .invalidBase64(.salt) }
        guard !tagText.isEmpty, let tag = Base64.decode(tagText) else { throw .invalidBase64(.hash) }
        let parameters = Argon2.Parameters(
            variant: variant, version: version, memoryKiB: memory, iterations: iterations, parallelism: parallelism,
            tagLength: tag.count
        )
        do {
            try parameters.validate()
        } catch {
            throw .invalidParameters(error)
        }
        self.init(parameters: parameters, salt: salt, tag: tag, keyID: keyID, associatedData: data)
    }

    private static func hasName(_ name: String, _ text: Substring.UTF8View) -> Bool {
        text.starts(with: (name + "=").utf8)
    }

    private static func value(of name: String, in text: Substring.UTF8View, field: Field) throws(ParseError) -> Int {
        guard hasName(name, text) else { throw .invalidField(field) }
        let digits = text.dropFirst(name.utf8.count + 1)
        guard !digits.isEmpty, digits.count <= 10, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            digits.first != 0x30 || digits.count == 1
        else { throw .invalidNumber(field) }
        let number = digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
        guard number <= Int(UInt32.max) else { throw .invalidNumber(field) }
        return number
    }

    private static func binary(of name: String, in text: Substring.UTF8View, field: Field, maxLength: Int)
        throws(ParseError) -> [UInt8]
    {
        let encoded = text.dropFirst(name.utf8.count + 1)
        guard !encoded.isEmpty, let bytes = Base64.decode(encoded) else { throw .invalidBase64(field) }
        guard bytes.count <= maxLength else { throw .fieldTooLong(field) }
        return bytes
    }
}
