import Foundation

/// Password reset: self-service by mail, forced after an incident or a breached password.
///
/// Asking for a reset answers the same whether or not the account exists: the lookup and mail happen after the
/// answer, on a background task, so neither the body nor the time tells an outsider anything.
public struct RecoveryService: Sendable {
    /// Most reset mails per account per hour, so the form cannot be used to flood someone's inbox. The one window
    /// every reset-mail count uses.
    static let mailPolicy = ThrottlePolicy(freeAttempts: 5, baseDelay: 3_600, maximumDelay: 3_600, window: 3_600)
    /// Reset requests per address: 20 an hour, then one a minute doubling to one an hour.
    static let addressPolicy = ThrottlePolicy(freeAttempts: 20, baseDelay: 60, maximumDelay: 3_600, window: 3_600)

    let env: HubEnvironment

    public init(environment: HubEnvironment) {
        self.env = environment
    }

    /// Accepts a reset request. Returns at once; the mail (if any) is prepared on the hub's background queue
    /// (``BackgroundWork``), which bounds what a flood of requests can cost: when it is full the request is dropped,
    /// and the answer is the same.
    public func requestReset(identifier: String, caller: Caller) {
        // No account has a longer name or address: nothing to look up, and no job to queue for it.
        guard identifier.utf8.count <= AccountNames.maximumIdentifierBytes else { return }
        let service = self
        env.background.submit("reset request") {
            do {
                try await service.processResetRequest(identifier: identifier, caller: caller)
            } catch {
                service.env.logger.error("reset request failed: \(String(describing: type(of: error)))")
            }
        }
    }

    /// The work behind ``requestReset(identifier:caller:)``, exposed for tests and the CLI.
    public func processResetRequest(identifier: String, caller: Caller) async throws {
        let canonical = AccountNames.canonical(identifier)
        guard !canonical.isEmpty, canonical.utf8.count <= AccountNames.maximumIdentifierBytes else { return }
        let now = env.clock.now()
        // Per address, before the lookup: the answer is the same either way, this only bounds the work and mail.
        let wait = try await env.store.autocommit.reserveAttempt(
            key: "reset-ip:" + caller.addressKey, policy: Self.addressPolicy, now: now)
        guard wait == 0, let account = try await env.store.autocommit.account(identifier: canonical) else { return }
        await CanaryService.check(account, use: .passwordReset, caller: caller, environment: env)
        try await issueResetLink(account: account, caller: caller, forced: false)
    }

    /// Mails a reset link for an account flagged for reset (after its password was checked correct).
    public func sendForcedResetLink(account: Account, caller: Caller) async throws {
        try await issueResetLink(account: account, caller: caller, forced: true)
    }

    /// Flags an account whose password appeared in a breach corpus and mails it a reset link.
    public func flagBreachedPassword(account: Account, caller: Caller) async throws {
        let now = env.clock.now()
        var copy = account
        copy.isResetRequired = true
        let flagged = copy
        try await env.store.transaction { tx in
            try await tx.updateAccount(flagged)
            try await tx.appendAudit(
                AuditRecord(
                    accountID: account.id, kind: .resetRequired, ipAddress: caller.ipAddress,
                    detail: "password found in a breach corpus"), at: now)
        }
        env.cache.evict(accountID: account.id)
        try await issueResetLink(account: flagged, caller: caller, forced: true)
    }

    /// Mails a reset link, only ever to a verified address: an address nobody proved to own must not be able to
    /// take the account over.
    private func issueResetLink(account: Account, caller: Caller, forced: Bool) async throws {
        let now = env.clock.now()
        guard account.isEmailVerified else {
            env.logger.notice(
                "no reset link: the account's address is not verified", metadata: ["account": "\(account.id)"])
            return
        }
        let key = "reset-mail:" + account.id
        guard try await env.store.autocommit.reserveAttempt(key: key, policy: Self.mailPolicy, now: now) == 0 else {
            return
        }
        let token = OpaqueToken.generate(prefix: "ghr")
        let env = self.env
        try await env.store.transaction { tx in
            try await tx.issueToken(
                OneTimeToken(
                    purpose: .passwordReset, accountID: account.id, digest: env.digest(token.value), payload: "",
                    expiresAt: now.addingTimeInterval(env.settings.resetLifetime)))
            try await tx.enqueueMail(env.mail.passwordReset(to: account, token: token.value, now: now, forced: forced))
            try await tx.appendAudit(
                AuditRecord(
                    accountID: account.id, kind: .passwordResetRequested, ipAddress: caller.ipAddress,
                    detail: forced ? "forced" : "requested"), at: now)
        }
    }

    /// Whether a reset token is live (the reset page checks before showing the form).
    public func isValidResetToken(_ token: String) async throws -> Bool {
        try await env.store.autocommit.peekToken(
            purpose: .passwordReset, digest: env.digest(token), now: env.clock.now()) != nil
    }

    /// Sets a new password with a mailed token: the rules apply and it must differ from the old ones; every
    /// device is signed out; the reset flag clears. A second factor, when on, is still asked at the next sign-in.
    /// A passkey-only account is recovered with the mailed link *and* one of its recovery codes: the link alone
    /// (whoever reads the mailbox) does not bring password sign-in back.
    public static let recoveryCodeRequired = RequestError(
        status: 403, code: "recovery_code_required",
        message: "This account signs in with passkeys only. To reset its password, enter one of its recovery codes too."
    )
    /// Recovery codes tried per reset link.
    static let recoveryCodeAttempts = 5
    /// A locked account ("This wasn't me") with two-factor sign-in on is reset only with its second factor too:
    /// whoever reads the mailbox alone does not get the account back.
    public static let secondFactorRequired = RequestError(
        status: 403, code: "second_factor_required",
        message:
            "This account was locked. To reset its password, enter a code from your authenticator app or one of your recovery codes."
    )

