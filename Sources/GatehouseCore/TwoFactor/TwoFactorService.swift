import Crypto
import Foundation
import GatehouseBasics

/// A sign-in waiting for its second factor.
/// A second step answered: whose sign-in it finishes, for which client, and with what.
public struct AnsweredChallenge: Sendable {
    public var account: Account
    public var info: Device.Info
    public var kind: Device.Kind
    public var isKnownDevice: Bool
    public var proof: Proof
}

public struct PendingSignIn: Sendable, Codable {
    public var info: Device.Info
    public var kind: Device.Kind
    /// The password step was made with a valid known-device secret.
    public var isKnownDevice: Bool?
    /// Device verification: the keyed digest of the 6-digit code mailed for this sign-in (nil for a second-factor
    /// challenge). Only this challenge accepts it.
    public var mailedCode: String?
}

/// TOTP enrolment, recovery codes, second-factor challenges and re-authentication ("sudo mode").
public struct TwoFactorService: Sendable {
    public enum Error: PublicError, Equatable {
        case alreadyEnabled
        case notEnrolling
        case notEnabled
        case invalidCode

        public var status: Int {
            switch self {
            case .alreadyEnabled, .notEnrolling, .notEnabled: 409
            case .invalidCode: 422
            }
        }

        public var code: String {
            switch self {
            case .alreadyEnabled: "two_factor_already_enabled"
            case .notEnrolling: "two_factor_not_started"
            case .notEnabled: "two_factor_not_enabled"
            case .invalidCode: "invalid_code"
            }
        }

        public var message: String {
            switch self {
            case .alreadyEnabled: "Two-factor sign-in is already on. Turn it off first to enrol a new authenticator."
            case .notEnrolling: "Start two-factor enrolment first."
            case .notEnabled: "Two-factor sign-in is not on."
            case .invalidCode: "That code is not correct. Check the time on your phone and try the newest code."
            }
        }
    }

    /// An enrolment in progress: what the person scans.
    public struct Enrollment: Sendable {
        public var secretBase32: String
        public var uri: String
    }

    /// Failed codes per account: 5 free, then a delay doubling from 1 s to an hour. See docs/two-factor.md for the
    /// guesses per day this allows (about 39).
    public static let accountPolicy = ThrottlePolicy(
        freeAttempts: 5, baseDelay: 1, maximumDelay: 3_600, window: 86_400)
    public static let recoveryCodeCount = 10
    public static let issuer = "Gatehouse"

    let env: HubEnvironment

    public init(environment: HubEnvironment) {
        self.env = environment
    }

    private var box: SecretBox { SecretBox(keyring: env.keyring) }

    /// How many unused recovery codes the account has left.
    public func remainingRecoveryCodes(accountID: String) async throws -> Int {
        try await env.store.autocommit.remainingRecoveryCodes(accountID: accountID)
    }

    public func isEnabled(accountID: String) async throws -> Bool {
        try await env.store.autocommit.totpEnrollment(accountID: accountID)?.isConfirmed ?? false
    }

    /// Starts enrolment: a new 160-bit secret, sealed at rest, shown once as a URI.
    public func beginEnrollment(account: Account) async throws -> Enrollment {
        try CredentialScope.requireFullCredential()
        if try await isEnabled(accountID: account.id) { throw Error.alreadyEnabled }
        let secret = SecureRandom.bytes(20)
        let sealed = try box.seal(secret, owner: account.id)
        try await env.store.autocommit.saveTOTPEnrollment(
            TOTPEnrollment(accountID: account.id, sealedSecret: sealed, confirmedAt: nil, lastUsedStep: 0))
        let totp = TOTP(secret: secret)
        return Enrollment(
            secretBase32: Base32.encode(secret),
            uri: totp.provisioningURI(issuer: Self.issuer, account: account.username))
    }

    /// The enrolment in progress (not yet confirmed), to show its QR code again.
    public func pendingEnrollment(account: Account) async throws -> Enrollment? {
        guard let enrollment = try await env.store.autocommit.totpEnrollment(accountID: account.id),
            !enrollment.isConfirmed
        else { return nil }
        let secret = try box.open(enrollment.sealedSecret, owner: account.id)
        return Enrollment(
            secretBase32: Base32.encode(secret),
            uri: TOTP(secret: secret).provisioningURI(issuer: Self.issuer, account: account.username))
    }

