import Foundation

/// The password check behind a signed-in session: re-authentication, password and e-mail changes, turning two-factor
/// sign-in off, admin actions.
///
/// A stolen device credential must not become a password oracle, so every check here spends the account's
/// sign-in budget (reserved before the hash is verified), is written to the security log when it fails, and,
/// with two-factor sign-in on, checks the code in the same answer: a wrong password and a wrong code look alike.
public struct PasswordConfirmation: Sendable {
    let env: HubEnvironment
    let secondFactors: TwoFactorService

    public init(environment: HubEnvironment, secondFactors: TwoFactorService) {
        self.env = environment
        self.secondFactors = secondFactors
    }

    /// Checks the account's password (and, when two-factor sign-in is on and `code` is given, the code) for a
    /// sensitive action, under the same per-account budget as sign-in. Throws ``Error/invalidCredentials`` on
    /// any mismatch and ``Error/throttled(seconds:)`` when the budget is spent.
    public func confirm(
        account: Account, password: String, code: String? = nil, caller: Caller, purpose: String,
        requireCodeWhenEnabled: Bool = true
    ) async throws {
        let now = env.clock.now()
        let session = env.store.autocommit
        let key = HubEnvironment.accountThrottleKey(accountID: account.id, identifier: account.username)
        let wait = try await session.reserveAttempt(key: key, policy: .perAccount, now: now)
        if wait > 0 {
            try await env.store.transaction { tx in
                try await tx.appendAudit(
                    AuditRecord(
                        accountID: account.id, kind: .signInThrottled, ipAddress: caller.ipAddress, detail: purpose),
                    at: now)
            }
            throw SignInService.Error.throttled(seconds: wait)
        }
        var passed = false
        if password.utf8.count <= PasswordText.maximumBytes,
            let stored = try await session.passwordHash(accountID: account.id)
        {
            passed = try await env.hasher.verify(PasswordText.normalize(password), against: stored).isValid
        } else {
            try await env.hasher.verifyDummy("")
        }
        if passed, requireCodeWhenEnabled, try await secondFactors.isEnabled(accountID: account.id) {
            if let code {
                passed = try await secondFactors.verifyCode(account: account, code: code, caller: caller)
            } else {
                passed = false
            }
        }
        guard passed else {
            try await env.store.transaction { tx in
                try await tx.appendAudit(
                    AuditRecord(
                        accountID: account.id, kind: .signInFailed, ipAddress: caller.ipAddress,
                        detail: "\(purpose): wrong password or code"), at: now)
            }
            throw SignInService.Error.invalidCredentials
        }
        try await session.clearThrottle(key: key)
    }

}
