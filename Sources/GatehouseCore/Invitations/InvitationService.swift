import Foundation

/// Invitations: made by an admin (or a member when the operator allows it), delivered as a link (mailed, shown as a
/// QR code, or copied), and accepted by a newcomer through ``AccountService/admit(username:email:password:caller:admission:)``,
/// which spends one use in the transaction that creates the account.
public struct InvitationService: Sendable {
    public enum Error: PublicError, Equatable {
        case invalid
        case otherAddress
        case notAllowed
        case notFound
        case badRequest(String)

        public var status: Int {
            switch self {
            case .invalid: 410
            case .otherAddress, .notAllowed: 403
            case .notFound: 404
            case .badRequest: 422
            }
        }

        public var code: String {
            switch self {
            case .invalid: "invitation_invalid"
            case .otherAddress: "invitation_other_address"
            case .notAllowed: "invitations_not_allowed"
            case .notFound: "not_found"
            case .badRequest: "invalid_invitation"
            }
        }

        public var message: String {
            switch self {
            case .invalid:
                "This invitation link does not work: it was used up, revoked or has expired. Ask for a new one."
            case .otherAddress: "This invitation is for another e-mail address."
            case .notAllowed: "Only admins can invite people to this hub."
            case .notFound: "No such invitation."
            case .badRequest(let reason): reason
            }
        }
    }

    /// What a new invitation may be.
    public static let maximumUses = 100
    public static let maximumLifetime: TimeInterval = 30 * 86_400
    public static let minimumLifetime: TimeInterval = 60
    public static let defaultLifetime: TimeInterval = 7 * 86_400
    public static let maximumShares = 50
    /// Invitation mails an inviter may send: 20 an hour.
    public static let mailPolicy = ThrottlePolicy(freeAttempts: 20, baseDelay: 60, maximumDelay: 3_600, window: 3_600)

    /// A new invitation and its link (shown once; only a keyed digest is kept).
    public struct Created: Sendable {
        public var invitation: Invitation
        public var link: String
        public var token: String
    }

    let env: HubEnvironment

    public init(environment: HubEnvironment) {
        self.env = environment
    }

    /// The digest of an invitation secret, after the cheap shape checks.
    static func checkedDigest(_ token: String, env: HubEnvironment) throws -> String {
        guard token.utf8.count <= 128, token.hasPrefix("ghi_") else { throw Error.invalid }
        return env.digest(token)
    }

    /// Whether `account` may invite on this hub.
    public func mayInvite(_ account: Account) -> Bool {
        account.role == .admin || env.settings.membersCanInvite
    }

    /// Makes an invitation. `device` is the one asking (a recent sign-in or re-authentication is needed, as for
    /// the admins' other actions); nil only for the operators' CLI on the hub's machine. When `email` is given the
    /// invitation is bound to it and, with `send`, mailed to it.
    public func create(
        by inviter: Account, device: Device?, maxUses: Int, lifetime: TimeInterval, email: String?,
        shares: [InvitationShare], send: Bool, caller: Caller
    ) async throws -> Created {
        try CredentialScope.requireFullCredential()
        guard mayInvite(inviter) else { throw Error.notAllowed }
        if let device { try DeviceService(environment: env).requireRecentAuthentication(device) }
        guard env.settings.signUpMode != .closed else { throw AccountService.signUpClosed }
        guard (1...Self.maximumUses).contains(maxUses) else {
            throw Error.badRequest("An invitation has 1 to \(Self.maximumUses) uses.")
        }
        guard lifetime >= Self.minimumLifetime, lifetime <= Self.maximumLifetime else {
            throw Error.badRequest("An invitation expires within 30 days.")
        }
        let email = email?.trimmingCharacters(in: .whitespaces).nilIfEmpty
        if let email, let reason = AccountNames.validateEmail(email) { throw AccountService.Error.invalidEmail(reason) }
        if send, email == nil { throw Error.badRequest("Give the address to mail the invitation to.") }
        guard shares.count <= Self.maximumShares else {
            throw Error.badRequest("Share at most \(Self.maximumShares) sections in one invitation.")
        }
        let now = env.clock.now()
        let session = env.store.autocommit
        var checked: [InvitationShare] = []
        for share in shares {
            let section = share.section.trimmingCharacters(in: .whitespaces).clipped(toScalars: 100)
            guard !section.isEmpty, share.serverID.utf8.count <= 64,
                let server = try await session.server(id: share.serverID), server.ownerID == inviter.id
            else { throw Error.badRequest("You can share only sections of servers you own.") }
            let item = InvitationShare(serverID: server.id, section: section)
            if !checked.contains(item) { checked.append(item) }
        }
        if send {
            let wait = try await session.reserveAttempt(
                key: "invite-mail:" + inviter.id, policy: Self.mailPolicy, now: now)
            if wait > 0 { throw SignInService.Error.throttled(seconds: wait) }
        }
        let token = OpaqueToken.generate(prefix: "ghi")
        let invitation = Invitation(
            id: SecureRandom.identifier(), inviterID: inviter.id, email: email, maxUses: maxUses,
            shares: Array(checked),
            createdAt: now, expiresAt: now.addingTimeInterval(lifetime))
        let env = self.env
        try await env.store.transaction { tx in
            try await tx.insertInvitation(invitation, digest: env.digest(token.value))
            if send, let email {
                try await tx.enqueueMail(
                    env.mail.invitation(
                        to: email, inviter: inviter, token: token.value, expiresAt: invitation.expiresAt, now: now))
            }
            try await tx.appendAudit(
                AuditRecord(
                    accountID: inviter.id, kind: .invitationCreated, ipAddress: caller.ipAddress,
                    detail: "invitation \(invitation.id): \(maxUses) uses"
                        + (email.map { ", for \(MailComposer.mask($0))" } ?? "")
                        + (invitation.shares.isEmpty ? "" : ", \(invitation.shares.count) sections shared")), at: now)
        }
        return Created(invitation: invitation, link: env.mail.link("/join", token: token.value), token: token.value)
    }

