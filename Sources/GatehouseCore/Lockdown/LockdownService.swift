import Foundation

/// "This wasn't me": the link in every security mail locks the account.
///
/// Locking signs out every device, app password and profile session, forgets known devices, voids pending
/// sign-in challenges and links, flags the account for a reset and refuses every sign-in (password, passkey,
/// device code) until a reset is completed — with the second factor (or a recovery code) when one is on — and
/// tells the admins. The page behind the link asks for nothing secret: a link that only *removes* access is
/// worthless to a phisher, and it cannot be turned into a takeover.
public struct LockdownService: Sendable {
    public enum Error: PublicError, Equatable {
        /// Malformed, forged, expired or for an account that is gone: one answer for all.
        case invalidLink
        case alreadyUsed

        public var status: Int {
            switch self {
            case .invalidLink: 400
            case .alreadyUsed: 409
            }
        }

        public var code: String {
            switch self {
            case .invalidLink: "invalid_link"
            case .alreadyUsed: "link_used"
            }
        }

        public var message: String {
            switch self {
            case .invalidLink:
                "This link is not valid or has expired. If you think someone else is using your account, reset your password from the sign-in page."
            case .alreadyUsed: "This link was already used. The account was locked then."
            }
        }
    }

    /// What a link leads to, for the page shown before anything is done.
    public struct LinkSummary: Sendable, Equatable {
        public var username: String
        public var alreadyLocked: Bool
    }

    let env: HubEnvironment
    let recovery: RecoveryService

    public init(environment: HubEnvironment, recovery: RecoveryService) {
        self.env = environment
        self.recovery = recovery
    }

    /// Reads a link without using it (the confirmation page; mail scanners that open links change nothing).
    public func inspect(token: String) async throws -> LinkSummary {
        guard let signer = env.mail.lockLinks, let claims = signer.open(token, now: env.clock.now()),
            let account = try await env.store.autocommit.account(id: claims.accountID)
        else { throw Error.invalidLink }
        return LinkSummary(
            username: account.username,
            alreadyLocked: try await env.store.autocommit.lockedAt(accountID: account.id) != nil)
    }

    /// Uses a link: locks the account once. Returns how many credentials were signed out.
    @discardableResult
    public func lock(token: String, caller: Caller) async throws -> Int {
        let now = env.clock.now()
        guard let signer = env.mail.lockLinks, let claims = signer.open(token, now: now),
            let account = try await env.store.autocommit.account(id: claims.accountID)
        else { throw Error.invalidLink }
        let env = self.env
        let (flagged, revoked) = try await env.store.transaction { tx -> (Account, [String]) in
            guard try await tx.useLockLink(id: claims.linkID, accountID: account.id, at: now) else {
                throw Error.alreadyUsed
            }
            guard var current = try await tx.account(id: account.id) else { throw Error.invalidLink }
            try await tx.lockAccount(accountID: account.id, reason: "this wasn't me", at: now)
            current.isResetRequired = true
            try await tx.updateAccount(current)
            let revoked = try await tx.revokeDevices(accountID: account.id, keeping: nil, at: now)
            try await tx.forgetKnownDevices(accountID: account.id)
            for purpose in [OneTimeToken.Purpose.signInChallenge, .passwordReset, .verifyEmail] {
                try await tx.voidTokens(purpose: purpose, accountID: account.id)
            }
            try await tx.appendAudit(
                AuditRecord(
                    accountID: account.id, kind: .accountLocked, ipAddress: caller.ipAddress,
                    detail: "locked from a \"This wasn't me\" link; credentials signed out: \(revoked.count)"),
                at: now)
            try await tx.enqueueMail(env.mail.accountLocked(to: current, now: now))
            return (current, revoked)
        }
        env.announce(Revocation(accountID: account.id, deviceIDs: revoked, allDevices: true, at: now))
        await OperatorAlert.record(
            .accountLocked, detail: "account \(account.id) locked by its owner", caller: caller, now: now,
            environment: env
        ) { admin in env.mail.accountLockedAlert(to: admin, username: flagged.username, now: now) }
        // The way back: a reset link to the verified address (the reset asks for the second factor too).
        try? await recovery.sendForcedResetLink(account: flagged, caller: caller)
        return revoked.count
    }
}
