// The WebAuthn Level 3 JSON forms (§5.1.8, §5.1.9, §5.4, §5.5). Binary fields are unpadded base64url strings, as
// PublicKeyCredential.parseCreationOptionsFromJSON() and toJSON() use them in the browser.

/// A relying party as the browser sees it.
public struct PublicKeyCredentialRpEntity: Codable, Sendable, Equatable {
    /// The RP id (a registrable domain suffix of the origin).
    public var id: String
    /// A human-palatable name.
    public var name: String

    /// Makes an entity.
    public init(id: String, name: String) {
        self.id = id
        self.name = name
    }
}

/// The user account a credential is created for.
public struct PublicKeyCredentialUserEntityJSON: Codable, Sendable, Equatable {
    /// The user handle (base64url, at most 64 bytes decoded); never personal data.
    public var id: String
    /// The account name (e.g. an email address or username).
    public var name: String
    /// The display name.
    public var displayName: String

    /// Makes an entity.
    public init(id: String, name: String, displayName: String) {
        self.id = id
        self.name = name
        self.displayName = displayName
    }
}

/// One acceptable credential algorithm.
public struct PublicKeyCredentialParameters: Codable, Sendable, Equatable {
    /// Always "public-key".
    public var type: String
    /// The COSE algorithm id.
    public var alg: Int64

    /// Makes a parameter entry.
    public init(type: String = "public-key", alg: Int64) {
        self.type = type
        self.alg = alg
    }
}

/// A credential named in excludeCredentials or allowCredentials.
public struct PublicKeyCredentialDescriptorJSON: Codable, Sendable, Equatable {
    /// Always "public-key".
    public var type: String
    /// The credential id (base64url).
    public var id: String
    /// Transport hints ("usb", "nfc", "ble", "internal", "hybrid", ...).
    public var transports: [String]?

    /// Makes a descriptor from a raw credential id.
    public init(id: [UInt8], transports: [String]? = nil) {
        self.type = "public-key"
        self.id = Base64URL.encode(id)
        self.transports = transports
    }
}

/// Authenticator requirements for registration.
public struct AuthenticatorSelectionCriteria: Codable, Sendable, Equatable {
    /// "platform" or "cross-platform"; nil for either.
    public var authenticatorAttachment: String?
    /// "discouraged", "preferred" or "required".
    public var residentKey: String?
    /// Level 1 compatibility: true exactly when residentKey is "required".
    public var requireResidentKey: Bool?
    /// "discouraged", "preferred" or "required".
    public var userVerification: String?

    /// Makes criteria.
    public init(
        authenticatorAttachment: String? = nil, residentKey: String? = "required", requireResidentKey: Bool? = true,
        userVerification: String? = "required"
    ) {
        self.authenticatorAttachment = authenticatorAttachment
        self.residentKey = residentKey
        self.requireResidentKey = requireResidentKey
        self.userVerification = userVerification
    }
}

/// Client extension inputs the module knows.
public struct AuthenticationExtensionsClientInputsJSON: Codable, Sendable, Equatable {
    /// Ask the client whether the credential is discoverable.
    public var credProps: Bool?

    /// Makes inputs.
    public init(credProps: Bool? = nil) { self.credProps = credProps }
}

/// Options for navigator.credentials.create(), in JSON form.
public struct PublicKeyCredentialCreationOptionsJSON: Codable, Sendable, Equatable {
    /// The relying party.
    public var rp: PublicKeyCredentialRpEntity
    /// The user.
    public var user: PublicKeyCredentialUserEntityJSON
    /// The challenge (base64url).
    public var challenge: String
    /// Acceptable algorithms, in order of preference.
    public var pubKeyCredParams: [PublicKeyCredentialParameters]
    /// Milliseconds.
    public var timeout: Int?
    /// Credentials the user already has, so the authenticator does not create a second one.
    public var excludeCredentials: [PublicKeyCredentialDescriptorJSON]
    /// Authenticator requirements.
    public var authenticatorSelection: AuthenticatorSelectionCriteria?
    /// Hints ("security-key", "client-device", "hybrid").
    public var hints: [String]?
    /// "none", "indirect", "direct" or "enterprise".
    public var attestation: String?
    /// Extension inputs.
    public var extensions: AuthenticationExtensionsClientInputsJSON?
}

/// Options for navigator.credentials.get(), in JSON form.
public struct PublicKeyCredentialRequestOptionsJSON: Codable, Sendable, Equatable {
    /// The challenge (base64url).
    public var challenge: String
    /// Milliseconds.
    public var timeout: Int?
    /// The RP id.
    public var rpId: String?
    /// Credentials allowed; empty for discoverable-credential (username-less) sign-in.
    public var allowCredentials: [PublicKeyCredentialDescriptorJSON]
    /// "discouraged", "preferred" or "required".
    public var userVerification: String?
    /// Hints.
    public var hints: [String]?
}