    /// Confirms enrolment with a first code; returns the recovery codes, shown once.
    public func confirmEnrollment(account: Account, code: String, caller: Caller) async throws -> [String] {
        try CredentialScope.requireFullCredential()
        guard let enrollment = try await env.store.autocommit.totpEnrollment(accountID: account.id) else {
            throw Error.notEnrolling
        }
        if enrollment.isConfirmed { throw Error.alreadyEnabled }
        let totp = TOTP(secret: try box.open(enrollment.sealedSecret, owner: account.id))
        let now = env.clock.now()
        guard let step = totp.matchingStep(for: code, at: now) else { throw Error.invalidCode }
        let codes = Self.makeRecoveryCodes()
        let digests = codes.map { recoveryDigest($0, accountID: account.id) }
        let env = self.env
        try await env.store.transaction { tx in
            try await tx.confirmTOTP(accountID: account.id, at: now, step: step)
            try await tx.replaceRecoveryCodes(accountID: account.id, digests: digests, at: now)
            try await tx.enqueueMail(
                env.mail.secondFactorChanged(
                    to: account, enabled: true, by: try await tx.actingDevice(caller), now: now))
            try await tx.appendAudit(
                AuditRecord(accountID: account.id, kind: .twoFactorEnabled, ipAddress: caller.ipAddress), at: now)
        }
        return codes
    }

    /// Turns two-factor sign-in off. Needs a recent re-authentication on the device asking.
    public func disable(account: Account, device: Device, caller: Caller) async throws {
        try CredentialScope.requireFullCredential()
        try DeviceService(environment: env).requireRecentAuthentication(device)
        guard try await isEnabled(accountID: account.id) else { throw Error.notEnabled }
        let now = env.clock.now()
        let env = self.env
        try await env.store.transaction { tx in
            try await tx.deleteTOTP(accountID: account.id)
            try await tx.replaceRecoveryCodes(accountID: account.id, digests: [], at: now)
            try await tx.enqueueMail(
                env.mail.secondFactorChanged(
                    to: account, enabled: false, by: try await tx.actingDevice(caller), now: now))
            try await tx.appendAudit(
                AuditRecord(accountID: account.id, kind: .twoFactorDisabled, ipAddress: caller.ipAddress), at: now)
        }
    }

    /// Replaces the recovery codes. Needs a recent re-authentication on the device asking.
    public func regenerateRecoveryCodes(account: Account, device: Device, caller: Caller) async throws -> [String] {
        try CredentialScope.requireFullCredential()
        try DeviceService(environment: env).requireRecentAuthentication(device)
        guard try await isEnabled(accountID: account.id) else { throw Error.notEnabled }
        let codes = Self.makeRecoveryCodes()
        let digests = codes.map { recoveryDigest($0, accountID: account.id) }
        let now = env.clock.now()
        try await env.store.transaction { tx in
            try await tx.replaceRecoveryCodes(accountID: account.id, digests: digests, at: now)
            try await tx.appendAudit(
                AuditRecord(accountID: account.id, kind: .recoveryCodesRegenerated, ipAddress: caller.ipAddress),
                at: now)
        }
        return codes
    }

    /// Checks a current code for an account (re-authentication). Spends the time step.
    public func verifyCode(account: Account, code: String, caller: Caller) async throws -> Bool {
        try await checkCode(account: account, code: code, caller: caller, allowRecoveryCode: false) != nil
    }

    /// Checks a current code or an unused recovery code (an admin's recovery link). Spends the step or the code,
    /// under the per-account budget reserved first.
    public func verifyCodeOrRecoveryCode(account: Account, code: String, caller: Caller) async throws -> Bool {
        guard code.utf8.count <= 64 else { return false }
        return try await checkCode(account: account, code: code, caller: caller, allowRecoveryCode: true) != nil
    }

