import Crypto
import Foundation
import Testing

@testable import WebAuthn

let rp = WebAuthnRelyingParty(id: "example.test", name: "Example", origins: ["https://example.test"])
let challenge: [UInt8] = Array(repeating: 0x42, count: 32)

func refusal<T>(_ body: () throws(WebAuthnError) -> T) -> WebAuthnError? {
    do { _ = try body(); return nil } catch { return error }
}

@Suite("Registration")
struct RegistrationTests {
    @Test(
        "accepts none and packed self attestation for each algorithm",
        arguments: [COSEAlgorithm.es256, .edDSA, .rs256], ["none", "packed"])
    func accepts(_ alg: COSEAlgorithm, _ format: String) throws {
        let a = try SoftAuthenticator(alg)
        var r = SoftAuthenticator.Registration(challenge: challenge)
        r.format = format
        r.flags = 0x5D  // UP UV BE BS AT
        r.count = 7
        let v = try rp.verifyRegistration(response: try a.register(r), expectedChallenge: challenge)
        #expect(v.credentialId == a.credentialId)
        #expect(v.publicKey == (try a.coseKey()))
        #expect(v.algorithm == alg)
        #expect(v.signCount == 7)
        #expect(v.backupEligible && v.backupState && v.userVerified)
        #expect(v.aaguid == SoftAuthenticator.aaguid)
        #expect(v.transports == ["internal"])
        #expect(v.attestation.trust == (format == "none" ? .none : .selfAttestation))
    }

    @Test func refusalsAreTyped() throws {
        let a = try SoftAuthenticator(.es256)
        func check(
            _ expected: WebAuthnError, requireUV: Bool = true, _ edit: (inout SoftAuthenticator.Registration) -> Void
        ) throws {
            var r = SoftAuthenticator.Registration(challenge: challenge)
            edit(&r)
            let response = try a.register(r)
            #expect(
                refusal { () throws(WebAuthnError) in
                    try rp.verifyRegistration(
                        response: response, expectedChallenge: challenge, requireUserVerification: requireUV)
                } == expected)
        }
        try check(.challengeMismatch) { $0.challenge = Array(repeating: 0x43, count: 32) }
        try check(.originMismatch) { $0.origin = "https://example.test.evil" }
        try check(.clientDataTypeMismatch) { $0.type = "webauthn.get" }
        try check(.rpIdHashMismatch) { $0.rpId = "evil.test" }
        try check(.userNotPresent) { $0.flags = 0x44 }
        try check(.userNotVerified) { $0.flags = 0x41 }
        try check(.invalidBackupFlags) { $0.flags = 0x55 }
        try check(.badSignature) { $0.tamperSignature = true }
        try check(.invalidAttestationStatement("self attestation alg does not match the credential key")) {
            $0.statementAlg = -257
        }
        try check(.unsupportedAttestationFormat("tpm")) { $0.format = "tpm" }
        try check(.crossOriginNotAllowed) { $0.clientExtra = ",\"crossOrigin\":true,\"topOrigin\":\"https://a.test\"" }
        try check(.topOriginMismatch) { $0.clientExtra = ",\"topOrigin\":\"https://a.test\"" }
        try check(.malformedClientData("duplicate key origin")) {
            $0.clientExtra = ",\"origin\":\"https://example.test\""
        }
        try check(.malformedClientData("crossOrigin is not a boolean")) { $0.clientExtra = ",\"crossOrigin\":1" }
        // UV not required: accepted without it.
        var r = SoftAuthenticator.Registration(challenge: challenge)
        r.flags = 0x41
        #expect(
            try rp.verifyRegistration(
                response: try a.register(r), expectedChallenge: challenge,
                requireUserVerification: false
            ).userVerified == false)
    }

    @Test func crossOriginNeedsConfigurationAndAnAllowedTopOrigin() throws {
        let a = try SoftAuthenticator(.es256)
        var r = SoftAuthenticator.Registration(challenge: challenge)
        r.clientExtra = ",\"crossOrigin\":true,\"topOrigin\":\"https://top.test\""
        let response = try a.register(r)
        var open = rp
        open.allowCrossOrigin = true
        #expect(
            refusal { () throws(WebAuthnError) in
                try open.verifyRegistration(response: response, expectedChallenge: challenge)
            }
                == .topOriginMismatch)
        open.allowedTopOrigins = ["https://top.test"]
        #expect(
            try open.verifyRegistration(response: response, expectedChallenge: challenge).credentialId == a.credentialId
        )
    }

    @Test func rsaKeysUnder2048BitsAreRefused() throws {
        let a = try SoftAuthenticator(.rs256, rsaBits: 1024)
        let response = try a.register(SoftAuthenticator.Registration(challenge: challenge))
        #expect(
            refusal { () throws(WebAuthnError) in
                try rp.verifyRegistration(response: response, expectedChallenge: challenge)
            }
                == .rsaKeyTooSmall(bits: 1024))
    }

    @Test func algorithmsOutsideTheRelyingPartysListAreRefused() throws {
        let a = try SoftAuthenticator(.edDSA)
        let response = try a.register(SoftAuthenticator.Registration(challenge: challenge))
        var es256Only = rp
        es256Only.acceptedAlgorithms = [.es256]
        #expect(
            refusal { () throws(WebAuthnError) in
                try es256Only.verifyRegistration(response: response, expectedChallenge: challenge)
            }
                == .unsupportedAlgorithm(-8))
    }

    @Test func idAndSizeChecks() throws {
        let a = try SoftAuthenticator(.es256)
        var response = try a.register(SoftAuthenticator.Registration(challenge: challenge))
        var other = response
        other.id = Base64URL.encode([1, 2, 3])
        other.rawId = other.id
        #expect(
            refusal { () throws(WebAuthnError) in
                try rp.verifyRegistration(response: other, expectedChallenge: challenge)
            }
                == .credentialIdMismatch)
        other = response
        other.type = "password"
        #expect(
            refusal { () throws(WebAuthnError) in
                try rp.verifyRegistration(response: other, expectedChallenge: challenge)
            }
                == .invalidCredentialType)
        response.response.clientDataJSON = Base64URL.encode([UInt8](repeating: 0x20, count: 5000))
        #expect(
            refusal { () throws(WebAuthnError) in
                try rp.verifyRegistration(response: response, expectedChallenge: challenge)
            }
                == .inputTooLarge(field: "clientDataJSON", limit: 4096))
        response.response.clientDataJSON = "not base64!"
        #expect(
            refusal { () throws(WebAuthnError) in
                try rp.verifyRegistration(response: response, expectedChallenge: challenge)
            }
                == .invalidBase64URL(field: "clientDataJSON"))
    }

    @Test func credentialIdLengthIsBounded() throws {
        let cose = try SoftAuthenticator(.es256).coseKey()
        let id = [UInt8](repeating: 1, count: 1024)
        let ad = SoftAuthenticator.authData(
            flags: 0x41, count: 0, attested: SoftAuthenticator.aaguid + [0x04, 0x00] + id + cose)
        #expect(refusal { () throws(WebAuthnError) in try AuthenticatorData(bytes: ad) } == .credentialIdTooLong)
        let ok = SoftAuthenticator.authData(
            flags: 0x41, count: 0, attested: SoftAuthenticator.aaguid + [0x03, 0xFF] + id.prefix(1023) + cose)
        #expect(try AuthenticatorData(bytes: ok).attestedCredentialData?.credentialId.count == 1023)
    }
}

