import Foundation

/// Registration, email verification and changes to an account's password and email.
public struct AccountService: Sendable {
    public enum Error: PublicError, Equatable {
        case invalidUsername(String)
        case invalidEmail(String)
        case taken
        case invalidToken
        case wrongPassword
        case reauthenticationRequired
        case passwordUnchanged

        public var status: Int {
            switch self {
            case .invalidUsername, .invalidEmail, .passwordUnchanged: 422
            case .taken: 409
            case .invalidToken: 400
            case .wrongPassword: 403
            case .reauthenticationRequired: 403
            }
        }

        public var code: String {
            switch self {
            case .invalidUsername: "invalid_username"
            case .invalidEmail: "invalid_email"
            case .taken: "account_exists"
            case .invalidToken: "invalid_token"
            case .wrongPassword: "wrong_password"
            case .reauthenticationRequired: "reauthentication_required"
            case .passwordUnchanged: "password_unchanged"
            }
        }

        public var message: String {
            switch self {
            case .invalidUsername(let reason), .invalidEmail(let reason): reason
            case .taken: "That username or email cannot be used. Choose another, or sign in."
            case .invalidToken: "This link is invalid or has expired. Ask for a new one."
            case .wrongPassword: "The current password is not correct."
            case .reauthenticationRequired: "Confirm your password (and second factor) to continue."
            case .passwordUnchanged: "Choose a password you have not used recently."
            }
        }
    }

    let env: HubEnvironment

    public init(environment: HubEnvironment) {
        self.env = environment
    }

    /// Creates an account and mails a verification link.
    public func register(username: String, email: String, password: String, caller: Caller, role: Account.Role? = nil)
        async throws -> Account
    {
        let username = username.trimmingCharacters(in: .whitespaces)
        let email = email.trimmingCharacters(in: .whitespaces)
        if let reason = AccountNames.validateUsername(username) { throw Error.invalidUsername(reason) }
        if let reason = AccountNames.validateEmail(email) { throw Error.invalidEmail(reason) }
        let normalized = PasswordText.normalize(password)
        let problems = try await env.rules.problems(password: normalized, context: [username, email])
        if !problems.isEmpty { throw PasswordRejected(problems: problems) }
        let hash = try await env.hasher.hash(normalized)
        let now = env.clock.now()
        let token = OpaqueToken.generate(prefix: "ghv")
        let env = self.env
        do {
            return try await env.store.transaction { tx in
                var assignedRole = role ?? .user
                if role == nil, env.settings.firstAccountIsAdmin, try await tx.accountCount() == 0 {
                    assignedRole = .admin
                }
                let account = Account(
                    id: SecureRandom.identifier(), username: username, email: email, role: assignedRole, createdAt: now)
                try await tx.insertAccount(account, passwordHash: hash)
                try await tx.issueToken(
                    OneTimeToken(
                        purpose: .verifyEmail, accountID: account.id, digest: token.digest, payload: email,
                        expiresAt: now.addingTimeInterval(env.settings.verificationLifetime)))
                try await tx.enqueueMail(env.mail.verifyEmail(to: account, token: token.value, now: now))
                try await tx.appendAudit(
                    AuditRecord(accountID: account.id, kind: .accountCreated, ipAddress: caller.ipAddress), at: now)
                return account
            }
        } catch StoreError.conflict {
            throw Error.taken
        }
    }

    /// Confirms an email address with the mailed token.
    public func verifyEmail(token: String, caller: Caller) async throws -> Account {
        let digest = Digest.sha256Hex(token)
        let now = env.clock.now()
        let env = self.env
        let account = try await env.store.transaction { tx -> Account? in
            guard let stored = try await tx.consumeToken(purpose: .verifyEmail, digest: digest, now: now),
                var account = try await tx.account(id: stored.accountID),
                account.email == stored.payload
            else { return nil }
            account.isEmailVerified = true
            try await tx.updateAccount(account)
            try await tx.appendAudit(
                AuditRecord(accountID: account.id, kind: .emailVerified, ipAddress: caller.ipAddress), at: now)
            return account
        }
        guard let account else { throw Error.invalidToken }
        env.cache.evict(accountID: account.id)
        return account
    }

    /// Sends a fresh verification link (the old one stops working).
    public func resendVerification(account: Account) async throws {
        guard !account.isEmailVerified else { return }
        let now = env.clock.now()
        let token = OpaqueToken.generate(prefix: "ghv")
        let env = self.env
        try await env.store.transaction { tx in
            try await tx.issueToken(
                OneTimeToken(
                    purpose: .verifyEmail, accountID: account.id, digest: token.digest, payload: account.email,
                    expiresAt: now.addingTimeInterval(env.settings.verificationLifetime)))
            try await tx.enqueueMail(env.mail.verifyEmail(to: account, token: token.value, now: now))
        }
    }

    /// Checks a password against the account's stored hash (for re-authentication and sensitive changes).
    public func checkPassword(account: Account, password: String) async throws -> Bool {
        guard let stored = try await env.store.session.passwordHash(accountID: account.id) else { return false }
        return try await env.hasher.verify(PasswordText.normalize(password), against: stored).isValid
    }

