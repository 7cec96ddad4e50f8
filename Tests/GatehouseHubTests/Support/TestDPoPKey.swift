import Crypto
import Foundation
import GatehouseCore

/// A client's DPoP key for tests: makes RFC 9449 proofs with swift-crypto (ES256 or EdDSA). The e2e tests make
/// theirs with an independent JOSE library.
struct TestDPoPKey: Sendable {
    enum Kind: Sendable { case es256, eddsa }

    let kind: Kind
    /// The private key's raw bytes (swift-crypto's keys are not Sendable).
    private let raw: [UInt8]

    init(_ kind: Kind = .es256) {
        self.kind = kind
        raw =
            kind == .es256
            ? Array(P256.Signing.PrivateKey().rawRepresentation)
            : Array(Curve25519.Signing.PrivateKey().rawRepresentation)
    }

    private var p256: P256.Signing.PrivateKey? {
        kind == .es256 ? try? P256.Signing.PrivateKey(rawRepresentation: raw) : nil
    }
    private var ed25519: Curve25519.Signing.PrivateKey? {
        kind == .eddsa ? try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) : nil
    }

    var jwk: [String: String] {
        switch kind {
        case .es256:
            let raw = Array(p256!.publicKey.rawRepresentation)
            return [
                "kty": "EC", "crv": "P-256", "x": Encoding.base64URL(raw.prefix(32)),
                "y": Encoding.base64URL(raw.suffix(32)),
            ]
        case .eddsa:
            return [
                "kty": "OKP", "crv": "Ed25519", "x": Encoding.base64URL(Array(ed25519!.publicKey.rawRepresentation)),
            ]
        }
    }

    var alg: String { kind == .es256 ? "ES256" : "EdDSA" }

    /// A proof; every part can be overridden to make a bad one.
    func proof(
        method: String, url: String, token: String? = nil, iat: Date, jti: String = UUID().uuidString,
        nonce: String? = nil, header: [String: Any]? = nil, claims extra: [String: Any] = [:]
    ) -> String {
        let header = header ?? ["typ": "dpop+jwt", "alg": alg, "jwk": jwk]
        var claims: [String: Any] = ["jti": jti, "htm": method, "htu": url, "iat": Int(iat.timeIntervalSince1970)]
        if let token { claims["ath"] = Encoding.base64URL(SHA256.hash(data: Array(token.utf8))) }
        if let nonce { claims["nonce"] = nonce }
        claims.merge(extra) { _, new in new }
        let encode = { (object: [String: Any]) -> String in
            Encoding.base64URL(try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
        }
        let input = encode(header) + "." + encode(claims)
        let signature: [UInt8]
        switch kind {
        case .es256: signature = Array(try! p256!.signature(for: Array(input.utf8)).rawRepresentation)
        case .eddsa: signature = Array(try! ed25519!.signature(for: Array(input.utf8)))
        }
        return input + "." + Encoding.base64URL(signature)
    }
}
