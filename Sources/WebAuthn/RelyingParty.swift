import Crypto
import Foundation
import GatehouseBasics

/// A verified registration: what a relying party stores for the new credential.
public struct VerifiedRegistration: Sendable {
    /// The credential id.
    public let credentialId: [UInt8]
    /// The credential public key as COSE_Key bytes (pass them back as `storedPublicKey`).
    public let publicKey: [UInt8]
    /// The key's algorithm.
    public let algorithm: COSEAlgorithm
    /// The initial signature counter (0 for authenticators without one).
    public let signCount: UInt32
    /// The authenticator data flags.
    public let flags: AuthenticatorFlags
    /// The authenticator model (16 bytes; all zero for many platform authenticators and "none" attestation).
    public let aaguid: [UInt8]
    /// Transports the client reported, unknown values included (each at most 32 characters, at most 8).
    public let transports: [String]
    /// The attestation format and what it established.
    public let attestation: AttestationResult
    /// The credProps.rk client output, when the client gave it.
    public let residentKey: Bool?
    /// "platform" or "cross-platform", when the client gave it.
    public let authenticatorAttachment: String?

    /// BE: the credential is a synced (multi-device) passkey.
    public var backupEligible: Bool { flags.backupEligible }
    /// BS: the credential is backed up now.
    public var backupState: Bool { flags.backupState }
    /// UV: the user was verified.
    public var userVerified: Bool { flags.userVerified }
}

/// A verified assertion.
public struct VerifiedAssertion: Sendable {
    /// The credential id that signed.
    public let credentialId: [UInt8]
    /// The user handle the authenticator returned (discoverable credentials), if any.
    public let userHandle: [UInt8]?
    /// The counter the authenticator reported (store it unless `possibleClone` leads the caller to refuse).
    public let newSignCount: UInt32
    /// The counter did not increase although the authenticator keeps one: the credential may have been cloned.
    /// The relying party decides what to do (the module does not refuse on it).
    public let possibleClone: Bool
    /// The authenticator data flags.
    public let flags: AuthenticatorFlags

    /// BE: the credential is a synced (multi-device) passkey.
    public var backupEligible: Bool { flags.backupEligible }
    /// BS: the credential is backed up now.
    public var backupState: Bool { flags.backupState }
    /// UV: the user was verified.
    public var userVerified: Bool { flags.userVerified }
}

/// A WebAuthn relying party: makes ceremony options and verifies their results. It holds configuration only; the
/// caller stores challenges (single use, short-lived) and credentials.
public struct WebAuthnRelyingParty: Sendable {
    /// The RP id (e.g. "example.com").
    public let id: String
    /// The RP name shown by authenticators.
    public let name: String
    /// Origins accepted in clientDataJSON, compared exactly (e.g. "https://example.com").
    public let origins: [String]
    /// Accept ceremonies from cross-origin iframes (clientDataJSON.crossOrigin true). Off by default.
    public var allowCrossOrigin: Bool
    /// When cross-origin ceremonies are allowed, the top-level origins accepted (empty: refuse them all).
    public var allowedTopOrigins: [String]
    /// Credential algorithms offered and accepted, in order of preference.
    public var acceptedAlgorithms: [COSEAlgorithm]
    /// DER root certificates that packed x5c attestation must chain to; empty accepts unchained x5c (reported as such).
    public var attestationRootCertificates: [[UInt8]]
    /// The ceremony timeout offered to the browser, in milliseconds.
    public var timeoutMilliseconds: Int

