import Foundation
import Testing

@testable import WebAuthn

func bytes(_ hex: String) -> [UInt8] {
    var out: [UInt8] = []
    var chars = Array(hex.utf8).makeIterator()
    func nibble(_ c: UInt8) -> UInt8 { c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x61 + 10 }
    while let hi = chars.next(), let lo = chars.next() { out.append(nibble(hi) << 4 | nibble(lo)) }
    return out
}

func text(_ s: String) -> CBORValue { .text(s) }
func int(_ n: Int64) -> CBORValue { n >= 0 ? .unsigned(UInt64(n)) : .negative(UInt64(-(n + 1))) }
func map(_ pairs: [(CBORValue, CBORValue)]) -> CBORValue { .map(pairs.map { CBORMapEntry(key: $0.0, value: $0.1) }) }

@Suite("CBOR: RFC 8949 Appendix A")
struct CBORAppendixATests {
    static let definite: [(String, CBORValue)] = [
        ("00", .unsigned(0)), ("01", .unsigned(1)), ("0a", .unsigned(10)), ("17", .unsigned(23)),
        ("1818", .unsigned(24)), ("1819", .unsigned(25)), ("1864", .unsigned(100)), ("1903e8", .unsigned(1000)),
        ("1a000f4240", .unsigned(1_000_000)), ("1b000000e8d4a51000", .unsigned(1_000_000_000_000)),
        ("1bffffffffffffffff", .unsigned(UInt64.max)),
        ("c249010000000000000000", .tagged(2, .bytes(bytes("010000000000000000")))),
        ("3bffffffffffffffff", .negative(UInt64.max)),
        ("c349010000000000000000", .tagged(3, .bytes(bytes("010000000000000000")))),
        ("20", int(-1)), ("29", int(-10)), ("3863", int(-100)), ("3903e7", int(-1000)),
        ("f90000", .float(0.0)), ("f93c00", .float(1.0)), ("fb3ff199999999999a", .float(1.1)),
        ("f93e00", .float(1.5)), ("f97bff", .float(65504.0)), ("fa47c35000", .float(100000.0)),
        ("fa7f7fffff", .float(3.4028234663852886e+38)), ("fb7e37e43c8800759c", .float(1.0e+300)),
        ("f90001", .float(5.960464477539063e-8)), ("f90400", .float(0.00006103515625)), ("f9c400", .float(-4.0)),
        ("fbc010666666666666", .float(-4.1)), ("f97c00", .float(.infinity)), ("f9fc00", .float(-.infinity)),
        ("fa7f800000", .float(.infinity)), ("faff800000", .float(-.infinity)),
        ("fb7ff0000000000000", .float(.infinity)), ("fbfff0000000000000", .float(-.infinity)),
        ("f4", .bool(false)), ("f5", .bool(true)), ("f6", .null), ("f7", .undefined), ("f0", .simple(16)),
        ("f8ff", .simple(255)),
        ("c074323031332d30332d32315432303a30343a30305a", .tagged(0, text("2013-03-21T20:04:00Z"))),
        ("c11a514b67b0", .tagged(1, .unsigned(1_363_896_240))),
        ("c1fb41d452d9ec200000", .tagged(1, .float(1_363_896_240.5))),
        ("d74401020304", .tagged(23, .bytes([1, 2, 3, 4]))),
        ("d818456449455446", .tagged(24, .bytes(bytes("6449455446")))),
        ("d82076687474703a2f2f7777772e6578616d706c652e636f6d", .tagged(32, text("http://www.example.com"))),
        ("40", .bytes([])), ("4401020304", .bytes([1, 2, 3, 4])), ("60", text("")), ("6161", text("a")),
        ("6449455446", text("IETF")), ("62225c", text("\"\\")), ("62c3bc", text("\u{00fc}")),
        ("63e6b0b4", text("\u{6c34}")), ("64f0908591", text("\u{10151}")),
        ("80", .array([])), ("83010203", .array([int(1), int(2), int(3)])),
        ("8301820203820405", .array([int(1), .array([int(2), int(3)]), .array([int(4), int(5)])])),
        ("98190102030405060708090a0b0c0d0e0f101112131415161718181819", .array((1...25).map { int(Int64($0)) })),
        ("a0", map([])), ("a201020304", map([(int(1), int(2)), (int(3), int(4))])),
        ("a26161016162820203", map([(text("a"), int(1)), (text("b"), .array([int(2), int(3)]))])),
        ("826161a161626163", .array([text("a"), map([(text("b"), text("c"))])])),
        (
            "a56161614161626142616361436164614461656145",
            map([
                (text("a"), text("A")), (text("b"), text("B")), (text("c"), text("C")), (text("d"), text("D")),
                (text("e"), text("E")),
            ])
        ),
    ]

