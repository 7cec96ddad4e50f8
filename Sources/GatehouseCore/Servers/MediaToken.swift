import Crypto
import Foundation
import GatehouseWire

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

    /// One published key (the wire type the media server reads).
    public typealias PublishedKey = MediaKeySet.Key

    /// What the previous key signs to endorse key `kid` (see ``MediaKeySet/endorsementMessage(kid:publicKey:)``).
    public static func endorsementMessage(kid: String, publicKey: String) -> [UInt8] {
        MediaKeySet.endorsementMessage(kid: kid, publicKey: publicKey)
    }

    /// The public keys media servers verify with, as the keys endpoint publishes them, oldest first, each after the
    /// first endorsed by the one before it.
    public func publishedKeys() -> [PublishedKey] {
        var published: [PublishedKey] = []
        var previous: (id: String, key: Curve25519.Signing.PrivateKey)?
        for key in keyring.signingKeys {
            guard let privateKey = try? Curve25519.Signing.PrivateKey(rawRepresentation: key.material) else { continue }
            let publicKey = Encoding.base64URL(Array(privateKey.publicKey.rawRepresentation))
            var entry = PublishedKey(kid: key.id, publicKey: publicKey, signedBy: nil, signature: nil)
            if let previous,
                let signature = try? previous.key.signature(
                    for: Self.endorsementMessage(kid: key.id, publicKey: publicKey))
            {
                entry.signedBy = previous.id
                entry.signature = Encoding.base64URL(Array(signature))
            } else if let kept = keyring.endorsements?[key.id] {
                // The first key after retired ones: its endorsement by the retired key, kept when that was retired.
                entry.signedBy = kept.signedBy
                entry.signature = kept.signature
            }
            published.append(entry)
            previous = (key.id, privateKey)
        }
        return published
    }
}
