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
    let confirmation: PasswordConfirmation
    let secondFactors: TwoFactorService

    public init(environment: HubEnvironment) {
        self.env = environment
        self.secondFactors = TwoFactorService(environment: environment)
        self.confirmation = PasswordConfirmation(environment: environment, secondFactors: secondFactors)
    }

    /// The account as stored now (a request's identity may predate a change made during it).
    public func current(_ account: Account) async throws -> Account {
        try await env.store.autocommit.account(id: account.id) ?? account
    }

    /// The account named by a username or address (any case), for operators' commands; nil when there is none.
    public func find(identifier: String) async throws -> Account? {
        guard identifier.utf8.count <= AccountNames.maximumIdentifierBytes else { return nil }
        return try await env.store.autocommit.account(identifier: identifier)
    }

    /// Sign-ups per address: 10 an hour, then one a minute doubling to one an hour.
    public static let signUpAddressPolicy = ThrottlePolicy(
        freeAttempts: 10, baseDelay: 60, maximumDelay: 3_600, window: 3_600)
    /// Mails about sign-ups and verification to one address: 3 an hour.
    public static let signUpMailPolicy = ThrottlePolicy(
        freeAttempts: 3, baseDelay: 3_600, maximumDelay: 3_600, window: 3_600)
    /// What every accepted sign-up answers, whether or not the username or address was free.
    public static let signUpAcceptedMessage =
        "Check your mail: we sent the next step to the address you gave. It expires in 24 hours."

    /// How someone comes to have an account: the public form, an operator (CLI), an invitation link, or the
    /// one-time setup link of a hub without an admin.
    public enum Admission: Sendable {
        case publicSignUp
        case operatorCreated(Account.Role)
        /// The `ghi_` secret of an invitation link.
        case invitation(String)
        /// The setup link's secret, the TOTP enrolment proved with a code (secret, matching step) and the
        /// recovery codes shown to the new admin (stored as digests keyed to the new account).
        case setup(token: String, totpSecret: [UInt8], step: Int64, recoveryCodes: [String])
    }

    /// The public sign-up is not open on this hub. Says nothing about any account.
    public static let signUpClosed = RequestError(
        status: 403, code: "sign_up_closed",
        message: "This hub does not take sign-ups. Ask the person who runs it for an invitation link.")

    /// Accepts a sign-up. The answer is the same whether or not the username or the address is taken: a new
    /// account gets its verification link, the owner of a taken address is told someone tried, and a taken
    /// username is explained to the address given. Nothing tells an outsider who has an account.
    ///
    /// Returns the new account when one was created (for the operators' CLI and tests; routes show nothing of it).
    @discardableResult
    public func register(username: String, email: String, password: String, caller: Caller, role: Account.Role? = nil)
        async throws -> Account?
    {
        try await admit(
            username: username, email: email, password: password, caller: caller,
            admission: role.map { .operatorCreated($0) } ?? .publicSignUp)
    }

    /// Creates an account, for every way in (``Admission``): one set of rules for names, addresses, passwords, the
    /// per-address budget and the bounded hashing pool. The sign-up mode is enforced here, so the API, the pages
    /// and any later entry point get it.
    @discardableResult
    public func admit(username: String, email: String, password: String, caller: Caller, admission: Admission)
        async throws -> Account?
    {
        var operatorRole: Account.Role?
        switch admission {
        case .publicSignUp:
            guard env.settings.signUpMode == .open else { throw Self.signUpClosed }
        case .invitation:
            guard env.settings.signUpMode != .closed else { throw Self.signUpClosed }
        case .operatorCreated(let role):
            operatorRole = role
        case .setup:
            break
        }
        let username = username.trimmingCharacters(in: .whitespaces)
        let email = email.trimmingCharacters(in: .whitespaces)
        if let reason = AccountNames.validateUsername(username) { throw Error.invalidUsername(reason) }
        if let reason = AccountNames.validateEmail(email) { throw Error.invalidEmail(reason) }
        guard password.utf8.count <= PasswordText.maximumBytes else {
            throw RequestError(status: 422, code: "password_too_long", message: "Use a shorter password.")
        }
        let now = env.clock.now()
        let session = env.store.autocommit
        // The address's budget is spent before any expensive work (the strength estimate, the hash).
        if operatorRole == nil {
            let wait = try await session.reserveAttempt(
                key: "signup-ip:" + caller.addressKey, policy: Self.signUpAddressPolicy, now: now)
            if wait > 0 { throw SignInService.Error.throttled(seconds: wait) }
        }
        // Cheap refusals of a link that cannot work, before hashing (the transaction checks again, atomically).
        var invitationDigest: String?
        var setupDigest: String?
        switch admission {
        case .invitation(let token):
            let digest = try InvitationService.checkedDigest(token, env: env)
            guard let invitation = try await session.invitation(digest: digest), invitation.isLive(at: now) else {
                throw InvitationService.Error.invalid
            }
            if let bound = invitation.email, AccountNames.canonical(bound) != AccountNames.canonical(email) {
                throw InvitationService.Error.otherAddress
            }
            invitationDigest = digest
        case .setup(let token, _, _, _):
            guard token.utf8.count <= 128,
                try await session.peekToken(purpose: .adminSetup, digest: env.digest(token), now: now) != nil
            else { throw Error.invalidToken }
            setupDigest = env.digest(token)
        default:
            break
        }
        let normalized = PasswordText.normalize(password)
        let problems = try await env.rules.problems(password: normalized, context: [username, email])
        if !problems.isEmpty { throw PasswordRejected(problems: problems) }
        let hash = try await env.hasher.hash(normalized)
        let token = OpaqueToken.generate(prefix: "ghv")
        let env = self.env
        let (fixedRole, spentDigest, setupKey) = (operatorRole, invitationDigest, setupDigest)
        do {
            return try await env.store.transaction { tx in
                var assignedRole = fixedRole ?? .user
                var joined: Invitation?
                if let spentDigest {
                    // The use is spent in the transaction that creates the account: a failure below gives it back.
                    guard
                        let spent = try await tx.claimInvitationUse(
                            digest: spentDigest, emailKey: AccountNames.canonical(email), now: now)
                    else { throw InvitationService.Error.invalid }
                    joined = spent
                }
                if let setupKey {
                    // Decided under a lock, so two racing setups never both make an admin; the link works once.
                    try await tx.lockAccountCreation()
                    guard try await tx.adminCount() == 0,
                        try await tx.consumeToken(purpose: .adminSetup, digest: setupKey, now: now) != nil
                    else { throw Error.invalidToken }
                    assignedRole = .admin
                }
                // An address that just lost an account to an e-mail change stays held until its revert link expires.
                if try await tx.isAddressHeldForRevert(email, now: now) { throw StoreError.conflict(field: "email") }
                let account = Account(
                    id: SecureRandom.identifier(), username: username, email: email, role: assignedRole, createdAt: now)
                try await tx.insertAccount(account, passwordHash: hash)
                try await tx.issueToken(
                    OneTimeToken(
                        purpose: .verifyEmail, accountID: account.id, digest: env.digest(token.value), payload: email,
                        expiresAt: now.addingTimeInterval(env.settings.verificationLifetime)))
                try await tx.enqueueMail(env.mail.verifyEmail(to: account, token: token.value, now: now))
                try await tx.appendAudit(
                    AuditRecord(accountID: account.id, kind: .accountCreated, ipAddress: caller.ipAddress), at: now)
                if let joined {
                    let shared = try await InvitationService.applyShares(joined, to: account, tx: tx, now: now)
                    try await tx.appendAudit(
                        AuditRecord(
                            accountID: account.id, kind: .joinedByInvitation, ipAddress: caller.ipAddress,
                            detail: "invitation \(joined.id); sections shared: \(shared)"), at: now)
                }
                if case .setup(_, let secret, let step, let recoveryCodes) = admission {
                    let twoFactor = TwoFactorService(environment: env)
                    let recoveryDigests = recoveryCodes.map { twoFactor.recoveryDigest($0, accountID: account.id) }
                    let sealed = try SecretBox(keyring: env.keyring).seal(secret, owner: account.id)
                    try await tx.saveTOTPEnrollment(
                        TOTPEnrollment(
                            accountID: account.id, sealedSecret: sealed, confirmedAt: now, lastUsedStep: step))
                    try await tx.replaceRecoveryCodes(accountID: account.id, digests: recoveryDigests, at: now)
                    try await tx.appendAudit(
                        AuditRecord(
                            accountID: account.id, kind: .adminSetUp, ipAddress: caller.ipAddress,
                            detail: "first admin, with two-factor sign-in"), at: now)
                }
                return account
            }
        } catch StoreError.conflict {
            switch admission {
            case .operatorCreated, .setup:
                throw Error.taken
            case .invitation:
                // Answer as for a new account, and spend a use as a new account would have: whoever holds the link
                // cannot tell from the answer or from the uses left whether the address already had an account.
                if let invitationDigest {
                    _ = try await env.store.autocommit.claimInvitationUse(
                        digest: invitationDigest, emailKey: AccountNames.canonical(email), now: now)
                }
            case .publicSignUp:
                break
            }
            try await tellAboutTakenSignUp(username: username, email: email, caller: caller, now: now)
            return nil
        }
    }

    /// A sign-up collided: tell the owner of the address (or, when only the username was taken, the address given),
    /// at most a few times an hour per address.
    private func tellAboutTakenSignUp(username: String, email: String, caller: Caller, now: Date) async throws {
        let session = env.store.autocommit
        let wait = try await session.reserveAttempt(
            key: "signup-mail:" + AccountNames.canonical(email), policy: Self.signUpMailPolicy, now: now)
        guard wait == 0 else { return }
        let env = self.env
        if let owner = try await session.account(identifier: email) {
            try await env.store.transaction { tx in
                try await tx.enqueueMail(env.mail.signUpAttempt(to: owner, now: now))
                try await tx.appendAudit(
                    AuditRecord(
                        accountID: owner.id, kind: .signUpAttempted, ipAddress: caller.ipAddress,
                        detail: "sign-up with this address refused"), at: now)
            }
        } else if try await session.account(identifier: username) != nil {
            let stranger = Account(id: "", username: username, email: email, createdAt: now)
            try await env.store.transaction { tx in
                try await tx.enqueueMail(env.mail.usernameTaken(to: stranger, now: now))
            }
        }
    }

    /// Confirms an address with the mailed token. For a new account that marks it verified. For an e-mail change
    /// this is the moment the change takes effect: the old address gets a link, valid 7 days, that undoes it.
    public func verifyEmail(token: String, caller: Caller) async throws -> Account {
        guard token.utf8.count <= 128 else { throw Error.invalidToken }
        let digest = env.digest(token)
        let now = env.clock.now()
        let revert = OpaqueToken.generate(prefix: "ghe")
        let env = self.env
        let result: (Account, changed: Bool)?
        do {
            result = try await env.store.transaction { tx -> (Account, changed: Bool)? in
                guard let stored = try await tx.consumeToken(purpose: .verifyEmail, digest: digest, now: now),
                    var account = try await tx.account(id: stored.accountID)
                else { return nil }
                if account.email == stored.payload {
                    account.isEmailVerified = true
                    try await tx.updateAccount(account)
                    try await tx.appendAudit(
                        AuditRecord(accountID: account.id, kind: .emailVerified, ipAddress: caller.ipAddress), at: now)
                    return (account, false)
                }
                let oldAddress = account.email
                account.email = stored.payload
                account.isEmailVerified = true
                try await tx.updateAccount(account)
                try await tx.voidTokens(purpose: .passwordReset, accountID: account.id)
                try await tx.issueToken(
                    OneTimeToken(
                        purpose: .emailRevert, accountID: account.id, digest: env.digest(revert.value),
                        payload: oldAddress,
                        expiresAt: now.addingTimeInterval(Self.revertLifetime)))
                try await tx.enqueueMail(
                    env.mail.emailChangedWithRevert(to: oldAddress, account: account, token: revert.value, now: now))
                try await tx.appendAudit(
                    AuditRecord(
                        accountID: account.id, kind: .emailChanged, ipAddress: caller.ipAddress,
                        detail: "from \(MailComposer.mask(oldAddress)) to \(MailComposer.mask(account.email))"), at: now
                )
                return (account, true)
            }
        } catch StoreError.conflict {
            // The new address was taken in the meantime: the change cannot happen.
            throw Error.invalidToken
        }
        guard let (account, _) = result else { throw Error.invalidToken }
        env.cache.evict(accountID: account.id)
        return account
    }

    /// What an e-mail change request answers, whether or not the new address was free.
    public static let emailChangeAcceptedMessage =
        "Check the new address: the change takes effect once it is confirmed. Your current address was told."

    /// How long the old address can undo an e-mail change.
    public static let revertLifetime: TimeInterval = 7 * 86_400

    /// Undoes an e-mail change from the link mailed to the old address: the old address comes back, every device
    /// is signed out, and the password must be reset (the link for that goes to the restored address).
    public func revertEmailChange(token: String, caller: Caller) async throws {
        guard token.utf8.count <= 128 else { throw Error.invalidToken }
        let digest = env.digest(token)
        let now = env.clock.now()
        let env = self.env
        let restored: (Account, [String])?
        do {
            restored = try await env.store.transaction { tx -> (Account, [String])? in
                guard let stored = try await tx.consumeToken(purpose: .emailRevert, digest: digest, now: now),
                    var account = try await tx.account(id: stored.accountID)
                else { return nil }
                let intruderAddress = account.email
                account.email = stored.payload
                account.isEmailVerified = true
                account.isResetRequired = true
                try await tx.updateAccount(account)
                for purpose in [
                    OneTimeToken.Purpose.verifyEmail, .passwordReset, .signInChallenge, .passkeyRegistration,
                    .passkeyReauthentication,
                ] {
                    try await tx.voidTokens(purpose: purpose, accountID: account.id)
                }
                try await tx.forgetKnownDevices(accountID: account.id)
                // The intruder may have added a passkey while holding the account: every passkey goes (the owner adds
                // theirs again), and "passkey only" is off so that the reset link mailed below is enough.
                let passkeys = try await tx.passkeys(accountID: account.id)
                for passkey in passkeys {
                    _ = try await tx.deletePasskey(credentialID: passkey.id, accountID: account.id)
                }
                try await tx.setPasskeyOnly(accountID: account.id, false)
                if !passkeys.isEmpty {
                    try await tx.appendAudit(
                        AuditRecord(
                            accountID: account.id, kind: .passkeyRemoved, ipAddress: caller.ipAddress,
                            detail: "all \(passkeys.count): e-mail change reverted"), at: now)
                }
                let revoked = try await tx.revokeDevices(accountID: account.id, keeping: nil, at: now)
                try await tx.appendAudit(
                    AuditRecord(
                        accountID: account.id, kind: .emailChangeReverted, ipAddress: caller.ipAddress,
                        detail: "back from \(MailComposer.mask(intruderAddress)); devices signed out: \(revoked.count)"),
                    at: now)
                return (account, revoked)
            }
        } catch StoreError.conflict {
            throw Error.invalidToken
        }
        guard let (account, revoked) = restored else { throw Error.invalidToken }
        env.announce(Revocation(accountID: account.id, deviceIDs: revoked, allDevices: true, at: now))
        try await RecoveryService(environment: env).sendForcedResetLink(account: account, caller: caller)
    }

    /// Sends a fresh verification link (the old one stops working), a few times an hour at most.
    public func resendVerification(account: Account, caller: Caller) async throws {
        guard !account.isEmailVerified else { return }
        let now = env.clock.now()
        let wait = try await env.store.autocommit.reserveAttempt(
            key: "verify-mail:" + account.id, policy: Self.signUpMailPolicy, now: now)
        if wait > 0 { throw SignInService.Error.throttled(seconds: wait) }
        let token = OpaqueToken.generate(prefix: "ghv")
        let env = self.env
        try await env.store.transaction { tx in
            try await tx.issueToken(
                OneTimeToken(
                    purpose: .verifyEmail, accountID: account.id, digest: env.digest(token.value),
                    payload: account.email,
                    expiresAt: now.addingTimeInterval(env.settings.verificationLifetime)))
            try await tx.enqueueMail(env.mail.verifyEmail(to: account, token: token.value, now: now))
        }
    }

    /// Validates a new password against the rules and the account's history.
    public func validateNewPassword(_ password: String, for account: Account) async throws -> String {
        guard password.utf8.count <= PasswordText.maximumBytes else {
            throw RequestError(status: 422, code: "password_too_long", message: "Use a shorter password.")
        }
        let normalized = PasswordText.normalize(password)
        let problems = try await env.rules.problems(password: normalized, context: [account.username, account.email])
        if !problems.isEmpty { throw PasswordRejected(problems: problems) }
        var previous = try await env.store.autocommit.passwordHistory(
            accountID: account.id, limit: env.settings.passwordHistoryDepth)
        if let current = try await env.store.autocommit.passwordHash(accountID: account.id) {
            previous.insert(current, at: 0)
        }
        for old in previous where try await env.hasher.verify(normalized, against: old).isValid {
            throw Error.passwordUnchanged
        }
        return normalized
    }

    /// Sensitive changes on an account with a second factor (or passkey-only) need a recent full sign-in or
    /// re-authentication.
    public func requireRecentIfTwoFactor(account: Account, device: Device) async throws {
        // A passkey-only account's password proves little (it does not sign in), so it needs sudo mode too.
        let twoFactor = try await secondFactors.isEnabled(accountID: account.id)
        let passkeyOnly = try await env.store.autocommit.isPasskeyOnly(accountID: account.id)
        guard twoFactor || passkeyOnly else { return }
        try DeviceService(environment: env).requireRecentAuthentication(device)
    }

    /// Changes the password after checking the current one (under the sign-in budget). Signs out every other
    /// device unless asked not to; voids reset and verification links and every known-device secret.
    public func changePassword(
        account: Account, device: Device, currentPassword: String, newPassword: String, signOutOtherDevices: Bool,
        caller: Caller
    ) async throws {
        try CredentialScope.requireFullCredential()
        try await requireRecentIfTwoFactor(account: account, device: device)
        do {
            try await confirmation.confirm(
                account: account, password: currentPassword, caller: caller, purpose: "password change",
                requireCodeWhenEnabled: false)
        } catch SignInService.Error.invalidCredentials {
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
            try await tx.voidTokens(purpose: .passwordReset, accountID: account.id)
            try await tx.voidTokens(purpose: .verifyEmail, accountID: account.id)
            try await tx.forgetKnownDevices(accountID: account.id)
            let actor = try await tx.actingDevice(caller)
            try await tx.enqueueMail(
                env.mail.passwordChanged(to: account, by: actor, now: now, signedOutOthers: signOutOtherDevices))
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

    /// Asks to change the e-mail address after checking the password (under the sign-in budget). Nothing changes
    /// until the new address confirms; the old address is told at once and, once the change happens, gets a link
    /// that undoes it. The answer is the same whether or not the new address is taken.
    public func changeEmail(account: Account, device: Device, password: String, newEmail: String, caller: Caller)
        async throws
    {
        try CredentialScope.requireFullCredential()
        try await requireRecentIfTwoFactor(account: account, device: device)
        let newEmail = newEmail.trimmingCharacters(in: .whitespaces)
        if let reason = AccountNames.validateEmail(newEmail) { throw Error.invalidEmail(reason) }
        do {
            try await confirmation.confirm(
                account: account, password: password, caller: caller, purpose: "e-mail change",
                requireCodeWhenEnabled: false)
        } catch SignInService.Error.invalidCredentials {
            throw Error.wrongPassword
        }
        let now = env.clock.now()
        let session = env.store.autocommit
        let wait = try await session.reserveAttempt(
            key: "verify-mail:" + account.id, policy: Self.signUpMailPolicy, now: now)
        if wait > 0 { throw SignInService.Error.throttled(seconds: wait) }
        let token = OpaqueToken.generate(prefix: "ghv")
        let taken = try await session.account(identifier: newEmail)
        let held = try await session.isAddressHeldForRevert(newEmail, now: now)
        let env = self.env
        try await env.store.transaction { tx in
            if let taken, taken.id != account.id {
                try await tx.enqueueMail(env.mail.emailAlreadyInUse(to: newEmail, account: taken, now: now))
            } else if held {
                try await tx.enqueueMail(env.mail.emailAlreadyInUse(to: newEmail, account: account, now: now))
            } else {
                var pending = account
                pending.email = newEmail
                try await tx.issueToken(
                    OneTimeToken(
                        purpose: .verifyEmail, accountID: account.id, digest: env.digest(token.value),
                        payload: newEmail,
                        expiresAt: now.addingTimeInterval(env.settings.verificationLifetime)))
                try await tx.enqueueMail(env.mail.verifyEmail(to: pending, token: token.value, now: now))
            }
            try await tx.enqueueMail(env.mail.emailChangeRequested(to: account, newAddress: newEmail, now: now))
            try await tx.appendAudit(
                AuditRecord(
                    accountID: account.id, kind: .emailChangeRequested, ipAddress: caller.ipAddress,
                    detail: "to \(MailComposer.mask(newEmail))"), at: now)
        }
    }

    /// Sets or clears the anti-phishing phrase shown in every mail.
    public func setAntiPhishingPhrase(account: Account, phrase: String?, caller: Caller) async throws -> Account {
        try CredentialScope.requireFullCredential()
        let trimmed = phrase?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let trimmed, trimmed.unicodeScalars.count > 64 {
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

}