    static let negativeZero = "f98000"
    static let nans = ["f97e00", "fa7fc00000", "fb7ff8000000000000"]

    static let indefinite = [
        "5f42010243030405ff", "7f657374726561646d696e67ff", "9fff", "9f018202039f0405ffff", "9f01820203820405ff",
        "83018202039f0405ff", "83019f0203ff820405", "9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff",
        "bf61610161629f0203ffff", "826161bf61626163ff", "bf6346756ef563416d7421ff",
    ]

    @Test("definite-length examples decode to their values", arguments: definite.indices)
    func definiteExample(_ index: Int) throws {
        let (hex, expected) = Self.definite[index]
        #expect(try CBORDecoder().decode(bytes(hex)) == expected, "\(hex)")
    }

    @Test func negativeZeroAndNaN() throws {
        guard case .float(let z) = try CBORDecoder().decode(bytes(Self.negativeZero)) else {
            Issue.record("not a float"); return
        }
        #expect(z == 0 && z.sign == .minus)
        for hex in Self.nans {
            guard case .float(let n) = try CBORDecoder().decode(bytes(hex)) else {
                Issue.record("not a float"); continue
            }
            #expect(n.isNaN, "\(hex)")
        }
    }

    @Test("indefinite-length examples are refused", arguments: indefinite)
    func indefiniteExample(_ hex: String) {
        #expect(throws: CBORError.indefiniteLength) { try CBORDecoder().decode(bytes(hex)) }
    }

    @Test func examplesCountMatchesAppendix() {
        // Appendix A lists 70 definite-length encodings (-0.0 and the 3 NaNs checked separately) and 11 indefinite ones.
        #expect(Self.definite.count + 1 + Self.nans.count == 70)
        #expect(Self.indefinite.count == 11)
    }
}

@Suite("CBOR: strictness")
struct CBORStrictnessTests {
    @Test func nonCanonicalIntegersAndLengthsAreRefused() {
        for hex in [
            "1817", "190017", "1900ff", "1a0000ffff", "1b00000000ffffffff", "3817", "5801ff", "780161",
            "9800", "b800", "d81700",
        ] {
            #expect(throws: CBORError.nonCanonicalInteger, "\(hex)") { try CBORDecoder().decode(bytes(hex)) }
        }
    }

    @Test func duplicateMapKeysAreRefused() throws {
        #expect(throws: CBORError.duplicateMapKey) { try CBORDecoder().decode(bytes("a201020103")) }
        #expect(throws: CBORError.duplicateMapKey) { try CBORDecoder().decode(bytes("a2616101616102")) }
        // Equal-looking keys of different types are distinct.
        #expect(try CBORDecoder().decode(bytes("a20102613102")) == map([(int(1), int(2)), (text("1"), int(2))]))
    }

    @Test func trailingBytesTruncationAndReservedValues() {
        #expect(throws: CBORError.trailingBytes) { try CBORDecoder().decode(bytes("0000")) }
        #expect(throws: CBORError.truncated) { try CBORDecoder().decode([]) }
        #expect(throws: CBORError.truncated) { try CBORDecoder().decode(bytes("19")) }
        #expect(throws: CBORError.lengthExceedsInput) { try CBORDecoder().decode(bytes("4401")) }
        #expect(throws: CBORError.lengthExceedsInput) { try CBORDecoder().decode(bytes("9bffffffffffffffff")) }
        #expect(throws: CBORError.reservedAdditionalInfo) { try CBORDecoder().decode(bytes("1c")) }
        #expect(throws: CBORError.invalidSimpleValue) { try CBORDecoder().decode(bytes("f818")) }
        #expect(throws: CBORError.indefiniteLength) { try CBORDecoder().decode(bytes("ff")) }
        #expect(throws: CBORError.invalidUTF8) { try CBORDecoder().decode(bytes("62c328")) }
        #expect(throws: CBORError.invalidUTF8) { try CBORDecoder().decode(bytes("63eda080")) }  // a lone surrogate
    }