    /// The invitations `account` may see: all of them for an admin, their own for a member.
    public func list(for account: Account, limit: Int = 200) async throws -> [Invitation] {
        try CredentialScope.requireFullCredential()
        guard mayInvite(account) else { throw Error.notAllowed }
        return try await env.store.autocommit.invitations(
            inviterID: account.role == .admin ? nil : account.id, limit: min(max(limit, 1), 500))
    }

    /// Revokes an invitation (any for an admin, their own for a member); its link stops working at once.
    public func revoke(id: String, by account: Account, device: Device?, caller: Caller) async throws {
        try CredentialScope.requireFullCredential()
        guard mayInvite(account) else { throw Error.notAllowed }
        if let device { try DeviceService(environment: env).requireRecentAuthentication(device) }
        guard id.utf8.count <= 64 else { throw Error.notFound }
        let now = env.clock.now()
        let env = self.env
        let revoked = try await env.store.transaction { tx -> Bool in
            guard
                try await tx.revokeInvitation(
                    id: id, inviterID: account.role == .admin ? nil : account.id, at: now)
            else { return false }
            try await tx.appendAudit(
                AuditRecord(
                    accountID: account.id, kind: .invitationRevoked, ipAddress: caller.ipAddress,
                    detail: "invitation \(id)"), at: now)
            return true
        }
        guard revoked else { throw Error.notFound }
    }

    /// What the invitation page may show before anyone types anything: who invited (nil when the link does not
    /// work). Nothing about the bound address or other accounts.
    public func preview(token: String) async throws -> (inviter: String, sections: Int)? {
        guard let digest = try? Self.checkedDigest(token, env: env),
            let invitation = try await env.store.autocommit.invitation(digest: digest),
            invitation.isLive(at: env.clock.now()), env.settings.signUpMode != .closed,
            let inviter = try await env.store.autocommit.account(id: invitation.inviterID)
        else { return nil }
        return (inviter.username, invitation.shares.count)
    }

    /// Accepts an invitation: the same rules as sign-up (names, password strength, the address's budget, the bounded
    /// hashing pool) and the same answer whether or not the address already has an account.
    @discardableResult
    public func accept(token: String, username: String, email: String, password: String, caller: Caller)
        async throws -> Account?
    {
        try await AccountService(environment: env).admit(
            username: username, email: email, password: password, caller: caller, admission: .invitation(token))
    }

    /// Gives the newcomer the invitation's shares, inside the transaction that created the account: only sections
    /// of servers the inviter still owns. Returns how many were shared.
    static func applyShares(_ invitation: Invitation, to account: Account, tx: any StoreTransaction, now: Date)
        async throws -> Int
    {
        var count = 0
        for share in invitation.shares {
            guard let server = try await tx.server(id: share.serverID), server.ownerID == invitation.inviterID else {
                continue
            }
            // Accepted by joining: the newcomer consented by accepting the invitation that named these shares.
            _ = try await tx.share(
                serverID: server.id, section: share.section, accountID: account.id, at: now, accepted: true)
            count += 1
        }
        return count
    }
}

extension String {
    fileprivate var nilIfEmpty: String? { isEmpty ? nil : self }
}