@Suite("Assertion")
struct AssertionTests {
    @Test("accepts a valid assertion for each algorithm", arguments: [COSEAlgorithm.es256, .edDSA, .rs256])
    func accepts(_ alg: COSEAlgorithm) throws {
        let a = try SoftAuthenticator(alg)
        let response = try a.assert(SoftAuthenticator.Assertion(count: 5, challenge: challenge))
        #expect(try response.credentialId() == a.credentialId)
        let v = try rp.verifyAssertion(
            response: response, expectedChallenge: challenge, storedPublicKey: try a.coseKey(),
            storedSignCount: 4)
        #expect(v.credentialId == a.credentialId)
        #expect(v.newSignCount == 5)
        #expect(!v.possibleClone)
        #expect(v.userHandle == Array("user-1".utf8))
    }

    @Test func signCountRegressionIsFlaggedNotRefused() throws {
        let a = try SoftAuthenticator(.es256)
        let key = try a.coseKey()
        func verify(count: UInt32, stored: UInt32, flags: UInt8 = 0x05) throws -> VerifiedAssertion {
            let response = try a.assert(SoftAuthenticator.Assertion(flags: flags, count: count, challenge: challenge))
            return try rp.verifyAssertion(
                response: response, expectedChallenge: challenge, storedPublicKey: key, storedSignCount: stored)
        }
        #expect(try verify(count: 5, stored: 5).possibleClone)
        #expect(try verify(count: 3, stored: 5).possibleClone)
        #expect(try !verify(count: 6, stored: 5).possibleClone)
        #expect(try !verify(count: 0, stored: 0).possibleClone)  // no counter
        #expect(try !verify(count: 0, stored: 0, flags: 0x1D).possibleClone)  // synced passkey
        #expect(try !verify(count: 0, stored: 9, flags: 0x1D).possibleClone)  // synced passkey that once counted
        #expect(try verify(count: 0, stored: 9).possibleClone)  // a device-bound counter went back to 0
    }

