import Testing

@testable import Argon2

@Suite("PHC strings")
struct PHCStringTests {
    /// Made by argon2-cffi (libargon2) for password "password".
    static let referenceStrings = [
        "$argon2id$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo",
        "$argon2d$v=16$m=64,t=2,p=2$c29tZXNhbHRzb21lc2FsdA$ZC+jBaGCRf7E67HHffFf87IPpkExW4SE",
        "$argon2i$v=16$m=64,t=2,p=2$c29tZXNhbHRzb21lc2FsdA$FrkXSO29tn3gEluncBxpd9JMs7djV3ee",
        "$argon2id$v=16$m=64,t=2,p=2$c29tZXNhbHRzb21lc2FsdA$t0SGaDSUZwxRdX3osXsgNf/DU2mkG1uD",
    ]

    @Test("strings made by libargon2 parse, print back identically and verify", arguments: referenceStrings)
    func referenceString(_ text: String) throws {
        let phc = try PHCString(parsing: text)
        #expect(phc.description == text)
        #expect(try phc.verify(password: Array("password".utf8)))
        #expect(try !phc.verify(password: Array("Password".utf8)))
    }

    @Test("make, print, parse and verify round trip with keyid, data and a secret")
    func roundTrip() throws {
        let hasher = Argon2Hasher(maxConcurrent: 1)
        let parameters = Argon2.Parameters(memoryKiB: 256, iterations: 2, parallelism: 1)
        let phc = try PHCString.make(
            password: Array("correct horse".utf8), salt: Array("0123456789abcdef".utf8), parameters: parameters,
            secret: [7, 7, 7], keyID: [0, 1], associatedData: [42, 43, 44], using: hasher)
        let text = phc.description
        #expect(text.hasPrefix("$argon2id$v=19$m=256,t=2,p=1,keyid=AAE,data=Kiss$MDEyMzQ1Njc4OWFiY2RlZg$"))
        let parsed = try PHCString(parsing: text)
        #expect(parsed == phc)
        #expect(parsed.keyID == [0, 1])
        #expect(try parsed.verify(password: Array("correct horse".utf8), secret: [7, 7, 7], using: hasher))
        #expect(try !parsed.verify(password: Array("correct horse".utf8), secret: [7, 7, 8]))
        #expect(try !parsed.verify(password: Array("correct horse".utf8)))
        #expect(!parsed.needsRehash(for: parameters))
        #expect(parsed.needsRehash(for: .owaspMinimum))
    }

    @Test("a string without v= is version 0x10")
    func missingVersion() throws {
        let phc = try PHCString(
            parsing: "$argon2i$m=64,t=2,p=2$c29tZXNhbHRzb21lc2FsdA$FrkXSO29tn3gEluncBxpd9JMs7djV3ee")
        #expect(phc.parameters.version == .v10)
        #expect(try phc.verify(password: Array("password".utf8)))
    }

    static let malformed: [(String, PHCString.ParseError)] = [
        ("", .malformed),
        ("argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ$AAAAAA", .malformed),
        ("$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ$AAAAAA$", .malformed),
        ("$argon2x$v=19$m=64,t=2,p=1$c29tZXNhbHQ$AAAAAA", .unknownAlgorithm("argon2x")),
        ("$argon2id$v=18$m=64,t=2,p=1$c29tZXNhbHQ$AAAAAA", .unsupportedVersion(18)),
        ("$argon2id$v=019$m=64,t=2,p=1$c29tZXNhbHQ$AAAAAA", .invalidNumber(.version)),
        ("$argon2id$x=19$m=64,t=2,p=1$c29tZXNhbHQ$AAAAAA", .invalidField(.version)),
        ("$argon2id$v=19$t=2,m=64,p=1$c29tZXNhbHQ$AAAAAA", .invalidField(.memory)),
        ("$argon2id$v=19$m=64,t=2$c29tZXNhbHQ$AAAAAA", .invalidField(.parallelism)),
        ("$argon2id$v=19$m=64,t=-2,p=1$c29tZXNhbHQ$AAAAAA", .invalidNumber(.iterations)),
        ("$argon2id$v=19$m=64,t=2,p=+1$c29tZXNhbHQ$AAAAAA", .invalidNumber(.parallelism)),
        ("$argon2id$v=19$m=99999999999,t=2,p=1$c29tZXNhbHQ$AAAAAA", .invalidNumber(.memory)),
        ("$argon2id$v=19$m=4294967296,t=2,p=1$c29tZXNhbHQ$AAAAAA", .invalidNumber(.memory)),
        ("$argon2id$v=19$m=64,t=0,p=1$c29tZXNhbHQ$AAAAAA", .invalidParameters(.iterationsOutOfRange(0))),
        (
            "$argon2id$v=19$m=7,t=1,p=1$c29tZXNhbHQ$AAAAAA",
            .invalidParameters(.memoryOutOfRange(kibibytes: 7, parallelism: 1))
        ),
        ("$argon2id$v=19$m=64,t=2,p=1,data=AA,keyid=AA$c29tZXNhbHQ$AAAAAA", .invalidField(.keyID)),
        ("$argon2id$v=19$m=64,t=2,p=1,keyid=$c29tZXNhbHQ$AAAAAA", .invalidBase64(.keyID)),
        ("$argon2id$v=19$m=64,t=2,p=1,keyid=AAAAAAAAAAAA$c29tZXNhbHQ$AAAAAA", .fieldTooLong(.keyID)),
        ("$argon2id$v=19$m=64,t=2,p=1,foo=1$c29tZXNhbHQ$AAAAAA", .invalidField(.keyID)),
        ("$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ=$AAAAAA", .invalidBase64(.salt)),
        ("$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHR$AAAAAA", .invalidBase64(.salt)),
        ("$argon2id$v=19$m=64,t=2,p=1$$AAAAAA", .invalidBase64(.salt)),
        ("$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ$A", .invalidBase64(.hash)),
        ("$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ$AAA", .invalidParameters(.tagLengthOutOfRange(2))),
        ("$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ$AA-AAA", .invalidBase64(.hash)),
    ]

    @Test("malformed strings are typed errors", arguments: malformed)
    func rejectsMalformed(_ example: (String, PHCString.ParseError)) {
        #expect(throws: example.1) { try PHCString(parsing: example.0) }
        #expect(PHCString(example.0) == nil)
    }

    @Test("over-long input is refused before parsing")
    func tooLong() {
        let text = "$argon2id$v=19$m=64,t=2,p=1$" + String(repeating: "A", count: 5000) + "$AAAAAA"
        #expect(throws: PHCString.ParseError.tooLong(text.utf8.count)) { try PHCString(parsing: text) }
    }

    @Test("B64 decodes only canonical text")
    func base64() {
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 37 + 11) }
            let encoded = Base64.encode(bytes)
            #expect(!encoded.contains("="))
            #expect(Base64.decode(Substring(encoded).utf8) == bytes)
        }
        #expect(Base64.decode(Substring("AB").utf8) == nil)
        #expect(Base64.decode(Substring("AA").utf8) == [0])
    }

}
