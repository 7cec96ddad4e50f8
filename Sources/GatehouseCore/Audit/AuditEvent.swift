import Crypto
import Foundation
import GatehouseBasics

/// One entry of the append-only security log. Entries of one account form a hash chain: each entry's hash
/// covers its fields and the previous entry's hash, so an edit or a deletion shows up in ``AuditChain/verify``.
public struct AuditEvent: Sendable, Equatable, Codable {
    /// Kinds of security event.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case accountCreated = "account.created"
        case emailVerified = "email.verified"
        case emailChanged = "email.changed"
        case emailChangeRequested = "email.change_requested"
        case emailChangeReverted = "email.change_reverted"
        case signUpAttempted = "account.signup_attempted"
        case signIn = "signin.succeeded"
        case signInFailed = "signin.failed"
        case signInThrottled = "signin.throttled"
        case deviceRevoked = "device.revoked"
        case signedOutEverywhere = "devices.signed_out_all"
        case passwordChanged = "password.changed"
        case passwordRehashed = "password.rehashed"
        case passwordResetRequested = "password.reset_requested"
        case passwordReset = "password.reset"
        case resetRequired = "password.reset_required"
        case twoFactorEnabled = "2fa.enabled"
        case twoFactorDisabled = "2fa.disabled"
        case twoFactorFailed = "2fa.failed"
        case recoveryCodeUsed = "2fa.recovery_code_used"
        case recoveryCodesRegenerated = "2fa.recovery_codes_regenerated"
        case reauthenticated = "sudo.granted"
        case antiPhishingPhraseChanged = "mail.phrase_changed"
        case roleChanged = "account.role_changed"
        case serverClaimed = "server.claimed"
        case serverRemoved = "server.removed"
        case serverUpdate = "server.update"
        /// Shares: offered by the owner, taken back (owner's chain), accepted or declined (recipient's chain).
        case serverShared = "server.shared"
        case serverUnshared = "server.unshared"
        case shareAccepted = "server.share_accepted"
        case shareDeclined = "server.share_declined"
        case incidentApplied = "incident.applied"
        case passkeyAdded = "passkey.added"
        case passkeyRemoved = "passkey.removed"
        case passkeyPossibleClone = "passkey.possible_clone"
        case passkeyOnlyChanged = "passkey.only_changed"
        case appPasswordCreated = "app_password.created"
        case appPasswordRevoked = "app_password.revoked"
        /// A device code (`/link`) was approved or denied, or a code typed there matched nothing.
        case deviceLinkApproved = "device_link.approved"
        case deviceLinkDenied = "device_link.denied"
        case deviceLinkFailed = "device_link.unknown_code"
        /// Someone used a canary account: a copy of the database is in use (written on the system chain).
        case canaryTripped = "canary.tripped"
        /// The hub-wide breaker opened: a credential-stuffing wave (system chain).
        case stuffingWave = "signin.stuffing_wave"
        /// Managed profiles: created, changed (name, restrictions or PIN), deleted; a device switched to one, or
        /// a PIN typed for one was wrong.
        case profileCreated = "profile.created"
        case profileChanged = "profile.changed"
        case profileDeleted = "profile.deleted"
        case profileSwitched = "profile.switched"
        case profilePINFailed = "profile.pin_failed"
        /// Invitations: made, revoked (on the inviter's chain), and used to join (on the newcomer's chain).
        case invitationCreated = "invitation.created"
        case invitationRevoked = "invitation.revoked"
        case joinedByInvitation = "account.joined_by_invitation"
        /// The first admin was created with the setup link printed at the hub's first start.
        case adminSetUp = "account.admin_set_up"
        /// An admin issued a recovery link for a member (on both chains), and the member used it.
        case recoveryLinkIssued = "account.recovery_link_issued"
        case recoveryLinkUsed = "account.recovery_link_used"
        /// The owner answered a security mail with "This wasn't me": the account is locked.
        case accountLocked = "account.locked"
        /// A locked account was reset with its second factor and unlocked.
        case accountUnlocked = "account.unlocked"
        /// A sign-in code was mailed for a device never seen on the account (device verification).
        case deviceCodeMailed = "signin.device_code_mailed"
    }

    /// The chain an event with no known account belongs to (for example a failed sign-in for an unknown name).
    public static let systemChain = "-"

    public var id: Int64
    public var chain: String
    public var kind: String
    public var ipAddress: String
    public var detail: String
    public var createdAt: Date
    public var previousHash: String
    public var hash: String

    public init(
        id: Int64, chain: String, kind: String, ipAddress: String, detail: String, createdAt: Date,
        previousHash: String, hash: String
    ) {
        self.id = id
        self.chain = chain
        self.kind = kind
        self.ipAddress = ipAddress
        self.detail = detail
        self.createdAt = createdAt
        self.previousHash = previousHash
        self.hash = hash
    }
}

/// What a service asks to record; the store assigns id and chain hashes.
public struct AuditRecord: Sendable, Equatable {
    public var accountID: String?
    public var kind: AuditEvent.Kind
    public var ipAddress: String
    public var detail: String

    public init(accountID: String?, kind: AuditEvent.Kind, ipAddress: String, detail: String = "") {
        self.accountID = accountID
        self.kind = kind
        self.ipAddress = ipAddress
        self.detail = detail
    }
}