    public func confirmReset(token: String, newPassword: String, caller: Caller, recoveryCode: String? = nil)
        async throws
    {
        guard token.utf8.count <= 128 else { throw AccountService.Error.invalidToken }
        let digest = env.digest(token)
        let now = env.clock.now()
        guard let stored = try await env.store.autocommit.peekToken(purpose: .passwordReset, digest: digest, now: now),
            let account = try await env.store.autocommit.account(id: stored.accountID)
        else { throw AccountService.Error.invalidToken }
        let passkeyOnly = try await env.store.autocommit.isPasskeyOnly(accountID: account.id)
        var recoveryCodeToSpend: String?
        if passkeyOnly {
            guard let recoveryCode, recoveryCode.utf8.count <= 64,
                let code = TwoFactorService.normalizeRecoveryCode(recoveryCode)
            else { throw Self.recoveryCodeRequired }
            // Each link allows a few codes, reserved before the check, so a stolen link cannot guess codes.
            guard
                try await env.store.autocommit.reserveTokenAttempt(
                    purpose: .passwordReset, digest: digest, limit: Self.recoveryCodeAttempts, now: now)
            else { throw AccountService.Error.invalidToken }
            recoveryCodeToSpend = code
        }
        // "This wasn't me" locked it: the reset needs the second factor when one is on (a TOTP code, or a recovery
        // code spent in the reset's transaction), with the attempts counted on the link before any check.
        var locked = false
        if account.isResetRequired { locked = try await env.store.autocommit.lockedAt(accountID: account.id) != nil }
        var lockRecoveryCode: String?
        var lockProof = ""
        if locked, !passkeyOnly, try await TwoFactorService(environment: env).isEnabled(accountID: account.id) {
            guard let code = recoveryCode, !code.isEmpty, code.utf8.count <= 64 else { throw Self.secondFactorRequired }
            guard
                try await env.store.autocommit.reserveTokenAttempt(
                    purpose: .passwordReset, digest: digest, limit: Self.recoveryCodeAttempts, now: now)
            else { throw AccountService.Error.invalidToken }
            let twoFactor = TwoFactorService(environment: env)
            if let recovery = TwoFactorService.normalizeRecoveryCode(code) {
                lockRecoveryCode = recovery
                lockProof = "a recovery code"
            } else if try await twoFactor.verifyCode(account: account, code: code, caller: caller) {
                lockProof = "an authenticator code"
            } else {
                throw Self.secondFactorRequired
            }
        } else if locked {
            lockProof = passkeyOnly ? "a recovery code" : "the mailed link"
        }
        let accounts = AccountService(environment: env)
        let normalized = try await accounts.validateNewPassword(newPassword, for: account)
        let hash = try await env.hasher.hash(normalized)
        let env = self.env
        let twoFactor = TwoFactorService(environment: env)
        let revoked = try await env.store.transaction {
            [recoveryCodeToSpend, lockRecoveryCode, lockProof, locked] tx -> [String]? in
            // The link first: a reset that lost the race for it changes nothing (throwing rolls back any code spent).
            guard try await tx.consumeToken(purpose: .passwordReset, digest: digest, now: now) != nil,
                var current = try await tx.account(id: account.id)
            else { throw AccountService.Error.invalidToken }
            // The account's failed sign-ins are forgotten. Throttle rows come before the security log in every
            // transaction (a sign-in takes them in that order), so that two transactions never wait on each other.
            try await tx.clearThrottle(
                key: HubEnvironment.accountThrottleKey(accountID: account.id, identifier: account.username))
            if let lockRecoveryCode {
                guard try await twoFactor.useRecoveryCode(lockRecoveryCode, accountID: account.id, at: now, in: tx)
                else {
                    throw Self.secondFactorRequired
                }
            }
            if locked {
                try await tx.unlockAccount(accountID: account.id)
                try await tx.appendAudit(
                    AuditRecord(
                        accountID: account.id, kind: .accountUnlocked, ipAddress: caller.ipAddress,
                        detail: "reset with \(lockProof)"), at: now)
            }
            if let recoveryCodeToSpend {
                guard try await twoFactor.useRecoveryCode(recoveryCodeToSpend, accountID: account.id, at: now, in: tx)
                else {
                    throw Self.recoveryCodeRequired
                }
                try await tx.setPasskeyOnly(accountID: account.id, false)
                try await tx.appendAudit(
                    AuditRecord(
                        accountID: account.id, kind: .passkeyOnlyChanged, ipAddress: caller.ipAddress,
                        detail: "off: reset with a recovery code"), at: now)
            }
            try await tx.voidTokens(purpose: .passwordReset, accountID: account.id)
            try await tx.voidTokens(purpose: .verifyEmail, accountID: account.id)
            try await tx.forgetKnownDevices(accountID: account.id)
            try await tx.setPasswordHash(accountID: account.id, hash: hash, at: now)
            current.isResetRequired = false
            try await tx.updateAccount(current)
            let revoked = try await tx.revokeDevices(accountID: account.id, keeping: nil, at: now)
            try await tx.enqueueMail(env.mail.passwordChanged(to: current, now: now, signedOutOthers: true))
            try await tx.appendAudit(
                AuditRecord(
                    accountID: account.id, kind: .passwordReset, ipAddress: caller.ipAddress,
                    detail: "devices signed out: \(revoked.count)"), at: now)
            return revoked
        }
        guard let revoked else { throw AccountService.Error.invalidToken }
        env.announce(Revocation(accountID: account.id, deviceIDs: revoked, allDevices: true, at: now))
    }
}