    /// Issues a single-use challenge for the second step of a sign-in. At most
    /// ``AccountSettings/liveChallengesPerAccount`` stay live per account: a new one drops the oldest.
    public func issueChallenge(
        account: Account, info: Device.Info, kind: Device.Kind, caller: Caller, isKnownDevice: Bool = false
    ) async throws -> String {
        let token = OpaqueToken.generate(prefix: "ghc")
        let payload = String(
            decoding: try JSONEncoder().encode(PendingSignIn(info: info, kind: kind, isKnownDevice: isKnownDevice)),
            as: UTF8.self)
        let now = env.clock.now()
        let env = self.env
        try await env.store.transaction { tx in
            try await Self.storeChallenge(
                token.value, payload: payload, account: account, lifetime: env.settings.challengeLifetime, now: now,
                in: tx, environment: env)
        }
        return token.value
    }

    /// Mailed sign-in codes per account per hour: a right password alone must not flood the owner's mailbox.
    static let mailedCodePolicy = ThrottlePolicy(freeAttempts: 5, baseDelay: 3_600, maximumDelay: 3_600, window: 3_600)

    /// Device verification (GitHub's): a challenge answered by a 6-digit code mailed to the account, for a sign-in
    /// with the right password from a client never seen on an account without a second factor. The code lives
    /// ``AccountSettings/mailedCodeLifetime`` (15 minutes), is kept only as a keyed digest in the challenge, works
    /// once, and is throttled like an authenticator code: per challenge and per account, reserved before the check.
    public func issueMailedCodeChallenge(account: Account, info: Device.Info, kind: Device.Kind, caller: Caller)
        async throws -> String
    {
        let now = env.clock.now()
        let wait = try await env.store.autocommit.reserveAttempt(
            key: "devcode-mail:" + account.id, policy: Self.mailedCodePolicy, now: now)
        if wait > 0 { throw SignInService.Error.throttled(seconds: wait) }
        let code = Self.sixDigitCode()
        let token = OpaqueToken.generate(prefix: "ghc")
        let payload = String(
            decoding: try JSONEncoder().encode(
                PendingSignIn(
                    info: info, kind: kind, isKnownDevice: false, mailedCode: env.digest("device-code:" + code))),
            as: UTF8.self)
        let env = self.env
        try await env.store.transaction { tx in
            try await Self.storeChallenge(
                token.value, payload: payload, account: account, lifetime: env.settings.mailedCodeLifetime, now: now,
                in: tx, environment: env)
            try await tx.enqueueMail(
                env.mail.deviceVerificationCode(
                    to: account, code: code, info: info, ipAddress: caller.ipAddress, now: now))
            try await tx.appendAudit(
                AuditRecord(
                    accountID: account.id, kind: .deviceCodeMailed, ipAddress: caller.ipAddress,
                    detail: "\(info.product) on \(info.platform)"), at: now)
        }
        return token.value
    }

    /// Stores a sign-in challenge (keyed digest only) and keeps at most
    /// ``AccountSettings/liveChallengesPerAccount`` live for the account: a new one drops the oldest.
    private static func storeChallenge(
        _ token: String, payload: String, account: Account, lifetime: TimeInterval, now: Date,
        in tx: any StoreTransaction,
        environment env: HubEnvironment
    ) async throws {
        try await tx.issueToken(
            OneTimeToken(
                purpose: .signInChallenge, accountID: account.id, digest: env.digest(token), payload: payload,
                expiresAt: now.addingTimeInterval(lifetime)))
        try await tx.trimLiveTokens(
            purpose: .signInChallenge, accountID: account.id, keeping: env.settings.liveChallengesPerAccount, now: now)
    }

    /// Six uniformly random decimal digits.
    static func sixDigitCode() -> String {
        while true {
            let bytes = SecureRandom.bytes(4)
            let value = bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            // Reject the top sliver so every code is equally likely.
            if value < UInt32.max - UInt32.max % 1_000_000 {
                let text = String(value % 1_000_000)
                return String(repeating: "0", count: 6 - text.count) + text
            }
        }
    }

