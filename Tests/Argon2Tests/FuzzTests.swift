import Testing

@testable import Argon2

/// Mutated and random inputs must give typed errors or valid results, never a crash.
@Suite("Fuzzing")
struct FuzzTests {
    static let seeds = [
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo",
        "$argon2id$v=19$m=64,t=2,p=1,keyid=AAE,data=Kiss$MDEyMzQ1Njc4OWFiY2RlZg$FrkXSO29tn3gEluncBxpd9JMs7djV3ee",
        "$argon2i$m=64,t=2,p=2$c29tZXNhbHRzb21lc2FsdA$FrkXSO29tn3gEluncBxpd9JMs7djV3ee",
        "$argon2d$v=16$m=32,t=1,p=4$c29tZXNhbHRzb21lc2FsdA$ZC+jBaGCRf7E67HHffFf87IPpkExW4SE",
    ]
    static let alphabet = Array("$=,+/0123456789argonidvmtpkeyAZaz-_ \u{0}é".utf8)

    static func mutate(_ input: [UInt8], _ random: inout SplitMix64) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<7, using: &random) {
            case 0 where !bytes.isEmpty:
                bytes[position] = alphabet.randomElement(using: &random) ?? 0
            case 1:
                bytes.insert(alphabet.randomElement(using: &random) ?? 0, at: position)
            case 2 where !bytes.isEmpty:
                bytes.remove(at: position)
            case 3:
                bytes = Array(bytes[0..<position])
            case 4 where !bytes.isEmpty:
                bytes[position] = UInt8.random(in: 0...255, using: &random)
            case 5:
                let digits = Array(
                    String(
                        UInt64.random(in: 0...UInt64.max, using: &random)
                            >> Int.random(
                                in: 0...63, using: &random)
                    ).utf8)
                bytes.insert(contentsOf: digits, at: position)
            default:
                let end = min(bytes.count, position + Int.random(in: 0...20, using: &random))
                bytes.insert(contentsOf: bytes[position..<end], at: position)
            }
        }
        return bytes
    }

    @Test("100,000 mutated PHC strings parse or fail with a typed error; parsed ones round-trip")
    func mutatedStrings() throws {
        var random = SplitMix64(state: 0x5EED)
        let hasher = Argon2Hasher(maxConcurrent: 1, maxMemoryKiB: 64)
        var parsedCount = 0
        var failures: [PHCString.ParseError] = []
        for round in 0..<100_000 {
            let seed = Array(Self.seeds[round % Self.seeds.count].utf8)
            let text = String(decoding: Self.mutate(seed, &random), as: UTF8.self)
            do {
                let phc = try PHCString(parsing: text)
                parsedCount += 1
                let reparsed = try PHCString(parsing: phc.description)
                #expect(reparsed == phc)
                // Verifying must either compute (small memory) or refuse with a typed error.
                if round % 50 == 0 {
                    do {
                        _ = try phc.verify(password: [1], using: hasher)
                    } catch {
                        #expect(error == .memoryLimitExceeded(kibibytes: phc.parameters.memoryKiB, limit: 64))
                    }
                }
            } catch {
                if failures.count < 5 { failures.append(error) }
            }
        }
        #expect(parsedCount > 100)
        #expect(parsedCount < 100_000)
    }

    @Test("random bytes never parse as a PHC string")
    func randomBytes() {
        var random = SplitMix64(state: 42)
        for _ in 0..<20_000 {
            let count = Int.random(in: 0..<200, using: &random)
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
            #expect(PHCString(String(decoding: bytes, as: UTF8.self)) == nil)
        }
    }

    @Test("out-of-range parameters give typed errors; in-range ones hash")
    func randomParameters() {
        var random = SplitMix64(state: 7)
        let edges = [
            Int.min, -1, 0, 1, 3, 4, 7, 8, 9, 15, 16, 64, 0xFF_FFFF, 1 << 24, Int(UInt32.max), 1 << 32, Int.max,
        ]
        let hasher = Argon2Hasher(maxConcurrent: 1, maxMemoryKiB: 256)
        var hashed = 0
        for _ in 0..<5_000 {
            func pick() -> Int {
                Bool.random(using: &random)
                    ? edges.randomElement(using: &random) ?? 0
                    : Int.random(in: -10...300, using: &random)
            }
            let parameters = Argon2.Parameters(
                variant: Argon2.Variant.allCases.randomElement(using: &random) ?? .id,
                memoryKiB: pick(), iterations: min(pick(), 3), parallelism: pick(), tagLength: pick())
            let inRange =
                (4...Int(UInt32.max)).contains(parameters.tagLength)
                && (1...Int(UInt32.max)).contains(parameters.iterations)
                && (1...0xFF_FFFF).contains(parameters.parallelism)
                && parameters.memoryKiB >= 8 * parameters.parallelism && parameters.memoryKiB <= Int(UInt32.max)
            do {
                try parameters.validate()
                #expect(inRange)
                if parameters.memoryKiB <= 256 && parameters.tagLength <= 1024 {
                    let tag = try hasher.hash(password: [], salt: [1, 2, 3, 4, 5, 6, 7, 8], parameters: parameters)
                    #expect(tag.count == parameters.tagLength)
                    hashed += 1
                }
            } catch {
                #expect(!inRange || parameters.memoryKiB > 256)
            }
        }
        #expect(hashed > 10)
    }
}