    @Test func refusalsAreTyped() throws {
        let a = try SoftAuthenticator(.edDSA)
        let key = try a.coseKey()
        func check(
            _ expected: WebAuthnError, key storedKey: [UInt8]? = nil,
            _ edit: (inout SoftAuthenticator.Assertion) -> Void
        ) throws {
            var s = SoftAuthenticator.Assertion(challenge: challenge)
            edit(&s)
            let response = try a.assert(s)
            #expect(
                refusal { () throws(WebAuthnError) in
                    try rp.verifyAssertion(
                        response: response, expectedChallenge: challenge, storedPublicKey: storedKey ?? key,
                        storedSignCount: 0)
                } == expected)
        }
        try check(.challengeMismatch) { $0.challenge = [1] }
        try check(.originMismatch) { $0.origin = "http://example.test" }
        try check(.clientDataTypeMismatch) { $0.type = "webauthn.create" }
        try check(.rpIdHashMismatch) { $0.rpId = "other.test" }
        try check(.userNotPresent) { $0.flags = 0x04 }
        try check(.userNotVerified) { $0.flags = 0x01 }
        try check(.invalidBackupFlags) { $0.flags = 0x15 }
        try check(.badSignature, key: try SoftAuthenticator(.edDSA).coseKey()) { _ in }
        try check(.malformedPublicKey("ES256 needs kty EC2"), key: try a.coseKey(algorithm: -7)) { _ in }
        try check(.unsupportedAlgorithm(-36), key: try a.coseKey(algorithm: -36)) { _ in }
        try check(.malformedCBOR(.truncated)) { $0.flags = 0x85 }  // ED without extension data
    }

    @Test func tamperedSignatureAndClientDataAreRefused() throws {
        let a = try SoftAuthenticator(.es256)
        let key = try a.coseKey()
        var response = try a.assert(SoftAuthenticator.Assertion(challenge: challenge))
        var sig = Base64URL.decode(response.response.signature) ?? []
        sig[sig.count - 1] ^= 0x01
        var tampered = response
        tampered.response.signature = Base64URL.encode(sig)
        #expect(
            refusal { () throws(WebAuthnError) in
                try rp.verifyAssertion(
                    response: tampered, expectedChallenge: challenge, storedPublicKey: key, storedSignCount: 0)
            } == .badSignature)
        // A DER signature with a needless leading zero in r is not strict DER.
        let good = Base64URL.decode(response.response.signature) ?? []
        #expect(good.count > 8)
        response.response.clientDataJSON = Base64URL.encode(
            SoftAuthenticator.clientData("webauthn.get", challenge: challenge) + [0x20])
        #expect(
            refusal { () throws(WebAuthnError) in
                try rp.verifyAssertion(
                    response: response, expectedChallenge: challenge, storedPublicKey: key, storedSignCount: 0)
            } == .badSignature)
    }
}

@Suite("Encodings and options")
struct EncodingTests {
    @Test func base64URLIsStrict() {
        #expect(Base64URL.encode(Array("hello?>".utf8)) == "aGVsbG8_Pg")
        #expect(Base64URL.decode("aGVsbG8_Pg") == Array("hello?>".utf8))
        #expect(Base64URL.decode("") == [])
        #expect(Base64URL.decode("aGVsbG8_Pg==") == nil)  // padding
        #expect(Base64URL.decode("aGVsbG8/Pg") == nil)  // standard alphabet
        #expect(Base64URL.decode("aGVsbG8_Ph") == nil)  // non-zero unused bits
        #expect(Base64URL.decode("a") == nil)
        for n in 0..<40 {
            let data = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            #expect(Base64URL.decode(Base64URL.encode(data)) == data)
        }
    }

    @Test func clientDataJSONIsParsedStrictly() {
        func parse(_ s: String) -> WebAuthnError? {
            refusal { () throws(WebAuthnError) in try CollectedClientData(json: Array(s.utf8)) }
        }
        #expect(
            parse(#"{"type":"webauthn.get","challenge":"AA","origin":"https://a","x":[1,{"y":null}],"z":-1.5e3}"#)
                == nil)
        #expect(parse(#"{"type":"webauthn.get","challenge":"AA","origin":"https:\/\/a\u00e9\ud83d\ude00"}"#) == nil)
        #expect(parse(#"{"type":"webauthn.get","challenge":"AA"}"#) == .malformedClientData("missing origin"))
        #expect(
            parse(#"{"type":"webauthn.get","challenge":"AA","origin":"o"} x"#) == .malformedClientData("trailing bytes")
        )
        #expect(
            parse(#"{"type":"webauthn.get","challenge":"AA","origin":"o\ud800"}"#)
                == .malformedClientData("unpaired surrogate"))
        #expect(parse(#"[1]"#) == .malformedClientData("not an object"))
        #expect(parse(String(repeating: "[", count: 20)) == .malformedClientData("nesting too deep"))
        #expect(
            parse(#"{"type":"webauthn.get","challenge":"AA","origin":"o","n":01}"#)
                == .malformedClientData("expected , or }"))
    }

