import Foundation

/// A signed-in device: an app, a browser or the command line. Its credential is stored only as a digest.
public struct Device: Sendable, Equatable, Codable {
    /// What a client says about itself when it signs in.
    public struct Info: Sendable, Equatable, Codable {
        public var clientIdentifier: String
        public var name: String
        public var product: String
        public var version: String
        public var platform: String

        public init(clientIdentifier: String, name: String, product: String, version: String, platform: String) {
            self.clientIdentifier = clientIdentifier
            self.name = name
            self.product = product
            self.version = version
            self.platform = platform
        }
    }

    public enum Kind: String, Sendable, Codable {
        case api
        case browser
    }

    public var id: String
    public var accountID: String
    public var kind: Kind
    public var info: Info
    public var ipAddress: String
    public var createdAt: Date
    public var lastSeenAt: Date
    public var revokedAt: Date?
    /// When the person last proved their password (and second factor) on this device: sign-in or sudo.
    public var reauthenticatedAt: Date
    /// How they proved it then (``Proof/description``), named in the security mails this device causes.
    public var proof: String
    /// The RFC 7638 thumbprint (`jkt`) of the key the credential is bound to (DPoP, RFC 9449), or nil for a plain
    /// bearer credential. A bound credential is accepted only with a fresh proof signed by that key.
    public var dpopThumbprint: String?

    public init(
        id: String, accountID: String, kind: Kind, info: Info, ipAddress: String, createdAt: Date, lastSeenAt: Date,
        revokedAt: Date? = nil, reauthenticatedAt: Date? = nil, proof: String = "", dpopThumbprint: String? = nil
    ) {
        self.dpopThumbprint = dpopThumbprint
        self.reauthenticatedAt = reauthenticatedAt ?? createdAt
        self.proof = proof
        self.id = id
        self.accountID = accountID
        self.kind = kind
        self.info = info
        self.ipAddress = ipAddress
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.revokedAt = revokedAt
    }
}

/// How a person proved who they were on a device, at sign-in or re-authentication. Security mails name it, so
/// the owner can tell "that was me with my phone's passkey" from "someone had my password".
public enum Proof: Sendable, Equatable {
    case password
    case passwordAndCode
    case passwordAndRecoveryCode
    case passwordAndPasskey(name: String)
    case passkey(name: String)
    /// A TV or app signed in with a code its owner approved on `/link` from a signed-in browser (RFC 8628).
    case deviceCode
    /// The password and a code mailed to the account (device verification, two-factor sign-in off).
    case passwordAndMailedCode

    public var description: String {
        switch self {
        case .password: "the password"
        case .passwordAndCode: "the password and an authenticator code"
        case .passwordAndRecoveryCode: "the password and a recovery code"
        case .passwordAndPasskey(let name): "the password and the passkey \u{201C}\(name)\u{201D}"
        case .passkey(let name): "the passkey \u{201C}\(name)\u{201D}"
        case .deviceCode: "a code approved on a signed-in browser"
        case .passwordAndMailedCode: "the password and a code mailed to the account"
        }
    }
}

/// Opaque bearer credentials with a readable prefix: `ghd_` for devices, `ghs_` for media servers.
///
/// 256 random bits; the hub keeps only the SHA-256 of the whole string.
public struct OpaqueToken: Sendable, Equatable {
    public let value: String

    public init(value: String) { self.value = value }

    /// A fresh token with `prefix` (for example `ghd`).
    public static func generate(prefix: String) -> OpaqueToken {
        OpaqueToken(value: prefix + "_" + Encoding.base64URL(SecureRandom.bytes(32)))
    }

    /// True when `value` looks like a token of `prefix` (cheap shape check before any lookup).
    public static func hasShape(_ value: String, prefix: String) -> Bool {
        value.hasPrefix(prefix + "_") && value.utf8.count == prefix.utf8.count + 1 + 43
    }
}
