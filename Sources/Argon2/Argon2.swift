/// Argon2 password hashing (RFC 9106): Argon2d, Argon2i and Argon2id, versions 0x13 and 0x10.
///
/// Swift throughout, except the block function on x86-64, which has AVX2 and AVX-512F kernels in C chosen
/// at run time (see ``Kernel``).
///
/// ```swift
/// let tag = try Argon2.hash(password: Array("password".utf8), salt: salt, parameters: .owaspMinimum)
/// ```
///
/// ``hash(password:salt:parameters:secret:associatedData:)`` takes fresh work memory for every call.
/// A server that hashes often should keep an ``Argon2Hasher``, which reuses its work memory and bounds
/// how many hashes run at once.
public enum Argon2 {
    /// Which Argon2 function: data-dependent (d), data-independent (i), or the hybrid (id).
    public enum Variant: Int, Sendable, CaseIterable, CustomStringConvertible {
        /// Argon2d: memory indexed by the data; fastest, for settings without side channels.
        case d = 0
        /// Argon2i: memory indexed independently of the data.
        case i = 1
        /// Argon2id: the first half pass as Argon2i, then as Argon2d. Recommended for passwords.
        case id = 2

        /// The name used in PHC strings: `argon2d`, `argon2i` or `argon2id`.
        public var description: String {
            switch self {
            case .d: "argon2d"
            case .i: "argon2i"
            case .id: "argon2id"
            }
        }
    }

    /// The Argon2 version: 0x13 (current, RFC 9106) or 0x10 (the original, kept to verify old hashes).
    public enum Version: Int, Sendable, CaseIterable {
        /// Version 1.0; later passes overwrite blocks instead of XORing into them.
        case v10 = 0x10
        /// Version 1.3, the one RFC 9106 specifies.
        case v13 = 0x13
    }

    /// Computes the Argon2 tag of `password`, with fresh work memory.
    ///
    /// - Parameters:
    ///   - password: the password P (any bytes; normalise text before, Gatehouse uses NFKC).
    ///   - salt: the salt S (RFC 9106 recommends 16 random bytes).
    ///   - parameters: variant, version, memory, passes, lanes and tag length.
    ///   - secret: the secret input K (a pepper), empty for none.
    ///   - associatedData: the associated data X, empty for none.
    ///   - kernel: the block-function implementation; `nil` for ``Kernel/current`` (normally ``Kernel/best``).
    /// - Returns: `parameters.tagLength` bytes.
    /// - Throws: ``Argon2Error`` when a parameter or input length is outside the range RFC 9106 allows,
    ///   when the work memory cannot be allocated, or when this CPU cannot run `kernel`.
    public static func hash(
        password: [UInt8], salt: [UInt8], parameters: Parameters, secret: [UInt8] = [], associatedData: [UInt8] = [],
        kernel: Kernel? = nil
    ) throws(Argon2Error) -> [UInt8] {
        try parameters.validate()
        let kernel = try Kernel.resolve(kernel)
        let inputs = try Inputs(password: password, salt: salt, secret: secret, associatedData: associatedData)
        let memory = try WorkMemory(blockCount: parameters.blockCount)
        return Argon2Instance(parameters: parameters, kernel: kernel, memory: memory.blocks).computeTag(inputs: inputs)
    }
}

/// The inputs of one Argon2 computation, length-checked.
struct Inputs {
    let password: [UInt8]
    let salt: [UInt8]
    let secret: [UInt8]
    let associatedData: [UInt8]

    init(password: [UInt8], salt: [UInt8], secret: [UInt8], associatedData: [UInt8]) throws(Argon2Error) {
        let limit = Int(UInt32.max)
        guard password.count <= limit else { throw .passwordTooLong(password.count) }
        guard salt.count <= limit else { throw .saltTooLong(salt.count) }
        guard secret.count <= limit else { throw .secretTooLong(secret.count) }
        guard associatedData.count <= limit else { throw .associatedDataTooLong(associatedData.count) }
        self.password = password
        self.salt = salt
        self.secret = secret
        self.associatedData = associatedData
    }
}
