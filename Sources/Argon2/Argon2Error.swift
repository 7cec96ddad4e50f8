/// Why Argon2 refused to hash: a parameter outside RFC 9106's ranges, an input too long, no memory, or a kernel this CPU cannot run.
public enum Argon2Error: Error, Equatable, Sendable {
    /// The tag length is outside 4...2^32-1 bytes.
    case tagLengthOutOfRange(Int)
    /// The number of passes is outside 1...2^32-1.
    case iterationsOutOfRange(Int)
    /// The number of lanes is outside 1...2^24-1.
    case parallelismOutOfRange(Int)
    /// The memory size is below 8 KiB per lane or above 2^32-1 KiB.
    case memoryOutOfRange(kibibytes: Int, parallelism: Int)
    /// The password is longer than 2^32-1 bytes.
    case passwordTooLong(Int)
    /// The salt is longer than 2^32-1 bytes.
    case saltTooLong(Int)
    /// The secret is longer than 2^32-1 bytes.
    case secretTooLong(Int)
    /// The associated data is longer than 2^32-1 bytes.
    case associatedDataTooLong(Int)
    /// The memory asked for exceeds the limit set on the ``Argon2Hasher``.
    case memoryLimitExceeded(kibibytes: Int, limit: Int)
    /// The system could not provide the work memory.
    case allocationFailed(bytes: Int)
    /// The block-function kernel asked for needs instructions this CPU lacks (see ``Argon2/Kernel/available``).
    case kernelUnavailable(Argon2.Kernel)
}
