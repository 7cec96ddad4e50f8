import Foundation

/// A recovery (or onboarding) link an admin issues for a member who lost their mailbox. Shown once to the admin (a
/// link and a QR code), valid at most 24 hours, single use, kept as a keyed digest. Opening it lets the member set
/// a new password and, optionally, a new address; when the member has a second factor the link needs it too (a
/// current TOTP code or a recovery code), so the admin alone cannot take the account over. Using it signs every
/// device out, writes the security log and mails the old address.
public struct AdminRecoveryLinkService: Sendable {
    public enum Error: PublicError, Equatable {
        case secondFactorRequired
        case passkeyOnly
        case notFound

        public var status: Int {
            switch self {
            case .secondFactorRequired: 403
            case .passkeyOnly: 409
            case .notFound: 404
            }
        }

        public var code: String {
            switch self {
            case .secondFactorRequired: "second_factor_required"
            case .passkeyOnly: "member_has_passkey"
            case .notFound: "not_found"
            }
        }

        public var message: String {
            switch self {
            case .secondFactorRequired: "Enter a current code from your authenticator app, or a recovery code."
            case .passkeyOnly:
                "This member signs in with a passkey and has no code-based second factor: they can sign in with the "
                    + "passkey and change their address themselves."
            case .notFound: "No such account."
            }
        }
    }

    /// The longest a recovery link lives.
    public static let maximumLifetime: TimeInterval = 86_400
    /// Second-factor guesses one link allows (each also spends the account's code budget).
    public static let codeAttempts = 5

    /// A link just issued (shown once).
    public struct Issued: Sendable {
        public var account: Account
        public var link: String
        public var expiresAt: Date
    }

    /// What the link's page shows before anything is typed.
    public struct Pending: Sendable {
        public var username: String
        public var needsSecondFactor: Bool
    }

    let env: HubEnvironment

    public init(environment: HubEnvironment) {
        self.env = environment
    }

    /// Issues a link for `identifier` (username or e-mail). `device` is the admin's (sudo needed); nil only for the
    /// operators' CLI on the hub's machine. A new link voids the member's previous one.
    public func issue(
        for identifier: String, by admin: Account, device: Device?, lifetime: TimeInterval = maximumLifetime,
        caller: Caller
    ) async throws -> Issued {
        try CredentialScope.requireFullCredential()
        let authorization = AdminAuthorization(environment: env)
        if let device {
            try authorization.authorizeChange(account: admin, device: device)
        } else {
            try authorization.requireAdmin(admin)
        }
        guard identifier.utf8.count <= AccountNames.maximumIdentifierBytes,
            let member = try await env.store.autocommit.account(identifier: identifier)
        else { throw Error.notFound }
        let hasTOTP = try await TwoFactorService(environment: env).isEnabled(accountID: member.id)
        if !hasTOTP, !(try await env.store.autocommit.passkeys(accountID: member.id)).isEmpty {
            throw Error.passkeyOnly
        }
        let now = env.clock.now()
        let expiresAt = now.addingTimeInterval(min(max(lifetime, 60), Self.maximumLifetime))
        let token = OpaqueToken.generate(prefix: "ghm")
        let env = self.env
        try await env.store.transaction { tx in
            try await tx.issueToken(
                OneTimeToken(
                    purpose: .adminRecovery, accountID: member.id, digest: env.digest(token.value), payload: admin.id,
                    expiresAt: expiresAt))
            try await tx.appendAudit(
                AuditRecord(
                    accountID: member.id, kind: .recoveryLinkIssued, ipAddress: caller.ipAddress,
                    detail: "by admin \(admin.username), valid until \(ISO8601DateFormatter().string(from: expiresAt))"),
                at: now)
            try await tx.appendAudit(
                AuditRecord(
                    accountID: admin.id, kind: .recoveryLinkIssued, ipAddress: caller.ipAddress,
                    detail: "for \(member.username)"), at: now)
        }
        return Issued(account: member, link: env.mail.link("/recover", token: token.value), expiresAt: expiresAt)
    }

    /// The member and whether a second factor is needed, for a live link; nil otherwise.
    public func pending(token: String) async throws -> Pending? {
        guard token.utf8.count <= 128, !token.isEmpty,
            let stored = try await env.store.autocommit.peekToken(
                purpose: .adminRecovery, digest: env.digest(token), now: env.clock.now()),
            let account = try await env.store.autocommit.account(id: stored.accountID)
        else { return nil }
        return Pending(
            username: account.username,
            needsSecondFactor: try await TwoFactorService(environment: env).isEnabled(accountID: account.id))
    }