    /// Makes a relying party.
    public init(
        id: String, name: String, origins: [String], allowCrossOrigin: Bool = false, allowedTopOrigins: [String] = [],
        acceptedAlgorithms: [COSEAlgorithm] = [.es256, .edDSA, .rs256], attestationRootCertificates: [[UInt8]] = [],
        timeoutMilliseconds: Int = 300_000
    ) {
        self.id = id
        self.name = name
        self.origins = origins
        self.allowCrossOrigin = allowCrossOrigin
        self.allowedTopOrigins = allowedTopOrigins
        self.acceptedAlgorithms = acceptedAlgorithms
        self.attestationRootCertificates = attestationRootCertificates
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    /// A fresh random challenge of 32 bytes from the system's CSPRNG.
    public static func makeChallenge() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// Options for registering a passkey: a discoverable credential ("residentKey": "required") with user verification
    /// required by default, no attestation requested, the user's existing credentials excluded.
    public func makeRegistrationOptions(
        userId: [UInt8], userName: String, userDisplayName: String, challenge: [UInt8],
        excludeCredentials: [PublicKeyCredentialDescriptorJSON] = [], residentKey: String = "required",
        userVerification: String = "required", attestation: String = "none", authenticatorAttachment: String? = nil
    ) -> PublicKeyCredentialCreationOptionsJSON {
        PublicKeyCredentialCreationOptionsJSON(
            rp: PublicKeyCredentialRpEntity(id: id, name: name),
            user: PublicKeyCredentialUserEntityJSON(
                id: Base64URL.encode(userId), name: userName, displayName: userDisplayName),
            challenge: Base64URL.encode(challenge),
            pubKeyCredParams: acceptedAlgorithms.map { PublicKeyCredentialParameters(alg: $0.rawValue) },
            timeout: timeoutMilliseconds,
            excludeCredentials: excludeCredentials,
            authenticatorSelection: AuthenticatorSelectionCriteria(
                authenticatorAttachment: authenticatorAttachment, residentKey: residentKey,
                requireResidentKey: residentKey == "required", userVerification: userVerification),
            hints: nil,
            attestation: attestation,
            extensions: AuthenticationExtensionsClientInputsJSON(credProps: true)
        )
    }

    /// Options for signing in. Leave `allowCredentials` empty for discoverable (username-less) sign-in.
    public func makeAuthenticationOptions(
        challenge: [UInt8], allowCredentials: [PublicKeyCredentialDescriptorJSON] = [],
        userVerification: String = "required"
    ) -> PublicKeyCredentialRequestOptionsJSON {
        PublicKeyCredentialRequestOptionsJSON(
            challenge: Base64URL.encode(challenge), timeout: timeoutMilliseconds, rpId: id,
            allowCredentials: allowCredentials, userVerification: userVerification, hints: nil)
    }

    /// Verifies a registration (WebAuthn §7.1) and returns what to store. Throws the first reason it is refused.
    public func verifyRegistration(
        response: RegistrationResponseJSON, expectedChallenge: [UInt8], requireUserVerification: Bool = true,
        now: Date = Date()
    ) throws(WebAuthnError) -> VerifiedRegistration {
        let credentialId = try Self.credentialId(id: response.id, rawId: response.rawId, type: response.type)
        let clientDataBytes = try Self.decode(
            response.response.clientDataJSON, field: "clientDataJSON",
            limit: CollectedClientData.maximumSize)
        try checkClientData(clientDataBytes, type: "webauthn.create", expectedChallenge: expectedChallenge)
        let attestationBytes = try Self.decode(
            response.response.attestationObject, field: "attestationObject",
            limit: Attestation.maximumSize)
        let parsed = try Attestation.parse(attestationBytes)
        let authData = parsed.authData
        try checkCommon(authData, requireUserVerification: requireUserVerification)
        guard let credential = authData.attestedCredentialData else { throw .missingAttestedCredentialData }
        guard acceptedAlgorithms.contains(credential.publicKey.algorithm) else {
            throw .unsupportedAlgorithm(credential.publicKey.algorithm.rawValue)
        }
        guard credential.credentialId == credentialId else { throw .credentialIdMismatch }
        let clientDataHash = Array(SHA256.hash(data: clientDataBytes))
        let attestation = try Attestation.verify(
            parsed, clientDataHash: clientDataHash, roots: attestationRootCertificates,
            now: Int64(now.timeIntervalSince1970.rounded(.down)))
        let transports = (response.response.transports ?? []).filter { !$0.isEmpty && $0.utf8.count <= 32 }.prefix(8)
        return VerifiedRegistration(
            credentialId: credentialId, publicKey: credential.publicKey.encoded,
            algorithm: credential.publicKey.algorithm,
            signCount: authData.signCount, flags: authData.flags, aaguid: credential.aaguid,
            transports: Array(transports),
            attestation: attestation, residentKey: response.clientExtensionResults?.credProps?.rk,
            authenticatorAttachment: response.authenticatorAttachment)
    }

    /// Verifies an assertion (WebAuthn §7.2) against the stored COSE public key and counter. The caller looks the
    /// credential up by `AuthenticationResponseJSON.credentialId()` first, and checks that it belongs to the user
    /// named by the user handle (discoverable sign-in) or the user who started the ceremony.
    public func verifyAssertion(
        response: AuthenticationResponseJSON, expectedChallenge: [UInt8], storedPublicKey: [UInt8],
        storedSignCount: UInt32,
        requireUserVerification: Bool = true
    ) throws(WebAuthnError) -> VerifiedAssertion {
        let credentialId = try Self.credentialId(id: response.id, rawId: response.rawId, type: response.type)
        let clientDataBytes = try Self.decode(
            response.response.clientDataJSON, field: "clientDataJSON",
            limit: CollectedClientData.maximumSize)
        try checkClientData(clientDataBytes, type: "webauthn.get", expectedChallenge: expectedChallenge)
        let authBytes = try Self.decode(
            response.response.authenticatorData, field: "authenticatorData",
            limit: Attestation.maximumSize)
        let authData = try AuthenticatorData(bytes: authBytes)
        guard authData.attestedCredentialData == nil else { throw .unexpectedAttestedCredentialData }
        try checkCommon(authData, requireUserVerification: requireUserVerification)
        let signature = try Self.decode(response.response.signature, field: "signature", limit: 1024)
        var userHandle: [UInt8]?
        if let handle = response.response.userHandle, !handle.isEmpty {
            userHandle = try Self.decode(handle, field: "userHandle", limit: 64)
        }
        let key = try COSEPublicKey(cose: storedPublicKey, validateWithCrypto: false)
        guard acceptedAlgorithms.contains(key.algorithm) else { throw .unsupportedAlgorithm(key.algorithm.rawValue) }
        let clientDataHash = Array(SHA256.hash(data: clientDataBytes))
        guard key.isValidSignature(signature, for: authBytes + clientDataHash) else { throw .badSignature }
        let newCount = authData.signCount
        let possibleClone: Bool
        if newCount == 0 && (storedSignCount == 0 || authData.flags.backupEligible) {
            possibleClone = false  // no counter (synced passkeys report 0): never a regression
        } else {
            possibleClone = newCount <= storedSignCount
        }
        return VerifiedAssertion(
            credentialId: credentialId, userHandle: userHandle, newSignCount: newCount,
            possibleClone: possibleClone, flags: authData.flags)
    }

    // MARK: - Steps

    static func credentialId(id: String, rawId: String, type: String) throws(WebAuthnError) -> [UInt8] {
        guard type == "public-key" else { throw .invalidCredentialType }
        guard id == rawId else { throw .credentialIdMismatch }
        let bytes = try decode(rawId, field: "rawId", limit: AuthenticatorData.maximumCredentialIdLength)
        guard !bytes.isEmpty else { throw .credentialIdMismatch }
        return bytes
    }

    static func decode(_ text: String, field: String, limit: Int) throws(WebAuthnError) -> [UInt8] {
        // Checked before decoding, so an oversized field costs nothing to refuse.
        guard text.utf8.count <= (limit * 4 + 2) / 3 else { throw .inputTooLarge(field: field, limit: limit) }
        guard let bytes = Base64URL.decode(text) else { throw .invalidBase64URL(field: field) }
        return bytes
    }

    func checkClientData(_ bytes: [UInt8], type: String, expectedChallenge: [UInt8]) throws(WebAuthnError) {
        let clientData = try CollectedClientData(json: bytes)
        guard clientData.type == type else { throw .clientDataTypeMismatch }
        guard let challenge = Base64URL.decode(clientData.challenge), !expectedChallenge.isEmpty,
            ConstantTime.equals(challenge, expectedChallenge)
        else { throw .challengeMismatch }
        guard origins.contains(clientData.origin) else { throw .originMismatch }
        if clientData.crossOrigin == true {
            guard allowCrossOrigin else { throw .crossOriginNotAllowed }
            guard let top = clientData.topOrigin, allowedTopOrigins.contains(top) else { throw .topOriginMismatch }
        } else if clientData.topOrigin != nil {
            throw .topOriginMismatch  // topOrigin is only set for cross-origin ceremonies
        }
    }

    func checkCommon(_ authData: AuthenticatorData, requireUserVerification: Bool) throws(WebAuthnError) {
        let expected = Array(SHA256.hash(data: Array(id.utf8)))
        guard ConstantTime.equals(authData.rpIdHash, expected) else { throw .rpIdHashMismatch }
        guard authData.flags.userPresent else { throw .userNotPresent }
        if requireUserVerification { guard authData.flags.userVerified else { throw .userNotVerified } }
        if authData.flags.backupState { guard authData.flags.backupEligible else { throw .invalidBackupFlags } }
    }
}

extension AuthenticationResponseJSON {
    /// The credential id, to look the stored credential up before verifying (checks `id` equals `rawId`).
    public func credentialId() throws(WebAuthnError) -> [UInt8] {
        try WebAuthnRelyingParty.credentialId(id: id, rawId: rawId, type: type)
    }

    /// The user handle, when the authenticator returned one (discoverable sign-in).
    public func userHandle() throws(WebAuthnError) -> [UInt8]? {
        guard let handle = response.userHandle, !handle.isEmpty else { return nil }
        return try WebAuthnRelyingParty.decode(handle, field: "userHandle", limit: 64)
    }
}
