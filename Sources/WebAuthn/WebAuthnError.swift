/// Every reason the module refuses a ceremony. Each case is specific enough to log and to test against.
public enum WebAuthnError: Error, Sendable, Equatable {
    // Sizes and encodings
    /// A field exceeds the module's size bound (field name, bound in bytes).
    case inputTooLarge(field: String, limit: Int)
    /// A field that must be unpadded base64url is not.
    case invalidBase64URL(field: String)
    /// The credential's `type` is not "public-key".
    case invalidCredentialType
    /// The credential's `id` is not the base64url form of `rawId`, or the credential id is empty or too long.
    case credentialIdMismatch
    /// The credential id in the authenticator data is longer than 1023 bytes.
    case credentialIdTooLong

    // clientDataJSON
    /// clientDataJSON is not a strict JSON object with string `type`, `challenge` and `origin`.
    case malformedClientData(String)
    /// clientDataJSON.type is not the ceremony's type.
    case clientDataTypeMismatch
    /// The challenge in clientDataJSON is not the expected one.
    case challengeMismatch
    /// The origin in clientDataJSON is not one of the configured origins.
    case originMismatch
    /// clientDataJSON.crossOrigin is true and the relying party does not allow cross-origin ceremonies.
    case crossOriginNotAllowed
    /// clientDataJSON.topOrigin is missing, unexpected, or not an allowed top-level origin.
    case topOriginMismatch

    // CBOR, COSE, authenticator data
    /// A CBOR input was refused by the strict decoder, or does not have the expected shape.
    case malformedCBOR(CBORError)
    /// The COSE key is malformed (missing or mistyped parameters, key type or curve not matching the algorithm).
    case malformedPublicKey(String)
    /// The COSE algorithm is not ES256, EdDSA (Ed25519) or RS256, or not one the relying party accepts.
    case unsupportedAlgorithm(Int64)
    /// An RS256 key with a modulus under 2048 bits.
    case rsaKeyTooSmall(bits: Int)
    /// Authenticator data is truncated, has reserved bits or trailing bytes, or the AT/ED flags do not match its content.
    case malformedAuthenticatorData(String)
    /// The rpIdHash is not SHA-256 of the relying party id.
    case rpIdHashMismatch
    /// The UP flag is not set.
    case userNotPresent
    /// User verification was required and the UV flag is not set.
    case userNotVerified
    /// The BS flag is set without BE (a single-device credential cannot be backed up).
    case invalidBackupFlags
    /// Registration authenticator data carries no attested credential data.
    case missingAttestedCredentialData
    /// Assertion authenticator data carries attested credential data.
    case unexpectedAttestedCredentialData

    // Attestation
    /// The attestation object is not a map of `fmt`, `attStmt` and `authData` of the right types.
    case malformedAttestationObject(String)
    /// The attestation format is not "none" or "packed".
    case unsupportedAttestationFormat(String)
    /// The attestation statement does not satisfy its format (fields, algorithm agreement, certificate requirements).
    case invalidAttestationStatement(String)
    /// The attestation certificate does not chain to a configured root, or is outside its validity period.
    case untrustedAttestation(String)

    // Signatures
    /// The signature does not verify, or is not a well-formed signature for the algorithm.
    case badSignature

    /// A short stable name for logs and test oracles ("malformedCBOR.duplicateMapKey").
    public var code: String {
        switch self {
        case .inputTooLarge: return "inputTooLarge"
        case .invalidBase64URL: return "invalidBase64URL"
        case .invalidCredentialType: return "invalidCredentialType"
        case .credentialIdMismatch: return "credentialIdMismatch"
        case .credentialIdTooLong: return "credentialIdTooLong"
        case .malformedClientData: return "malformedClientData"
        case .clientDataTypeMismatch: return "clientDataTypeMismatch"
        case .challengeMismatch: return "challengeMismatch"
        case .originMismatch: return "originMismatch"
        case .crossOriginNotAllowed: return "crossOriginNotAllowed"
        case .topOriginMismatch: return "topOriginMismatch"
        case .malformedCBOR(let e): return "malformedCBOR." + e.code
        case .malformedPublicKey: return "malformedPublicKey"
        case .unsupportedAlgorithm: return "unsupportedAlgorithm"
        case .rsaKeyTooSmall: return "rsaKeyTooSmall"
        case .malformedAuthenticatorData: return "malformedAuthenticatorData"
        case .rpIdHashMismatch: return "rpIdHashMismatch"
        case .userNotPresent: return "userNotPresent"
        case .userNotVerified: return "userNotVerified"
        case .invalidBackupFlags: return "invalidBackupFlags"
        case .missingAttestedCredentialData: return "missingAttestedCredentialData"
        case .unexpectedAttestedCredentialData: return "unexpectedAttestedCredentialData"
        case .malformedAttestationObject: return "malformedAttestationObject"
        case .unsupportedAttestationFormat: return "unsupportedAttestationFormat"
        case .invalidAttestationStatement: return "invalidAttestationStatement"
        case .untrustedAttestation: return "untrustedAttestation"
        case .badSignature: return "badSignature"
        }
    }
}
