import Crypto
import Foundation
import _CryptoExtras

@testable import WebAuthn

/// A software authenticator for the unit tests: makes keys, authenticator data, attestation objects and assertions.
struct SoftAuthenticator {
    enum Signer {
        case p256(P256.Signing.PrivateKey)
        case ed25519(Curve25519.Signing.PrivateKey)
        case rsa(_RSA.Signing.PrivateKey)
    }

    let signer: Signer
    let algorithm: Int64
    let credentialId: [UInt8]
    static let aaguid: [UInt8] = Array(0..<16)

    init(_ algorithm: COSEAlgorithm, rsaBits: Int = 2048) throws {
        self.algorithm = algorithm.rawValue
        switch algorithm {
        case .es256: signer = .p256(P256.Signing.PrivateKey())
        case .edDSA: signer = .ed25519(Curve25519.Signing.PrivateKey())
        case .rs256: signer = .rsa(try _RSA.Signing.PrivateKey(unsafeKeySize: .init(bitCount: rsaBits)))
        }
        credentialId = (0..<32).map { _ in UInt8.random(in: 0...255) }
    }

    func coseKey(algorithm alg: Int64? = nil) throws -> [UInt8] {
        let a = alg ?? algorithm
        switch signer {
        case .p256(let k):
            let raw = Array(k.publicKey.x963Representation)
            return CBOREncoder.encode(
                map([
                    (int(1), int(2)), (int(3), int(a)), (int(-1), int(1)),
                    (int(-2), .bytes(Array(raw[1..<33]))), (int(-3), .bytes(Array(raw[33..<65]))),
                ]))
        case .ed25519(let k):
            return CBOREncoder.encode(
                map([
                    (int(1), int(1)), (int(3), int(a)), (int(-1), int(6)),
                    (int(-2), .bytes(Array(k.publicKey.rawRepresentation))),
                ]))
        case .rsa(let k):
            let p = try k.publicKey.getKeyPrimitives()
            return CBOREncoder.encode(
                map([
                    (int(1), int(3)), (int(3), int(a)), (int(-1), .bytes(Array(p.modulus))),
                    (int(-2), .bytes(Array(p.publicExponent))),
                ]))
        }
    }

    func sign(_ data: [UInt8]) throws -> [UInt8] {
        switch signer {
        case .p256(let k): return Array(try k.signature(for: data).derRepresentation)
        case .ed25519(let k): return Array(try k.signature(for: data))
        case .rsa(let k): return Array(try k.signature(for: data, padding: .insecurePKCS1v1_5).rawRepresentation)
        }
    }

    static func clientData(
        _ type: String, challenge: [UInt8], origin: String = "https://example.test",
        extra: String = ""
    ) -> [UInt8] {
        Array(
            "{\"type\":\"\(type)\",\"challenge\":\"\(Base64URL.encode(challenge))\",\"origin\":\"\(origin)\"\(extra)}"
                .utf8)
    }

    static func authData(rpId: String = "example.test", flags: UInt8, count: UInt32, attested: [UInt8] = []) -> [UInt8]
    {
        Array(SHA256.hash(data: Array(rpId.utf8))) + [
            flags, UInt8(count >> 24), UInt8(count >> 16 & 0xFF),
            UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF),
        ] + attested
    }

    struct Registration {
        var flags: UInt8 = 0x45  // UP UV AT
        var count: UInt32 = 0
        var format = "packed"
        var statementAlg: Int64?
        var rpId = "example.test"
        var type = "webauthn.create"
        var origin = "https://example.test"
        var clientExtra = ""
        var challenge: [UInt8]
        var tamperSignature = false
    }

    func register(_ r: Registration) throws -> RegistrationResponseJSON {
        let attested =
            Self.aaguid + [UInt8(credentialId.count >> 8), UInt8(credentialId.count & 0xFF)] + credentialId
            + (try coseKey())
        let ad = Self.authData(rpId: r.rpId, flags: r.flags, count: r.count, attested: attested)
        let cd = Self.clientData(r.type, challenge: r.challenge, origin: r.origin, extra: r.clientExtra)
        var statement: CBORValue = map([])
        if r.format == "packed" {
            var sig = try sign(ad + Array(SHA256.hash(data: cd)))
            if r.tamperSignature { sig[sig.count / 2] ^= 0x01 }
            statement = map([(text("alg"), int(r.statementAlg ?? algorithm)), (text("sig"), .bytes(sig))])
        }
        let object = CBOREncoder.encode(
            map([
                (text("fmt"), text(r.format)), (text("attStmt"), statement),
                (text("authData"), .bytes(ad)),
            ]))
        let id = Base64URL.encode(credentialId)
        return RegistrationResponseJSON(
            id: id, rawId: id,
            response: AuthenticatorAttestationResponseJSON(
                clientDataJSON: Base64URL.encode(cd), attestationObject: Base64URL.encode(object),
                transports: ["internal"]))
    }

    struct Assertion {
        var flags: UInt8 = 0x05  // UP UV
        var count: UInt32 = 1
        var rpId = "example.test"
        var type = "webauthn.get"
        var origin = "https://example.test"
        var clientExtra = ""
        var challenge: [UInt8]
        var userHandle: [UInt8]? = Array("user-1".utf8)
    }

    func assert(_ a: Assertion) throws -> AuthenticationResponseJSON {
        let ad = Self.authData(rpId: a.rpId, flags: a.flags, count: a.count)
        let cd = Self.clientData(a.type, challenge: a.challenge, origin: a.origin, extra: a.clientExtra)
        let sig = try sign(ad + Array(SHA256.hash(data: cd)))
        let id = Base64URL.encode(credentialId)
        return AuthenticationResponseJSON(
            id: id, rawId: id,
            response: AuthenticatorAssertionResponseJSON(
                clientDataJSON: Base64URL.encode(cd), authenticatorData: Base64URL.encode(ad),
                signature: Base64URL.encode(sig), userHandle: a.userHandle.map { Base64URL.encode($0) }))
    }

    /// Valid CBOR from real ceremonies, as fuzz seeds: attestation objects and COSE keys of each algorithm.
    static func sampleCBOR() throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        for alg in [COSEAlgorithm.es256, .edDSA] {
            let a = try SoftAuthenticator(alg)
            out.append(try a.coseKey())
            let r = try a.register(Registration(challenge: [1, 2, 3]))
            out.append(Base64URL.decode(r.response.attestationObject) ?? [])
        }
        return out
    }
}