/// The response part of a registration, in JSON form (AuthenticatorAttestationResponseJSON).
public struct AuthenticatorAttestationResponseJSON: Codable, Sendable, Equatable {
    /// base64url clientDataJSON.
    public var clientDataJSON: String
    /// base64url attestationObject.
    public var attestationObject: String
    /// The transports the client reports (hints for later allowCredentials).
    public var transports: [String]?
    /// base64url authenticator data (a convenience copy; the module reads the one inside attestationObject).
    public var authenticatorData: String?
    /// base64url SPKI of the credential key (a convenience copy; ignored).
    public var publicKey: String?
    /// The COSE algorithm (a convenience copy; ignored).
    public var publicKeyAlgorithm: Int64?

    /// Makes a response.
    public init(clientDataJSON: String, attestationObject: String, transports: [String]? = nil) {
        self.clientDataJSON = clientDataJSON
        self.attestationObject = attestationObject
        self.transports = transports
    }
}

/// The credProps extension output.
public struct CredentialPropertiesOutput: Codable, Sendable, Equatable {
    /// Whether the credential is discoverable, when the client knows.
    public var rk: Bool?
}

/// Client extension outputs the module knows.
public struct AuthenticationExtensionsClientOutputsJSON: Codable, Sendable, Equatable {
    /// credProps output.
    public var credProps: CredentialPropertiesOutput?

    /// Makes outputs.
    public init(credProps: CredentialPropertiesOutput? = nil) { self.credProps = credProps }
}

/// A registration as PublicKeyCredential.toJSON() gives it.
public struct RegistrationResponseJSON: Codable, Sendable, Equatable {
    /// base64url credential id.
    public var id: String
    /// base64url credential id (must equal `id`).
    public var rawId: String
    /// The attestation response.
    public var response: AuthenticatorAttestationResponseJSON
    /// "platform" or "cross-platform".
    public var authenticatorAttachment: String?
    /// Extension outputs.
    public var clientExtensionResults: AuthenticationExtensionsClientOutputsJSON?
    /// "public-key".
    public var type: String

    /// Makes a registration response.
    public init(
        id: String, rawId: String, response: AuthenticatorAttestationResponseJSON,
        authenticatorAttachment: String? = nil,
        clientExtensionResults: AuthenticationExtensionsClientOutputsJSON? = .init(), type: String = "public-key"
    ) {
        self.id = id
        self.rawId = rawId
        self.response = response
        self.authenticatorAttachment = authenticatorAttachment
        self.clientExtensionResults = clientExtensionResults
        self.type = type
    }
}

/// The response part of an assertion, in JSON form (AuthenticatorAssertionResponseJSON).
public struct AuthenticatorAssertionResponseJSON: Codable, Sendable, Equatable {
    /// base64url clientDataJSON.
    public var clientDataJSON: String
    /// base64url authenticator data.
    public var authenticatorData: String
    /// base64url signature.
    public var signature: String
    /// base64url user handle (discoverable credentials return it).
    public var userHandle: String?

    /// Makes a response.
    public init(clientDataJSON: String, authenticatorData: String, signature: String, userHandle: String? = nil) {
        self.clientDataJSON = clientDataJSON
        self.authenticatorData = authenticatorData
        self.signature = signature
        self.userHandle = userHandle
    }
}

/// An assertion as PublicKeyCredential.toJSON() gives it.
public struct AuthenticationResponseJSON: Codable, Sendable, Equatable {
    /// base64url credential id.
    public var id: String
    /// base64url credential id (must equal `id`).
    public var rawId: String
    /// The assertion response.
    public var response: AuthenticatorAssertionResponseJSON
    /// "platform" or "cross-platform".
    public var authenticatorAttachment: String?
    /// Extension outputs.
    public var clientExtensionResults: AuthenticationExtensionsClientOutputsJSON?
    /// "public-key".
    public var type: String

    /// Makes an authentication response.
    public init(
        id: String, rawId: String, response: AuthenticatorAssertionResponseJSON, authenticatorAttachment: String? = nil,
        clientExtensionResults: AuthenticationExtensionsClientOutputsJSON? = .init(), type: String = "public-key"
    ) {
        self.id = id
        self.rawId = rawId
        self.response = response
        self.authenticatorAttachment = authenticatorAttachment
        self.clientExtensionResults = clientExtensionResults
        self.type = type
    }
}
