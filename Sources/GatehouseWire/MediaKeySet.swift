import Foundation

/// The hub's published media-token keys (`GET /api/v1/keys/media`), oldest first. Every key after the first
/// carries an endorsement: the previous key's Ed25519 signature over ``endorsementMessage(kid:publicKey:)``, so a
/// media server that pinned the keys at claim time accepts a rotated key only through this chain
/// (docs/media-protocol.md, "Hub keys").
public struct MediaKeySet: Codable, Sendable, Equatable {
    /// One published key.
    public struct Key: Codable, Sendable, Equatable {
        /// Key id, as tokens name it in `kid`.
        public var kid: String
        /// The raw 32-byte Ed25519 public key, base64url without padding.
        public var publicKey: String
        /// The key id of the previous key that endorsed this one; nil for the first key.
        public var signedBy: String?
        /// The endorsement (Ed25519 signature, base64url without padding); nil for the first key.
        public var signature: String?

        public init(kid: String, publicKey: String, signedBy: String? = nil, signature: String? = nil) {
            self.kid = kid
            self.publicKey = publicKey
            self.signedBy = signedBy
            self.signature = signature
        }

        enum CodingKeys: String, CodingKey {
            case kid
            case publicKey = "public_key"
            case signedBy = "signed_by"
            case signature
        }
    }

    public var keys: [Key]

    public init(keys: [Key]) {
        self.keys = keys
    }

    /// What the previous key signs to endorse key `kid`: `gatehouse-media-key-v1\n<kid>\n<public key, base64url>`.
    public static func endorsementMessage(kid: String, publicKey: String) -> [UInt8] {
        Array("gatehouse-media-key-v1\n\(kid)\n\(publicKey)".utf8)
    }
}
