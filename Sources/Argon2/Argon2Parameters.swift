extension Argon2 {
    /// The cost settings and shape of an Argon2 hash.
    public struct Parameters: Sendable, Hashable {
        /// Argon2d, Argon2i or Argon2id.
        public var variant: Variant
        /// 0x13 for new hashes; 0x10 only to verify old ones.
        public var version: Version
        /// Memory size m in KiB (1 KiB = one 1024-byte block); at least 8 per lane.
        public var memoryKiB: Int
        /// Number of passes t over the memory.
        public var iterations: Int
        /// Number of lanes p, computed on separate threads when the machine has more than one core.
        public var parallelism: Int
        /// Length T of the tag in bytes.
        public var tagLength: Int

        /// Makes parameters; they are checked when used, see ``validate()``.
        public init(
            variant: Variant = .id, version: Version = .v13, memoryKiB: Int, iterations: Int, parallelism: Int,
            tagLength: Int = 32
        ) {
            self.variant = variant
            self.version = version
            self.memoryKiB = memoryKiB
            self.iterations = iterations
            self.parallelism = parallelism
            self.tagLength = tagLength
        }

        /// OWASP's minimum for Argon2id: 19 MiB, 2 passes, 1 lane, 32-byte tag.
        public static let owaspMinimum = Parameters(memoryKiB: 19456, iterations: 2, parallelism: 1)

        /// Throws unless every value lies in the range RFC 9106 allows.
        public func validate() throws(Argon2Error) {
            let max32 = Int(UInt32.max)
            guard (4...max32).contains(tagLength) else { throw .tagLengthOutOfRange(tagLength) }
            guard (1...max32).contains(iterations) else { throw .iterationsOutOfRange(iterations) }
            guard (1...0xFF_FFFF).contains(parallelism) else { throw .parallelismOutOfRange(parallelism) }
            guard memoryKiB <= max32, memoryKiB >= 8 * parallelism else {
                throw .memoryOutOfRange(kibibytes: memoryKiB, parallelism: parallelism)
            }
        }

        /// Blocks actually used: m rounded down to a multiple of 4p.
        var blockCount: Int { memoryKiB / (4 * parallelism) * 4 * parallelism }
    }
}