    @Test func depthAndSizeAreBounded() {
        let deep = [UInt8](repeating: 0x81, count: 16) + [0x00]
        #expect(throws: CBORError.depthExceeded) { try CBORDecoder(maxDepth: 16).decode(deep) }
        #expect((try? CBORDecoder(maxDepth: 17).decode(deep)) != nil)
        let tags = [UInt8](repeating: 0xC6, count: 40) + [0x00]
        #expect(throws: CBORError.depthExceeded) { try CBORDecoder().decode(tags) }
        #expect(throws: CBORError.inputTooLarge) {
            try CBORDecoder(maxInputSize: 8).decode([UInt8](repeating: 0, count: 9))
        }
    }

    @Test func decodePrefixStopsAfterOneItem() throws {
        let (value, end) = try CBORDecoder().decodePrefix(bytes("a1010200ff"), from: 0)
        #expect(value == map([(int(1), int(2))]))
        #expect(end == 3)
    }

    @Test func encoderRoundTrips() throws {
        for (hex, value) in CBORAppendixATests.definite {
            if case .float = value { continue }
            if case .tagged(_, .float) = value { continue }
            #expect(CBOREncoder.encode(value) == bytes(hex), "\(hex)")
        }
    }
}

/// A deterministic generator (SplitMix64) so a fuzz failure can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func containsFloat(_ value: CBORValue) -> Bool {
    switch value {
    case .float: return true
    case .array(let items): return items.contains(where: containsFloat)
    case .map(let entries): return entries.contains { containsFloat($0.key) || containsFloat($0.value) }
    case .tagged(_, let inner): return containsFloat(inner)
    default: return false
    }
}

@Suite("CBOR: fuzz")
struct CBORFuzzTests {
    static let iterations = 100_000

    @Test func randomAndMutatedInputsNeverCrashAndStayBounded() throws {
        var rng = SplitMix64(state: 0x6761_7465_686F_7573)
        var seeds: [[UInt8]] =
            CBORAppendixATests.definite.map { bytes($0.0) } + CBORAppendixATests.indefinite.map { bytes($0) }
        seeds.append(contentsOf: try SoftAuthenticator.sampleCBOR())
        let decoder = CBORDecoder()
        var decoded = 0, refused = 0, roundTrips = 0
        let clock = ContinuousClock()
        let start = clock.now
        for i in 0..<Self.iterations {
            var input: [UInt8]
            if i % 4 == 0 {
                input = (0..<Int.random(in: 0...48, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            } else {
                input = seeds[Int.random(in: 0..<seeds.count, using: &rng)]
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    switch Int.random(in: 0..<5, using: &rng) {
                    case 0 where !input.isEmpty:  // flip a bit
                        input[Int.random(in: 0..<input.count, using: &rng)] ^= 1 << UInt8.random(in: 0...7, using: &rng)
                    case 1 where !input.isEmpty:  // replace a byte
                        input[Int.random(in: 0..<input.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                    case 2:  // insert a byte
                        input.insert(
                            UInt8.random(in: 0...255, using: &rng), at: Int.random(in: 0...input.count, using: &rng))
                    case 3 where !input.isEmpty:  // delete a byte
                        input.remove(at: Int.random(in: 0..<input.count, using: &rng))
                    default:  // truncate
                        input = Array(input.prefix(Int.random(in: 0...input.count, using: &rng)))
                    }
                }
            }
            do {
                let value = try decoder.decode(input)
                decoded += 1
                // Strict decoding plus shortest-form encoding is the identity (floats aside: the encoder widens them).
                if !containsFloat(value) {
                    #expect(CBOREncoder.encode(value) == input)
                    roundTrips += 1
                }
            } catch {
                refused += 1
            }
            // The same bytes through the parsers built on the decoder: they must refuse or accept, never trap.
            _ = try? AuthenticatorData(bytes: input)
            _ = try? COSEPublicKey(cose: input)
            _ = try? CollectedClientData(json: input)
        }
        let elapsed = clock.now - start
        #expect(decoded + refused == Self.iterations)
        #expect(decoded > 1000 && refused > 1000)
        #expect(elapsed < .seconds(120), "fuzz loop took \(elapsed)")
        print(
            "CBOR fuzz: \(Self.iterations) inputs, \(decoded) decoded (\(roundTrips) round-tripped), \(refused) refused, \(elapsed)"
        )
    }
}
