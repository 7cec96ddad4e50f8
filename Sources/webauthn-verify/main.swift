// webauthn-verify: drives the WebAuthn module from JSON lines for differential tests, and benchmarks it.
//
//   webauthn-verify            reads one case per line on stdin, writes one result line per case:
//                              {"kind": "registration"|"authentication", "challenge": b64url, "origins": [..],
//                               "rpId": "..", "requireUV": bool, "allowCrossOrigin": bool, "topOrigins": [..],
//                               "attestationRoots": [b64url DER certificates],
//                               "response": {RegistrationResponseJSON | AuthenticationResponseJSON},
//                               "publicKey": b64url COSE key, "signCount": n}      (the last two for authentication)
//                              -> "ok key=value ..." | "refused <reason>" | "error <what>" (unreadable case)
//   webauthn-verify --bench N  times N ES256 assertion verifications through the module against swift-crypto's bare
//                              P256 isValidSignature on the same data.
import Crypto
import Foundation
import WebAuthn

struct Case: Decodable {
    var kind: String
    var challenge: String
    var origins: [String]
    var rpId: String
    var requireUV: Bool?
    var allowCrossOrigin: Bool?
    var topOrigins: [String]?
    var attestationRoots: [String]?
    var response: Response
    var publicKey: String?
    var signCount: UInt32?

    enum Response: Decodable {
        case registration(RegistrationResponseJSON)
        case authentication(AuthenticationResponseJSON)

        init(from decoder: any Decoder) throws {
            if let r = try? RegistrationResponseJSON(from: decoder) {
                self = .registration(r)
            } else {
                self = .authentication(try AuthenticationResponseJSON(from: decoder))
            }
        }
    }
}

func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
func bit(_ b: Bool) -> String { b ? "1" : "0" }

func run(_ c: Case) -> String {
    let rp = WebAuthnRelyingParty(
        id: c.rpId, name: "test", origins: c.origins, allowCrossOrigin: c.allowCrossOrigin ?? false,
        allowedTopOrigins: c.topOrigins ?? [],
        attestationRootCertificates: (c.attestationRoots ?? []).compactMap(Base64URL.decode))
    guard let challenge = Base64URL.decode(c.challenge) else { return "error challenge" }
    do {
        switch (c.kind, c.response) {
        case ("registration", .registration(let response)):
            let r = try rp.verifyRegistration(
                response: response, expectedChallenge: challenge, requireUserVerification: c.requireUV ?? false)
            return
                "ok cred=\(Base64URL.encode(r.credentialId)) pk=\(Base64URL.encode(r.publicKey)) count=\(r.signCount)"
                + " alg=\(r.algorithm.rawValue) uv=\(bit(r.userVerified)) be=\(bit(r.backupEligible)) bs=\(bit(r.backupState))"
                + " aaguid=\(hex(r.aaguid)) fmt=\(r.attestation.format) trust=\(r.attestation.trust.rawValue)"
                + " transports=\(r.transports.joined(separator: ","))"
        case ("authentication", .authentication(let response)):
            guard let pk = c.publicKey.flatMap(Base64URL.decode) else { return "error publicKey" }
            let r = try rp.verifyAssertion(
                response: response, expectedChallenge: challenge, storedPublicKey: pk,
                storedSignCount: c.signCount ?? 0,
                requireUserVerification: c.requireUV ?? false)
            return "ok count=\(r.newSignCount) clone=\(bit(r.possibleClone)) uv=\(bit(r.userVerified))"
                + " be=\(bit(r.backupEligible)) bs=\(bit(r.backupState))"
                + " user=\(r.userHandle.map { Base64URL.encode($0) } ?? "-")"
        default:
            return "error kind"
        }
    } catch {
        return "refused \(error.code)"
    }
}

func serve() {
    let decoder = JSONDecoder()
    while let line = readLine(strippingNewline: true) {
        if line.isEmpty { continue }
        let result: String
        do { result = run(try decoder.decode(Case.self, from: Data(line.utf8))) } catch { result = "error json" }
        print(result)
    }
}

/// Times `body` over `iterations` runs and returns nanoseconds per run.
func measure(_ iterations: Int, _ body: () -> Bool) -> Double {
    let clock = ContinuousClock()
    var okCount = 0
    let elapsed = clock.measure {
        for _ in 0..<iterations where body() { okCount += 1 }
    }
    precondition(okCount == iterations, "verification failed during the benchmark")
    let c = elapsed.components
    return (Double(c.seconds) * 1e9 + Double(c.attoseconds) / 1e9) / Double(iterations)
}