    /// Answers a challenge. The attempt is reserved on the challenge before the code is looked at, so no more
    /// than ``AccountSettings/challengeAttempts`` codes are ever evaluated per challenge, however many arrive at
    /// once; the per-account code budget holds across all of an account's challenges.
    public func answerChallenge(_ challenge: String, code: String, caller: Caller) async throws -> AnsweredChallenge {
        guard code.utf8.count <= 64 else { throw SignInService.Error.invalidChallenge }
        return try await answerChallenge(challenge, caller: caller) { account, pending in
            if let mailed = pending.mailedCode {
                return try await checkMailedCode(account: account, code: code, expected: mailed, caller: caller)
            }
            return try await checkCode(account: account, code: code, caller: caller, allowRecoveryCode: true)
        }
    }

    /// A mailed sign-in code, under the account's own budget (reserved first), compared in constant time.
    private func checkMailedCode(account: Account, code: String, expected: String, caller: Caller) async throws
        -> Proof?
    {
        let now = env.clock.now()
        let key = "devcode:" + account.id
        let session = env.store.autocommit
        let wait = try await session.reserveAttempt(key: key, policy: Self.accountPolicy, now: now)
        if wait > 0 { throw SignInService.Error.throttled(seconds: wait) }
        let digits = code.filter { !$0.isWhitespace && $0 != "-" }
        if digits.count == 6, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber),
            ConstantTime.equals(env.digest("device-code:" + digits), expected)
        {
            try await session.clearThrottle(key: key)
            return .passwordAndMailedCode
        }
        try await env.store.transaction { tx in
            try await tx.appendAudit(
                AuditRecord(
                    accountID: account.id, kind: .twoFactorFailed, ipAddress: caller.ipAddress,
                    detail: "wrong mailed sign-in code"), at: now)
        }
        return nil
    }

    /// The account a live sign-in challenge belongs to (the challenge is neither spent nor consumed), or nil.
    public func pendingAccount(challenge: String) async throws -> Account? {
        guard challenge.utf8.count <= 64 else { return nil }
        let session = env.store.autocommit
        guard
            let token = try await session.peekToken(
                purpose: .signInChallenge, digest: env.digest(challenge), now: env.clock.now())
        else { return nil }
        return try await session.account(id: token.accountID)
    }

    /// Answers a challenge with any second factor: `verify` checks it for the challenge's account and says how
    /// (nil when wrong). The attempt on the challenge is reserved first, the challenge consumed on success.
    public func answerChallenge(
        _ challenge: String, caller: Caller, verify: (Account, PendingSignIn) async throws -> Proof?
    ) async throws -> AnsweredChallenge {
        guard challenge.utf8.count <= 64 else { throw SignInService.Error.invalidChallenge }
        let digest = env.digest(challenge)
        let now = env.clock.now()
        let session = env.store.autocommit
        guard let token = try await session.peekToken(purpose: .signInChallenge, digest: digest, now: now),
            let account = try await session.account(id: token.accountID),
            let pending = try? JSONDecoder().decode(PendingSignIn.self, from: Data(token.payload.utf8))
        else { throw SignInService.Error.invalidChallenge }
        guard
            try await session.reserveTokenAttempt(
                purpose: .signInChallenge, digest: digest, limit: env.settings.challengeAttempts, now: now)
        else {
            _ = try await session.consumeToken(purpose: .signInChallenge, digest: digest, now: now)
            throw SignInService.Error.invalidChallenge
        }
        guard let proof = try await verify(account, pending) else { throw SignInService.Error.invalidCode }
        guard try await session.consumeToken(purpose: .signInChallenge, digest: digest, now: now) != nil else {
            throw SignInService.Error.invalidChallenge
        }
        return AnsweredChallenge(
            account: account, info: pending.info, kind: pending.kind, isKnownDevice: pending.isKnownDevice ?? false,
            proof: proof)
    }

    /// TOTP (once per time step) or, when allowed, a recovery code (once ever). The attempt is reserved in the
    /// per-account budget before the code is checked.
    private func checkCode(account: Account, code: String, caller: Caller, allowRecoveryCode: Bool) async throws
        -> Proof?
    {
        let now = env.clock.now()
        let key = "2fa:" + account.id
        let session = env.store.autocommit
        guard let enrollment = try await session.totpEnrollment(accountID: account.id), enrollment.isConfirmed else {
            throw Error.notEnabled
        }
        let wait = try await session.reserveAttempt(key: key, policy: Self.accountPolicy, now: now)
        if wait > 0 { throw SignInService.Error.throttled(seconds: wait) }
        let totp = TOTP(secret: try box.open(enrollment.sealedSecret, owner: account.id))
        if let step = totp.matchingStep(for: code, at: now),
            try await session.claimTOTPStep(accountID: account.id, step: step)
        {
            try await session.clearThrottle(key: key)
            return .passwordAndCode
        }
        if allowRecoveryCode, let normalized = Self.normalizeRecoveryCode(code) {
            let used = try await env.store.transaction { [env] tx -> Bool in
                guard try await useRecoveryCode(normalized, accountID: account.id, at: now, in: tx)
                else { return false }
                let remaining = try await tx.remainingRecoveryCodes(accountID: account.id)
                try await tx.enqueueMail(env.mail.recoveryCodeUsed(to: account, remaining: remaining, now: now))
                try await tx.appendAudit(
                    AuditRecord(
                        accountID: account.id, kind: .recoveryCodeUsed, ipAddress: caller.ipAddress,
                        detail: "remaining: \(remaining)"), at: now)
                return true
            }
            if used {
                try await session.clearThrottle(key: key)
                return .passwordAndRecoveryCode
            }
        }
        let env = self.env
        try await env.store.transaction { tx in
            try await tx.appendAudit(
                AuditRecord(accountID: account.id, kind: .twoFactorFailed, ipAddress: caller.ipAddress), at: now)
            // Wrong codes after a right password mean someone has the password: tell the owner, once per run.
            if let state = try await tx.throttleState(key: key), state.failures == Self.accountPolicy.freeAttempts {
                try await tx.enqueueMail(env.mail.secondFactorFailures(to: account, failures: state.failures, now: now))
            }
        }
        return nil
    }

    /// Ten codes of ten base32 characters (50 bits each), shown as `xxxxx-xxxxx`.
    static func makeRecoveryCodes() -> [String] {
        (0..<recoveryCodeCount).map { _ in
            let text = Base32.encode(SecureRandom.bytes(7)).lowercased().prefix(10)
            return String(text.prefix(5)) + "-" + String(text.suffix(5))
        }
    }

    /// Lower case, hyphen and spaces removed; nil when it cannot be a recovery code.
    static func normalizeRecoveryCode(_ code: String) -> String? {
        let cleaned = code.lowercased().filter { $0 != "-" && !$0.isWhitespace }
        guard cleaned.count == 10, Base32.decode(cleaned.uppercased()) != nil else { return nil }
        return cleaned
    }

    /// Recovery codes are stored keyed, so a copy of the database cannot test guesses offline: `r1:` and an
    /// HMAC-SHA-256 under a key of their own (HKDF from the first pepper, ``Keyring/derivedKey(purpose:)``) of the
    /// account id and the code, so a digest is bound to its account.
    func recoveryDigest(_ code: String, accountID: String) -> String {
        let normalized = Self.normalizeRecoveryCode(code) ?? code
        let mac = HMAC<SHA256>.authenticationCode(
            for: Array((accountID + "\n" + normalized).utf8), using: env.keyring.derivedKey(purpose: "recovery code"))
        return "r1:" + Encoding.hex(mac)
    }

    /// The digests a stored code may have: the current form, then the form written before it (an HMAC of the code
    /// alone under the first pepper itself, `p1:`), which codes generated earlier keep until regenerated.
    func recoveryDigests(_ code: String, accountID: String) -> [String] {
        let normalized = Self.normalizeRecoveryCode(code) ?? code
        let key = env.keyring.peppers[0]
        let legacy = HMAC<SHA256>.authenticationCode(
            for: Array(normalized.utf8), using: SymmetricKey(data: key.material))
        return [recoveryDigest(code, accountID: accountID), key.id + ":" + Encoding.hex(legacy)]
    }

    /// Spends the unused recovery code `code` of the account, in either stored form; false when there is none.
    func useRecoveryCode(_ code: String, accountID: String, at now: Date, in tx: any StoreTransaction) async throws
        -> Bool
    {
        for digest in recoveryDigests(code, accountID: accountID) {
            if try await tx.useRecoveryCode(accountID: accountID, digest: digest, at: now) { return true }
        }
        return false
    }
}
