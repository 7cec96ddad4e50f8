/// The flags byte of authenticator data.
public struct AuthenticatorFlags: Sendable, Equatable, Codable {
    /// The raw byte.
    public let rawValue: UInt8

    /// Makes flags from the raw byte.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// UP: the user was present.
    public var userPresent: Bool { rawValue & 0x01 != 0 }
    /// UV: the user was verified (PIN, biometric).
    public var userVerified: Bool { rawValue & 0x04 != 0 }
    /// BE: the credential may be backed up (a multi-device, synced credential).
    public var backupEligible: Bool { rawValue & 0x08 != 0 }
    /// BS: the credential is currently backed up.
    public var backupState: Bool { rawValue & 0x10 != 0 }
    /// AT: attested credential data follows.
    public var attestedCredentialData: Bool { rawValue & 0x40 != 0 }
    /// ED: extension data follows.
    public var extensionData: Bool { rawValue & 0x80 != 0 }
}

/// The attested credential data of a registration's authenticator data.
public struct AttestedCredentialData: Sendable {
    /// The authenticator's model identifier (16 bytes).
    public let aaguid: [UInt8]
    /// The credential id (1...1023 bytes).
    public let credentialId: [UInt8]
    /// The credential public key, decoded.
    public let publicKey: COSEPublicKey
}

/// Parsed authenticator data (WebAuthn §6.1).
public struct AuthenticatorData: Sendable {
    /// The exact bytes, as signed.
    public let raw: [UInt8]
    /// SHA-256 of the RP id the authenticator scoped the credential to.
    public let rpIdHash: [UInt8]
    /// The flags.
    public let flags: AuthenticatorFlags
    /// The signature counter.
    public let signCount: UInt32
    /// Present exactly when the AT flag is set.
    public let attestedCredentialData: AttestedCredentialData?
    /// The extension outputs map, present exactly when the ED flag is set.
    public let extensions: CBORValue?

    /// The longest credential id accepted (WebAuthn Level 3 bound).
    public static let maximumCredentialIdLength = 1023

    /// Parses authenticator data strictly: AT/ED consistent with the content, bounded credential id, no trailing bytes.
    public init(bytes: [UInt8]) throws(WebAuthnError) {
        guard bytes.count >= 37 else { throw .malformedAuthenticatorData("shorter than 37 bytes") }
        guard bytes.count <= Attestation.maximumSize else {
            throw .inputTooLarge(field: "authenticatorData", limit: Attestation.maximumSize)
        }
        raw = bytes
        rpIdHash = Array(bytes[0..<32])
        flags = AuthenticatorFlags(rawValue: bytes[32])
        signCount = bytes[33..<37].reduce(UInt32(0)) { ($0 << 8) | UInt32($1) }
        // The reserved bits (0x02, 0x20) are ignored, as the specification leaves them for future use.
        var offset = 37
        let decoder = CBORDecoder(maxDepth: 8, maxInputSize: Attestation.maximumSize)
        if flags.attestedCredentialData {
            guard bytes.count >= offset + 18 else {
                throw .malformedAuthenticatorData("truncated attested credential data")
            }
            let aaguid = Array(bytes[offset..<(offset + 16)])
            let idLength = Int(bytes[offset + 16]) << 8 | Int(bytes[offset + 17])
            offset += 18
            guard idLength >= 1 else { throw .malformedAuthenticatorData("empty credential id") }
            guard idLength <= Self.maximumCredentialIdLength else { throw .credentialIdTooLong }
            guard bytes.count >= offset + idLength else { throw .malformedAuthenticatorData("truncated credential id") }
            let credentialId = Array(bytes[offset..<(offset + idLength)])
            offset += idLength
            let keyValue: CBORValue
            let keyEnd: Int
            do { (keyValue, keyEnd) = try decoder.decodePrefix(bytes, from: offset) } catch {
                throw .malformedCBOR(error)
            }
            let key = try COSEPublicKey(value: keyValue, encoded: Array(bytes[offset..<keyEnd]))
            offset = keyEnd
            attestedCredentialData = AttestedCredentialData(aaguid: aaguid, credentialId: credentialId, publicKey: key)
        } else {
            attestedCredentialData = nil
        }
        if flags.extensionData {
            let value: CBORValue
            do { (value, offset) = try decoder.decodePrefix(bytes, from: offset) } catch { throw .malformedCBOR(error) }
            guard case .map = value else { throw .malformedAuthenticatorData("extensions are not a map") }
            extensions = value
        } else {
            extensions = nil
        }
        guard offset == bytes.count else { throw .malformedAuthenticatorData("trailing bytes") }
    }
}
