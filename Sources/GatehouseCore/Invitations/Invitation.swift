import Foundation

/// Who may join the hub by the public sign-up form, decided by the operator (`--sign-up`, `GATEHOUSE_SIGN_UP`).
public enum SignUpMode: String, Sendable, CaseIterable {
    /// Anyone who can reach the hub signs up (with e-mail verification).
    case open
    /// Only with an invitation link made by an admin (or a member, when the operator allows it). The default.
    case invite
    /// Nobody joins by sign-up or invitation; operators create accounts with `gatehouse admin create`.
    case closed
}

/// A server section shared with whoever joins by an invitation (a section of a server the inviter owns).
public struct InvitationShare: Sendable, Equatable, Codable {
    public var serverID: String
    public var section: String

    public init(serverID: String, section: String) {
        self.serverID = serverID
        self.section = section
    }
}

/// An invitation to join the hub: a link (a `ghi_` secret, kept only as a keyed digest) usable a few times until it
/// expires or is revoked, optionally for one e-mail address, with shares the newcomer receives on joining.
public struct Invitation: Sendable, Equatable {
    public var id: String
    public var inviterID: String
    /// The address the invitation is bound to (nil: any address).
    public var email: String?
    public var maxUses: Int
    public var uses: Int
    public var shares: [InvitationShare]
    public var createdAt: Date
    public var expiresAt: Date
    public var revokedAt: Date?

    public init(
        id: String, inviterID: String, email: String?, maxUses: Int, uses: Int = 0, shares: [InvitationShare] = [],
        createdAt: Date, expiresAt: Date, revokedAt: Date? = nil
    ) {
        self.id = id
        self.inviterID = inviterID
        self.email = email
        self.maxUses = maxUses
        self.uses = uses
        self.shares = shares
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }

    /// Whether the invitation can still be accepted at `now`.
    public func isLive(at now: Date) -> Bool {
        revokedAt == nil && uses < maxUses && expiresAt > now
    }
}

/// Storage of invitations.
public protocol InvitationStore: Sendable {
    /// Stores a new invitation under the keyed digest of its secret.
    func insertInvitation(_ invitation: Invitation, digest: String) async throws
    /// The invitation with this digest, whatever its state.
    func invitation(digest: String) async throws -> Invitation?
    /// Invitations made by `inviterID` (every invitation when nil), newest first, at most `limit`.
    func invitations(inviterID: String?, limit: Int) async throws -> [Invitation]
    /// Revokes a live invitation (made by `inviterID`, or any when nil); false when none matched.
    func revokeInvitation(id: String, inviterID: String?, at: Date) async throws -> Bool
    /// Spends one use of the invitation, atomically: a conditional update that passes only while it has uses left,
    /// has not expired, was not revoked and (when bound) is for `emailKey`. Returns the invitation after the update,
    /// or nil when nothing was spent. Concurrent callers never spend more than `maxUses` in total.
    func claimInvitationUse(digest: String, emailKey: String, now: Date) async throws -> Invitation?
    /// How many admin accounts exist.
    func adminCount() async throws -> Int
}