/// The hash-chain rule, shared by the store (to write) and by `gatehouse audit verify` (to check).
public enum AuditChain {
    /// The previous-hash of a chain's first entry.
    public static let genesis = String(repeating: "0", count: 64)

    /// The prefix of a keyed entry's hash: `m1:` and the HMAC-SHA-256, under ``keyPurpose``, of the same fields.
    public static let keyedPrefix = "m1:"
    /// The keyring purpose the chain key is derived for (``Keyring/derivedKey(purpose:)``).
    public static let keyPurpose = "audit chain"
    /// The `hub_facts` row naming the last entry written before chains were keyed (migration 19): every later entry
    /// must be keyed.
    public static let keyedAfterFact = "audit_keyed_after"

    static func fields(
        chain: String, kind: String, ipAddress: String, detail: String, createdAt: Date, previousHash: String
    ) -> [UInt8] {
        var bytes: [UInt8] = []
        for field in [chain, kind, ipAddress, detail, String(createdAt.epochSeconds), previousHash] {
            let utf8 = Array(field.utf8)
            withUnsafeBytes(of: UInt32(utf8.count).bigEndian) { bytes += $0 }
            bytes += utf8
        }
        return bytes
    }

    /// The plain hash of an entry with these fields (entries written before the cut-over, and stores without a key).
    public static func hash(
        chain: String, kind: String, ipAddress: String, detail: String, createdAt: Date, previousHash: String
    ) -> String {
        Encoding.hex(
            SHA256.hash(
                data: fields(
                    chain: chain, kind: kind, ipAddress: ipAddress, detail: detail, createdAt: createdAt,
                    previousHash: previousHash)))
    }

    /// The keyed hash of an entry: someone who can write the database but lacks the keyring cannot recompute it.
    public static func mac(
        key: SymmetricKey, chain: String, kind: String, ipAddress: String, detail: String, createdAt: Date,
        previousHash: String
    ) -> String {
        keyedPrefix
            + Encoding.hex(
                HMAC<SHA256>.authenticationCode(
                    for: fields(
                        chain: chain, kind: kind, ipAddress: ipAddress, detail: detail, createdAt: createdAt,
                        previousHash: previousHash), using: key))
    }

    /// A problem found in a chain.
    public struct Break: Sendable, Equatable, CustomStringConvertible {
        public let eventID: Int64
        public let reason: String
        public var description: String { "event \(eventID): \(reason)" }
    }

    /// Checks a chain's events (oldest first); nil when intact.
    ///
    /// With `key`, keyed entries (`m1:`) are checked under it, and every entry after `keyedAfter` (the cut-over, see
    /// ``keyedAfterFact``) must be keyed, as must every entry after a keyed one: a rewrite without the keyring shows.
    /// Without `key`, only plain entries can be checked.
    public static func verify(_ events: [AuditEvent], key: SymmetricKey? = nil, keyedAfter: Int64? = nil) -> Break? {
        var previous = genesis
        var keyedSeen = false
        for event in events {
            guard event.previousHash == previous else {
                return Break(eventID: event.id, reason: "previous hash does not match (an entry is missing or moved)")
            }
            let keyed = event.hash.hasPrefix(keyedPrefix)
            if !keyed && (keyedSeen || (keyedAfter.map { event.id > $0 } ?? false)) {
                return Break(
                    eventID: event.id,
                    reason: "unkeyed entry where only keyed ones are written (rewritten without the keyring)")
            }
            let expected: String
            if keyed {
                guard let key else {
                    return Break(eventID: event.id, reason: "keyed entry, and no key to check it with")
                }
                expected = mac(
                    key: key, chain: event.chain, kind: event.kind, ipAddress: event.ipAddress, detail: event.detail,
                    createdAt: event.createdAt, previousHash: event.previousHash)
            } else {
                expected = hash(
                    chain: event.chain, kind: event.kind, ipAddress: event.ipAddress, detail: event.detail,
                    createdAt: event.createdAt, previousHash: event.previousHash)
            }
            guard ConstantTime.equals(expected, event.hash) else {
                return Break(eventID: event.id, reason: "contents do not match the hash (the entry was edited)")
            }
            keyedSeen = keyedSeen || keyed
            previous = event.hash
        }
        return nil
    }
}

/// The append-only security log.
public protocol AuditStore: Sendable {
    /// Appends a record to its account's chain (must run inside a transaction).
    func appendAudit(_ record: AuditRecord, at: Date) async throws
    /// Appends the same event to many chains in a few statements (an incident's batch; inside a transaction).
    func appendAudit(kind: AuditEvent.Kind, detail: String, ipAddress: String, toChains chains: [String], at: Date)
        async throws
    /// The newest events of an account's chain, newest first.
    func auditEvents(chain: String, limit: Int) async throws -> [AuditEvent]
    /// A whole chain, oldest first.
    func auditChain(_ chain: String) async throws -> [AuditEvent]
    /// Every chain name (for a full verification).
    func auditChains() async throws -> [String]
    /// The last entry written before chains were keyed (``AuditChain/keyedAfterFact``), if the database says.
    func auditKeyedAfter() async throws -> Int64?
    /// Every chain's newest entry and length, read in one snapshot (for a checkpoint).
    func auditHeads() async throws -> [AuditCheckpoint.Head]
    /// Stores a signed checkpoint.
    func saveAuditCheckpoint(_ checkpoint: AuditCheckpoint) async throws
    /// The newest stored checkpoint's note, if any.
    func latestAuditCheckpoint() async throws -> String?
}
