import GatehouseBasics

/// Base64url (RFC 4648 section 5) for JWKs, thumbprints and proofs.
enum Encoding {
    /// Unpadded base64url.
    static func base64URL<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        Base64URL.encode(bytes)
    }
}