    @Test func optionsBuildersProduceLevel3JSON() throws {
        let options = rp.makeRegistrationOptions(
            userId: [9, 9], userName: "ada@example.test", userDisplayName: "Ada", challenge: challenge,
            excludeCredentials: [PublicKeyCredentialDescriptorJSON(id: [1, 2, 3], transports: ["internal"])])
        #expect(options.authenticatorSelection?.residentKey == "required")
        #expect(options.authenticatorSelection?.requireResidentKey == true)
        #expect(options.authenticatorSelection?.userVerification == "required")
        #expect(options.pubKeyCredParams.map(\.alg) == [-7, -8, -257])
        #expect(options.excludeCredentials.first?.id == "AQID")
        let json = try JSONEncoder().encode(options)
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect(object["challenge"] as? String == Base64URL.encode(challenge))
        #expect((object["user"] as? [String: Any])?["id"] as? String == "CQk")
        #expect(try JSONDecoder().decode(PublicKeyCredentialCreationOptionsJSON.self, from: json) == options)

        let request = rp.makeAuthenticationOptions(challenge: challenge)
        #expect(request.allowCredentials.isEmpty)
        #expect(request.userVerification == "required")
        #expect(request.rpId == "example.test")
        let requestJSON = try #require(String(data: try JSONEncoder().encode(request), encoding: .utf8))
        #expect(requestJSON.contains("\"allowCredentials\":[]"))
    }

    @Test func challengesAreFreshAndLongEnough() {
        let a = WebAuthnRelyingParty.makeChallenge(), b = WebAuthnRelyingParty.makeChallenge()
        #expect(a.count == 32 && a != b)
    }

    @Test func certificateTimesParse() throws {
        var utc = DERReader(bytes("170d3236313132393139303030305a")[...])  // 261129190000Z
        #expect(try AttestationCertificate.time(try utc.read()) == 1_795_978_800)
        var generalized = DERReader(bytes("180f32303530303130313030303030305a")[...])  // 20500101000000Z
        #expect(try AttestationCertificate.time(try generalized.read()) == 2_524_608_000)
    }
}

@Suite("Ceremony fuzz")
struct CeremonyFuzzTests {
    /// Mutated attestation objects and authenticator data through the full verification paths: never a trap, and
    /// every input that differs from the signed original is refused.
    @Test func mutatedCeremoniesNeverCrash() throws {
        var rng = SplitMix64(state: 0x7765_6261_7574_686E)
        let a = try SoftAuthenticator(.es256)
        let key = try a.coseKey()
        let registration = try a.register(SoftAuthenticator.Registration(challenge: challenge))
        let assertion = try a.assert(SoftAuthenticator.Assertion(count: 3, challenge: challenge))
        let object = try #require(Base64URL.decode(registration.response.attestationObject))
        let authData = try #require(Base64URL.decode(assertion.response.authenticatorData))
        var refused: [String: Int] = [:]
        var accepted = 0, unchanged = 0
        let iterations = 20_000
        for i in 0..<iterations {
            var input = i % 2 == 0 ? object : authData
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                guard !input.isEmpty else { break }
                let at = Int.random(in: 0..<input.count, using: &rng)
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: input[at] ^= 1 << UInt8.random(in: 0...7, using: &rng)
                case 1: input[at] = UInt8.random(in: 0...255, using: &rng)
                case 2: input.insert(UInt8.random(in: 0...255, using: &rng), at: at)
                default: input.remove(at: at)
                }
            }
            do {
                if i % 2 == 0 {
                    var r = registration
                    r.response.attestationObject = Base64URL.encode(input)
                    _ = try rp.verifyRegistration(
                        response: r, expectedChallenge: challenge, requireUserVerification: false)
                } else {
                    var r = assertion
                    r.response.authenticatorData = Base64URL.encode(input)
                    _ = try rp.verifyAssertion(
                        response: r, expectedChallenge: challenge, storedPublicKey: key,
                        storedSignCount: 0, requireUserVerification: false)
                }
                // Random edits sometimes cancel out (a byte replaced by itself, an insert then its removal).
                if input == (i % 2 == 0 ? object : authData) { unchanged += 1 } else { accepted += 1 }
            } catch {
                refused[error.code, default: 0] += 1
            }
        }
        #expect(accepted == 0)
        #expect(refused.values.reduce(0, +) + unchanged == iterations)
        print(
            "ceremony fuzz: \(iterations) inputs, \(unchanged) unchanged by their edits and accepted, the rest refused:",
            refused.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
    }
}