    /// Validates a new password against the rules and the account's history.
    public func validateNewPassword(_ password: String, for account: Account) async throws -> String {
        let normalized = PasswordText.normalize(password)
        let problems = try await env.rules.problems(password: normalized, context: [account.username, account.email])
        if !problems.isEmpty { throw PasswordRejected(problems: problems) }
        var previous = try await env.store.session.passwordHistory(
            accountID: account.id, limit: env.settings.passwordHistoryDepth)
        if let current = try await env.store.session.passwordHash(accountID: account.id) {
            previous.insert(current, at: 0)
        }
        for old in previous where try await env.hasher.verify(normalized, against: old).isValid {
            throw Error.passwordUnchanged
        }
        return normalized
    }

    /// Changes the password after checking the current one. Signs out every other device unless asked not to.
    public func changePassword(
        account: Account, currentPassword: String, newPassword: String, signOutOtherDevices: Bool, caller: Caller
    ) async throws {
        guard try await checkPassword(account: account, password: currentPassword) else {
            try await audit(account.id, .signInFailed, caller, detail: "password change: wrong current password")
            throw Error.wrongPassword
        }
        let normalized = try await validateNewPassword(newPassword, for: account)
        let hash = try await env.hasher.hash(normalized)
        let now = env.clock.now()
        let env = self.env
        let revoked = try await env.store.transaction { tx -> [String] in
            try await tx.setPasswordHash(accountID: account.id, hash: hash, at: now)
            var revoked: [String] = []
            if signOutOtherDevices {
                revoked = try await tx.revokeDevices(accountID: account.id, keeping: caller.deviceID, at: now)
            }
            try await tx.enqueueMail(env.mail.passwordChanged(to: account, now: now, signedOutOthers: signOutOtherDevices))
            try await tx.appendAudit(
                AuditRecord(
                    accountID: account.id, kind: .passwordChanged, ipAddress: caller.ipAddress,
                    detail: signOutOtherDevices ? "other devices signed out: \(revoked.count)" : ""), at: now)
            return revoked
        }
        if !revoked.isEmpty {
            env.announce(Revocation(accountID: account.id, deviceIDs: revoked, allDevices: false, at: now))
        }
    }

    /// Changes the email after checking the password; tells the old address and asks to verify the new one.
    public func changeEmail(account: Account, password: String, newEmail: String, caller: Caller) async throws
        -> Account
    {
        let newEmail = newEmail.trimmingCharacters(in: .whitespaces)
        if let reason = AccountNames.validateEmail(newEmail) { throw Error.invalidEmail(reason) }
        guard try await checkPassword(account: account, password: password) else { throw Error.wrongPassword }
        let now = env.clock.now()
        let token = OpaqueToken.generate(prefix: "ghv")
        let env = self.env
        do {
            let updated = try await env.store.transaction { tx -> Account in
                var updated = account
                updated.email = newEmail
                updated.isEmailVerified = false
                try await tx.updateAccount(updated)
                try await tx.issueToken(
                    OneTimeToken(
                        purpose: .verifyEmail, accountID: account.id, digest: token.digest, payload: newEmail,
                        expiresAt: now.addingTimeInterval(env.settings.verificationLifetime)))
                try await tx.enqueueMail(env.mail.emailChanged(to: account.email, account: updated, now: now))
                try await tx.enqueueMail(env.mail.verifyEmail(to: updated, token: token.value, now: now))
                try await tx.appendAudit(
                    AuditRecord(
                        accountID: account.id, kind: .emailChanged, ipAddress: caller.ipAddress,
                        detail: "from \(MailComposer.mask(account.email)) to \(MailComposer.mask(newEmail))"), at: now)
                return updated
            }
            env.cache.evict(accountID: account.id)
            return updated
        } catch StoreError.conflict {
            throw Error.taken
        }
    }

    /// Sets or clears the anti-phishing phrase shown in every mail.
    public func setAntiPhishingPhrase(account: Account, phrase: String?, caller: Caller) async throws -> Account {
        let trimmed = phrase?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let trimmed, trimmed.count > 64 {
            throw RequestError(status: 422, code: "invalid_phrase", message: "Use at most 64 characters.")
        }
        let now = env.clock.now()
        let env = self.env
        let updated = try await env.store.transaction { tx -> Account in
            var updated = account
            updated.antiPhishingPhrase = (trimmed?.isEmpty ?? true) ? nil : trimmed
            try await tx.updateAccount(updated)
            try await tx.appendAudit(
                AuditRecord(accountID: account.id, kind: .antiPhishingPhraseChanged, ipAddress: caller.ipAddress),
                at: now)
            return updated
        }
        env.cache.evict(accountID: account.id)
        return updated
    }

    private func audit(_ accountID: String, _ kind: AuditEvent.Kind, _ caller: Caller, detail: String = "")
        async throws
    {
        let now = env.clock.now()
        try await env.store.transaction { tx in
            try await tx.appendAudit(
                AuditRecord(accountID: accountID, kind: kind, ipAddress: caller.ipAddress, detail: detail), at: now)
        }
    }
}
