import Testing

@testable import Argon2

@Suite("Argon2 test vectors")
struct Argon2VectorTests {
    /// RFC 9106 section 5: P = 32 x 0x01, S = 16 x 0x02, K = 8 x 0x03, X = 12 x 0x04, m = 32, t = 3, p = 4.
    static let rfcVectors: [(Argon2.Variant, String)] = [
        (.d, "512b391b6f1162975371d30919734294f868e3be3984f3c1a13a4db9fabe4acb"),
        (.i, "c814d9d1dc7f37aa13f0d77f2494bda1c8de6b016dd388d29952a4c4672b6ce8"),
        (.id, "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659"),
    ]

    static func rfcParameters(_ variant: Argon2.Variant) -> Argon2.Parameters {
        Argon2.Parameters(variant: variant, memoryKiB: 32, iterations: 3, parallelism: 4, tagLength: 32)
    }

    @Test("RFC 9106 vectors with fresh memory", arguments: rfcVectors)
    func rfcVector(_ vector: (Argon2.Variant, String)) throws {
        let tag = try Argon2.hash(
            password: [UInt8](repeating: 1, count: 32), salt: [UInt8](repeating: 2, count: 16),
            parameters: Self.rfcParameters(vector.0), secret: [UInt8](repeating: 3, count: 8),
            associatedData: [UInt8](repeating: 4, count: 12))
        #expect(Hex.string(tag) == vector.1)
    }

    @Test("RFC 9106 vectors through a pooled hasher, twice (reused memory)", arguments: rfcVectors)
    func rfcVectorPooled(_ vector: (Argon2.Variant, String)) throws {
        let hasher = Argon2Hasher(maxConcurrent: 1)
        for _ in 0..<2 {
            let tag = try hasher.hash(
                password: [UInt8](repeating: 1, count: 32), salt: [UInt8](repeating: 2, count: 16),
                parameters: Self.rfcParameters(vector.0), secret: [UInt8](repeating: 3, count: 8),
                associatedData: [UInt8](repeating: 4, count: 12))
            #expect(Hex.string(tag) == vector.1)
        }
    }

    /// Version 0x10, from argon2-cffi (libargon2): password "password", salt "somesaltsomesalt", m=64, t=2, p=2.
    static let version10Vectors: [(Argon2.Variant, String)] = [
        (.d, "642fa305a18245fec4ebb1c77df15ff3b20fa641315b8484"),
        (.i, "16b91748edbdb67de0125ba7701c6977d24cb3b76357779e"),
        (.id, "b74486683494670c51757de8b17b2035ffc35369a41b5b83"),
    ]

    @Test("version 0x10 matches libargon2", arguments: version10Vectors)
    func version10(_ vector: (Argon2.Variant, String)) throws {
        let parameters = Argon2.Parameters(
            variant: vector.0, version: .v10, memoryKiB: 64, iterations: 2, parallelism: 2, tagLength: 24)
        let tag = try Argon2.hash(
            password: Array("password".utf8), salt: Array("somesaltsomesalt".utf8),
            parameters: parameters)
        #expect(Hex.string(tag) == vector.1)
    }

    @Test("a pooled hasher gives the same tags as fresh memory when sizes change between hashes")
    func pooledMatchesFresh() throws {
        let hasher = Argon2Hasher(maxConcurrent: 2)
        for (memory, lanes) in [(64, 1), (1024, 2), (256, 4), (2048, 3), (8, 1)] {
            let parameters = Argon2.Parameters(memoryKiB: memory, iterations: 2, parallelism: lanes, tagLength: 64)
            let salt = Array("saltsaltsalt".utf8)
            let fresh = try Argon2.hash(password: [1, 2, 3], salt: salt, parameters: parameters)
            let pooled = try hasher.hash(password: [1, 2, 3], salt: salt, parameters: parameters)
            #expect(fresh == pooled)
        }
    }

    @Test("tags longer than 64 bytes use the extended hash H'")
    func longTag() throws {
        let parameters = Argon2.Parameters(memoryKiB: 32, iterations: 1, parallelism: 1, tagLength: 200)
        let tag = try Argon2.hash(password: [], salt: Array("somesalt".utf8), parameters: parameters)
        #expect(tag.count == 200)
        var short = parameters
        short.tagLength = 64
        #expect(try Argon2.hash(password: [], salt: Array("somesalt".utf8), parameters: short) != Array(tag[0..<64]))
    }

    @Test("parameters outside RFC 9106's ranges are typed errors")
    func parameterRanges() {
        func check(_ parameters: Argon2.Parameters, _ expected: Argon2Error) {
            #expect(throws: expected) { try Argon2.hash(password: [], salt: [], parameters: parameters) }
        }
        check(.init(memoryKiB: 64, iterations: 1, parallelism: 1, tagLength: 3), .tagLengthOutOfRange(3))
        check(.init(memoryKiB: 64, iterations: 0, parallelism: 1), .iterationsOutOfRange(0))
        check(.init(memoryKiB: 64, iterations: 1, parallelism: 0), .parallelismOutOfRange(0))
        check(.init(memoryKiB: 1 << 30, iterations: 1, parallelism: 1 << 24), .parallelismOutOfRange(1 << 24))
        check(.init(memoryKiB: 15, iterations: 1, parallelism: 2), .memoryOutOfRange(kibibytes: 15, parallelism: 2))
        check(
            .init(memoryKiB: 1 << 32, iterations: 1, parallelism: 1),
            .memoryOutOfRange(kibibytes: 1 << 32, parallelism: 1))
        #expect(throws: Argon2Error.memoryLimitExceeded(kibibytes: 4096, limit: 1024)) {
            try Argon2Hasher(maxMemoryKiB: 1024).hash(
                password: [], salt: [], parameters: .init(memoryKiB: 4096, iterations: 1, parallelism: 1))
        }
    }

    @Test("the smallest memory, 8 KiB per lane, works")
    func smallestMemory() throws {
        let parameters = Argon2.Parameters(memoryKiB: 16, iterations: 1, parallelism: 2, tagLength: 4)
        #expect(try Argon2.hash(password: [], salt: [], parameters: parameters).count == 4)
    }

    @Test("concurrent hashes on one hasher agree with each other")
    func concurrentHashes() async throws {
        let hasher = Argon2Hasher(maxConcurrent: 2)
        let parameters = Argon2.Parameters(memoryKiB: 512, iterations: 2, parallelism: 2)
        let expected = try Argon2.hash(password: [9], salt: Array("concurrent".utf8), parameters: parameters)
        try await withThrowingTaskGroup(of: [UInt8].self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try hasher.hash(password: [9], salt: Array("concurrent".utf8), parameters: parameters)
                }
            }
            for try await tag in group {
                #expect(tag == expected)
            }
        }
    }
}
