import Crypto
import Foundation

/// The claims of a server-scoped access token (see docs/media-protocol.md).
public struct MediaTokenClaims: Sendable, Codable, Equatable {
    public var typ: String
    public var kid: String
    public var aud: String
    public var sub: String
    public var dev: String
    public var iat: Int64
    public var exp: Int64
    public var jti: String
    public var own: Bool
    public var sec: [String]
}

/// Signs server-scoped access tokens with the keyring's Ed25519 key: `v1.<payload>.<signature>`.
public struct MediaTokenSigner: Sendable {
    public static let lifetime: TimeInterval = 300

    let keyring: Keyring

    public init(keyring: Keyring) {
        self.keyring = keyring
    }

    public func sign(_ claims: MediaTokenClaims) throws -> String {
        let key = try Curve25519.Signing.PrivateKey(rawRepresentation: keyring.currentSigningKey.material)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let payload = Encoding.base64URL(try encoder.encode(claims))
        let signed = "v1." + payload
        let signature = try key.signature(for: Array(signed.utf8))
        return signed + "." + Encoding.base64URL(signature)
    }

    /// The public keys media servers verify with, as the keys endpoint publishes them.
    public func publishedKeys() -> [(kid: String, publicKey: String)] {
        keyring.publicSigningKeys().map { ($0.id, Encoding.base64URL($0.publicKey)) }
    }
}