    /// Uses the link: checks the second factor when the member has one (a few tries per link, each also under the
    /// account's code budget), sets the new password (the usual rules and history) and, when given, the new
    /// address (unverified until its mailed link is opened), signs every device out and mails the old address.
    public func complete(token: String, newPassword: String, newEmail: String?, code: String?, caller: Caller)
        async throws
    {
        guard token.utf8.count <= 128 else { throw AccountService.Error.invalidToken }
        let digest = env.digest(token)
        let now = env.clock.now()
        let session = env.store.autocommit
        guard let stored = try await session.peekToken(purpose: .adminRecovery, digest: digest, now: now),
            let account = try await session.account(id: stored.accountID)
        else { throw AccountService.Error.invalidToken }
        let newEmail = newEmail?.trimmingCharacters(in: .whitespaces).nonEmpty
        if let newEmail, let reason = AccountNames.validateEmail(newEmail) {
            throw AccountService.Error.invalidEmail(reason)
        }
        let twoFactor = TwoFactorService(environment: env)
        if try await twoFactor.isEnabled(accountID: account.id) {
            guard let code, !code.isEmpty else { throw Error.secondFactorRequired }
            guard
                try await session.reserveTokenAttempt(
                    purpose: .adminRecovery, digest: digest, limit: Self.codeAttempts, now: now)
            else { throw AccountService.Error.invalidToken }
            guard try await twoFactor.verifyCodeOrRecoveryCode(account: account, code: code, caller: caller) else {
                throw Error.secondFactorRequired
            }
        }
        let accounts = AccountService(environment: env)
        let normalized = try await accounts.validateNewPassword(newPassword, for: account)
        let hash = try await env.hasher.hash(normalized)
        let admin = try await session.account(id: stored.payload)
        let verification = OpaqueToken.generate(prefix: "ghv")
        let env = self.env
        let revoked: [String]?
        do {
            revoked = try await env.store.transaction { tx -> [String]? in
                guard try await tx.consumeToken(purpose: .adminRecovery, digest: digest, now: now) != nil,
                    var current = try await tx.account(id: account.id)
                else { return nil }
                // Throttle rows first (ThrottleStore's lock order): a sign-in settling them then creating its
                // device must never wait on this transaction's account row while it waits on theirs.
                try await tx.clearThrottle(
                    key: HubEnvironment.accountThrottleKey(accountID: account.id, identifier: account.username))
                let oldAddress = current.email
                if let newEmail, AccountNames.canonical(newEmail) != AccountNames.canonical(oldAddress) {
                    if try await tx.isAddressHeldForRevert(newEmail, now: now) {
                        throw StoreError.conflict(field: "email")
                    }
                    current.email = newEmail
                    current.isEmailVerified = false
                }
                current.isResetRequired = false
                try await tx.updateAccount(current)
                try await tx.setPasswordHash(accountID: account.id, hash: hash, at: now)
                for purpose in [OneTimeToken.Purpose.passwordReset, .verifyEmail, .emailRevert] {
                    try await tx.voidTokens(purpose: purpose, accountID: account.id)
                }
                try await tx.forgetKnownDevices(accountID: account.id)
                let revoked = try await tx.revokeDevices(accountID: account.id, keeping: nil, at: now)
                let changedAddress = current.email != oldAddress ? current.email : nil
                if changedAddress != nil {
                    try await tx.issueToken(
                        OneTimeToken(
                            purpose: .verifyEmail, accountID: account.id, digest: env.digest(verification.value),
                            payload: current.email, expiresAt: now.addingTimeInterval(env.settings.verificationLifetime)
                        ))
                    try await tx.enqueueMail(env.mail.verifyEmail(to: current, token: verification.value, now: now))
                }
                try await tx.enqueueMail(
                    env.mail.adminRecoveryUsed(
                        to: oldAddress, account: current, admin: admin?.username ?? "an administrator",
                        newAddress: changedAddress, now: now))
                try await tx.appendAudit(
                    AuditRecord(
                        accountID: account.id, kind: .recoveryLinkUsed, ipAddress: caller.ipAddress,
                        detail: "password set"
                            + (changedAddress.map { ", address now \(MailComposer.mask($0))" } ?? "")
                            + "; devices signed out: \(revoked.count)"), at: now)
                return revoked
            }
        } catch StoreError.conflict {
            throw AccountService.Error.taken
        }
        guard let revoked else { throw AccountService.Error.invalidToken }
        env.cache.evict(accountID: account.id)
        env.announce(Revocation(accountID: account.id, deviceIDs: revoked, allDevices: true, at: now))
    }
}

extension String {
    fileprivate var nonEmpty: String? { isEmpty ? nil : self }
}
