import Foundation

/// A registered passkey: a WebAuthn credential's public half and what the hub tracks about it. No secret: the
/// private key never leaves the authenticator, so a copy of this row lets no one sign in.
public struct Passkey: Sendable, Equatable {
    /// The credential id, base64url (unpadded) as the browser gives it.
    public var id: String
    public var accountID: String
    /// A name the owner chose ("Laptop", "Phone"), shown in the security page and in mails.
    public var name: String
    /// The credential public key as COSE_Key bytes.
    public var publicKey: [UInt8]
    /// The COSE algorithm of the key (-7 ES256, -8 EdDSA, -257 RS256).
    public var algorithm: Int64
    /// The highest signature counter seen (0 for authenticators without one).
    public var signCount: Int64
    /// BE: a synced (multi-device) passkey.
    public var backupEligible: Bool
    /// BS: backed up at the last use.
    public var backupState: Bool
    /// Transport hints the client reported at registration.
    public var transports: [String]
    /// The authenticator model, hex (all zeros for most platform authenticators).
    public var aaguid: String
    public var createdAt: Date
    public var lastUsedAt: Date?

    public init(
        id: String, accountID: String, name: String, publicKey: [UInt8], algorithm: Int64, signCount: Int64,
        backupEligible: Bool, backupState: Bool, transports: [String], aaguid: String, createdAt: Date,
        lastUsedAt: Date? = nil
    ) {
        self.id = id
        self.accountID = accountID
        self.name = name
        self.publicKey = publicKey
        self.algorithm = algorithm
        self.signCount = signCount
        self.backupEligible = backupEligible
        self.backupState = backupState
        self.transports = transports
        self.aaguid = aaguid
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
    }
}

/// Storage of passkeys and of the per-account "passkey only" switch.
public protocol PasskeyStore: Sendable {
    /// Stores a new passkey; throws ``StoreError/conflict(field:)`` when the credential id is registered already.
    func insertPasskey(_ passkey: Passkey) async throws
    /// The passkey with this credential id, whatever its account.
    func passkey(credentialID: String) async throws -> Passkey?
    /// The account's passkeys, oldest first.
    func passkeys(accountID: String) async throws -> [Passkey]
    /// Deletes one of the account's passkeys; false when it has no such passkey.
    func deletePasskey(credentialID: String, accountID: String) async throws -> Bool
    /// Records a use: the counter (never lowered), the backup state and the time.
    func recordPasskeyUse(credentialID: String, signCount: Int64, backupState: Bool, at: Date) async throws
    /// True when the account signs in with passkeys only (password sign-in refused).
    func isPasskeyOnly(accountID: String) async throws -> Bool
    func setPasskeyOnly(accountID: String, _ enabled: Bool) async throws
}