func bench(iterations: Int) {
    let rpId = "bench.example"
    let origin = "https://bench.example"
    let privateKey = P256.Signing.PrivateKey()
    let raw = Array(privateKey.publicKey.x963Representation)
    let cose = CBOREncoder.encode(
        .map([
            CBORMapEntry(key: .unsigned(1), value: .unsigned(2)),
            CBORMapEntry(key: .unsigned(3), value: .negative(6)),
            CBORMapEntry(key: .negative(0), value: .unsigned(1)),
            CBORMapEntry(key: .negative(1), value: .bytes(Array(raw[1..<33]))),
            CBORMapEntry(key: .negative(2), value: .bytes(Array(raw[33..<65]))),
        ]))
    let challenge = WebAuthnRelyingParty.makeChallenge()
    let clientData = Array(
        "{\"type\":\"webauthn.get\",\"challenge\":\"\(Base64URL.encode(challenge))\",\"origin\":\"\(origin)\",\"crossOrigin\":false}"
            .utf8)
    let authData = Array(SHA256.hash(data: Array(rpId.utf8))) + [0x05, 0, 0, 0, 7]
    let signed = authData + Array(SHA256.hash(data: clientData))
    guard let signature = try? privateKey.signature(for: signed) else { fatalError("signing failed") }
    let der = Array(signature.derRepresentation)
    let credentialId = Base64URL.encode([UInt8](repeating: 7, count: 16))
    let response = AuthenticationResponseJSON(
        id: credentialId, rawId: credentialId,
        response: AuthenticatorAssertionResponseJSON(
            clientDataJSON: Base64URL.encode(clientData), authenticatorData: Base64URL.encode(authData),
            signature: Base64URL.encode(der)))
    let rp = WebAuthnRelyingParty(id: rpId, name: "bench", origins: [origin])
    let publicKey = privateKey.publicKey

    func module() -> Bool {
        (try? rp.verifyAssertion(
            response: response, expectedChallenge: challenge, storedPublicKey: cose, storedSignCount: 6,
            requireUserVerification: true)) != nil
    }
    func bare() -> Bool { publicKey.isValidSignature(signature, for: signed) }
    func bareWithParsing() -> Bool {
        guard let k = try? P256.Signing.PublicKey(x963Representation: raw),
            let s = try? P256.Signing.ECDSASignature(derRepresentation: der)
        else { return false }
        return k.isValidSignature(s, for: signed)
    }

    // Warm up, then interleave rounds so drift from other load on the machine hits both sides alike.
    _ = measure(max(iterations / 10, 1), module)
    _ = measure(max(iterations / 10, 1), bare)
    var moduleTimes: [Double] = [], bareTimes: [Double] = [], parsedTimes: [Double] = []
    var ratios: [Double] = [], parsedRatios: [Double] = []
    let rounds = 15
    let perRound = max(iterations / rounds, 1)
    for _ in 0..<rounds {
        let m = measure(perRound, module), b = measure(perRound, bare), p = measure(perRound, bareWithParsing)
        moduleTimes.append(m)
        bareTimes.append(b)
        parsedTimes.append(p)
        ratios.append(m / b)
        parsedRatios.append(m / p)
    }
    func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
    print("ES256 assertion, \(perRound * rounds) verifications each, \(rounds) interleaved rounds, medians:")
    print(String(format: "  module verifyAssertion:                  %8.1f us", median(moduleTimes) / 1000))
    print(String(format: "  bare P256 isValidSignature:              %8.1f us", median(bareTimes) / 1000))
    print(String(format: "  bare + key and DER signature parsing:    %8.1f us", median(parsedTimes) / 1000))
    print(
        String(
            format: "  ratio module / bare (median of per-round ratios): %.2f   module / bare+parsing: %.2f",
            median(ratios), median(parsedRatios)))
}

let arguments = CommandLine.arguments
if arguments.count >= 2, arguments[1] == "--bench" {
    bench(iterations: arguments.count >= 3 ? Int(arguments[2]) ?? 20_000 : 20_000)
} else {
    serve()
}
