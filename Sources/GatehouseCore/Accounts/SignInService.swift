import Foundation

/// A completed sign-in: the new device and its credential (shown once).
public struct SignedIn: Sendable {
    public var account: Account
    public var device: Device
    public var token: OpaqueToken
    /// The known-device secret (OWASP's device cookie): shown once, sent back at the next sign-in from this
    /// device to skip the per-account delay and the new-sign-in mail. Dies with the device and with a password
    /// change.
    public var knownDeviceToken: OpaqueToken
}

/// What the password step answers.
public enum SignInOutcome: Sendable {
    case signedIn(SignedIn)
    /// The password was right and a second factor is on: answer the challenge with a code.
    case secondFactorRequired(challenge: String, methods: [String])
}

/// Sign-in by username or email and password, then the second factor when enabled.
///
/// An unknown account and a wrong password give the same error in the same time (a dummy hash is verified);
/// failures slow further tries per address and per identifier with growing delays, never a lockout, and a
/// client that signed in to the account before is exempt from the per-account delay.
public struct SignInService: Sendable {
    public enum Error: PublicError, Equatable {
        case invalidCredentials
        case throttled(seconds: Int)
        case passwordResetRequired
        case invalidChallenge
        case invalidCode

        public var status: Int {
            switch self {
            case .invalidCredentials, .invalidChallenge, .invalidCode: 401
            case .throttled: 429
            case .passwordResetRequired: 403
            }
        }

        public var code: String {
            switch self {
            case .invalidCredentials: "invalid_credentials"
            case .throttled: "too_many_attempts"
            case .passwordResetRequired: "password_reset_required"
            case .invalidChallenge: "invalid_challenge"
            case .invalidCode: "invalid_code"
            }
        }

        public var message: String {
            switch self {
            case .invalidCredentials: "The username, email or password is not correct."
            case .throttled(let seconds): "Too many attempts. Try again in \(seconds) seconds."
            case .passwordResetRequired:
                "Your password must be reset before you can sign in. We have mailed a reset link to your verified address."
            case .invalidChallenge: "This sign-in has expired. Start again."
            case .invalidCode: "That code is not correct."
            }
        }

        public var retryAfter: Int? {
            if case .throttled(let seconds) = self { return seconds }
            return nil
        }
    }

    let env: HubEnvironment
    let secondFactors: TwoFactorService
    let recovery: RecoveryService
    let breachCheck: (@Sendable (String) async -> Bool)?

    public init(
        environment: HubEnvironment, secondFactors: TwoFactorService, recovery: RecoveryService,
        breachCheck: (@Sendable (String) async -> Bool)? = nil
    ) {
        self.env = environment
        self.secondFactors = secondFactors
        self.recovery = recovery
        self.breachCheck = breachCheck
    }

    /// The password step.
    ///
    /// Every attempt is reserved before the password is checked (per address, and per account unless the client
    /// proves it is a known device of the account), so concurrent guesses can never pass more attempts than the
    /// policies allow. A known device has a budget of its own and is never held up by the per-address one.
    public func signIn(
        identifier: String, password: String, info: Device.Info, kind: Device.Kind, caller: Caller,
        knownDeviceToken: String? = nil, dpopThumbprint: String? = nil
    ) async throws -> SignInOutcome {
        try await Self.counted(.password, metrics: env.metrics) {
            let outcome = try await passwordStep(
                identifier: identifier, password: password, info: info, kind: kind, caller: caller,
                knownDeviceToken: knownDeviceToken, dpopThumbprint: dpopThumbprint)
            if case .secondFactorRequired = outcome { return (outcome, .secondFactor) }
            return (outcome, .success)
        }
    }

    /// Runs a sign-in attempt and counts how it ended in ``HubMetrics`` (`gatehouse_signins_total`).
    static func counted<T>(
        _ method: HubMetrics.Method, metrics: HubMetrics, _ body: () async throws -> (T, HubMetrics.Outcome)
    ) async throws -> T {
        do {
            let (value, outcome) = try await body()
            metrics.signIn(method, outcome)
            return value
        } catch let error as Error {
            switch error {
            case .throttled: metrics.signIn(method, .throttled)
            case .passwordResetRequired: metrics.signIn(method, .resetRequired)
            default: metrics.signIn(method, .failure)
            }
            throw error
        } catch {
            metrics.signIn(method, .failure)
            throw error
        }
    }

    private func passwordStep(
        identifier: String, password: String, info: Device.Info, kind: Device.Kind, caller: Caller,
        knownDeviceToken: String?, dpopThumbprint: String?
    ) async throws -> SignInOutcome {
        guard password.utf8.count <= PasswordText.maximumBytes,
            identifier.utf8.count <= AccountNames.maximumIdentifierBytes
        else { throw Error.invalidCredentials }
        let canonical = AccountNames.canonical(identifier)
        let normalized = PasswordText.normalize(password)
        let session = env.store.autocommit
        let now = env.clock.now()

        let account = canonical.isEmpty ? nil : try await session.account(identifier: canonical)
        if let account { await CanaryService.check(account, use: .signIn, caller: caller, environment: env) }
        var knownDigest: String?
        if let account, let knownDeviceToken, OpaqueToken.hasShape(knownDeviceToken, prefix: "ghk") {
            let digest = env.digest(knownDeviceToken)
            if try await session.isKnownDevice(accountID: account.id, knownDigest: digest) { knownDigest = digest }
        }
        let isKnown = knownDigest != nil
        let attempt =
            knownDigest.map { SignInAttempt(knownDeviceDigest: $0) }
            ?? SignInAttempt(caller: caller, identifier: identifier, accountID: account?.id)
        var wait = 0
        var outcome = SignInAttempt.Outcome.reserved
        // After a stuffing wave was announced, the hub tightens by itself for a while (see SignInBreaker).
        let tightened = !isKnown && env.breaker.isTightened(at: now)
        if !isKnown {
            wait = env.breaker.wait(at: now)
            if wait > 0, env.breaker.claimAlert(at: now) {
                let env = self.env
                env.background.submit("stuffing-wave alert") {
                    await StuffingWave.alert(environment: env, caller: caller)
                }
            }
        }
        if wait == 0 {
            outcome = try await attempt.reserve(
                in: env.store, addressPolicy: tightened ? .perAddressDuringWave : .perAddress, now: now)
            if case .wait(let seconds) = outcome { wait = seconds }
        }
        if wait > 0 {
            try await env.store.transaction { tx in
                try await tx.appendAudit(
                    AuditRecord(
                        accountID: account?.id ?? AuditEvent.systemChain, kind: .signInThrottled,
                        ipAddress: caller.ipAddress), at: now)
            }
            throw Error.throttled(seconds: wait)
        }

        // A held attempt (the account's budget spent through another identifier) does the dummy work an unknown
        // account does and is answered as a wrong password, its password never checked.
        let held = outcome == .held
        var storedHash: String?
        if let account, !held { storedHash = try await session.passwordHash(accountID: account.id) }
        var verification = PasswordVerification.invalid
        if let storedHash {
            verification = try await env.hasher.verify(normalized, against: storedHash, accountID: account?.id)
        } else {
            try await env.hasher.verifyDummy(normalized)
        }
        guard let account, case .valid(let needsRehash) = verification else {
            if !isKnown { env.breaker.recordFailure(at: now) }
            let detail =
                account == nil
                ? "unknown account" : held ? "held up: too many failures on the account" : "wrong password"
            try await env.store.transaction { tx in
                try await tx.appendAudit(
                    AuditRecord(
                        accountID: account?.id ?? AuditEvent.systemChain, kind: .signInFailed,
                        ipAddress: caller.ipAddress, detail: detail),
                    at: now)
            }
            throw Error.invalidCredentials
        }
        // A passkey-only account (or an admin under `--admin-credential passkey`) does not sign in with its
        // password, right or not: the same answer as a wrong password, and the attempt stays counted, so an
        // outsider learns neither the policy nor whether the password was right.
        if try await passwordSignInRefused(account) {
            try await env.store.transaction { tx in
                try await tx.appendAudit(
                    AuditRecord(
                        accountID: account.id, kind: .signInFailed, ipAddress: caller.ipAddress,
                        detail: "password sign-in refused: passkey required"), at: now)
            }
            throw Error.invalidCredentials
        }
        // A right password gives its attempts back: the address's refunded, the identifier's and the account's
        // failures cleared. A sign-in that completes here does it in the transaction that creates the device (two
        // commits fewer), or on its own when that transaction fails; every other way out (a reset, a breached
        // password, a second step, a mailed code) does it before going on. The rows come in the reservation's
        // order and before anything else the transaction locks (ThrottleStore's lock order).
        let settleThrottle: @Sendable (any StoreTransaction) async throws -> Void = { tx in
            try await attempt.settle(after: .reserved, in: tx, clearing: true)
        }

        if needsRehash {
            let fresh = try await env.hasher.hash(normalized)
            try await env.store.transaction { tx in
                try await tx.replacePasswordHash(accountID: account.id, hash: fresh)
                try await tx.appendAudit(
                    AuditRecord(accountID: account.id, kind: .passwordRehashed, ipAddress: caller.ipAddress), at: now)
            }
        }
        if account.isResetRequired {
            try await settleThrottle(session)
            try await recovery.sendForcedResetLink(account: account, caller: caller)
            throw Error.passwordResetRequired
        }
        if let breachCheck, await breachCheck(normalized) {
            try await settleThrottle(session)
            try await recovery.flagBreachedPassword(account: account, caller: caller)
            throw Error.passwordResetRequired
        }
        let secondFactorOn = try await secondFactors.isEnabled(accountID: account.id)
        if secondFactorOn || ((env.settings.deviceVerification || tightened) && !isKnown) {
            try await settleThrottle(session)
        }
        if secondFactorOn {
            let challenge = try await secondFactors.issueChallenge(
                account: account, info: info, kind: kind, caller: caller, isKnownDevice: isKnown)
            // A passkey answers the second step too (GitHub's rule: it counts as a second factor once two-factor
            // sign-in is on); it is offered only to someone who got the password right.
            let hasPasskeys = !(try await session.passkeys(accountID: account.id)).isEmpty
            return .secondFactorRequired(
                challenge: challenge, methods: ["totp", "recovery_code"] + (hasPasskeys ? ["passkey"] : []))
        }
        // Device verification: no second factor and a client never seen on the account — a password alone (from
        // a breach, or reused elsewhere) is not enough; a code mailed to the account is needed too.
        if env.settings.deviceVerification || tightened, !isKnown {
            let challenge = try await secondFactors.issueMailedCodeChallenge(
                account: account, info: info, kind: kind, caller: caller)
            return .secondFactorRequired(challenge: challenge, methods: ["email_code"])
        }
        do {
            return .signedIn(
                try await completeSignIn(
                    account: account, info: info, kind: kind, caller: caller, isKnownClient: isKnown,
                    proof: .password, dpopThumbprint: dpopThumbprint, settling: settleThrottle))
        } catch {
            // The transaction rolled back with its settlement: the password was right all the same.
            try? await settleThrottle(session)
            throw error
        }
    }

    /// True when the account must sign in with a passkey: its own "passkey only" switch, or the admin policy.
    func passwordSignInRefused(_ account: Account) async throws -> Bool {
        if account.role == .admin && env.settings.adminsNeedPasskey { return true }
        return try await env.store.autocommit.isPasskeyOnly(accountID: account.id)
    }

    /// Re-authentication on a signed-in device ("sudo mode"): the password and, when two-factor sign-in is on, a
    /// current code, checked together under the account's sign-in budget. Either one wrong gives the same answer,
    /// so a stolen credential cannot test the password alone; every failure is in the security log.
    /// Returns the device as it now stands (re-authenticated now), for a change made in the same request.
    @discardableResult
    public func reauthenticate(account: Account, device: Device, password: String, code: String?, caller: Caller)
        async throws -> Device
    {
        try CredentialScope.requireFullCredential()
        try await PasswordConfirmation(environment: env, secondFactors: secondFactors).confirm(
            account: account, password: password, code: code, caller: caller, purpose: "re-authentication")
        // Where a password does not sign in, it does not grant sudo mode either (a stolen session plus a leaked
        // password must not reach sensitive changes): a passkey does. Same answer as a wrong password.
        if try await passwordSignInRefused(account) {
            let now = env.clock.now()
            try await env.store.transaction { tx in
                try await tx.appendAudit(
                    AuditRecord(
                        accountID: account.id, kind: .signInFailed, ipAddress: caller.ipAddress,
                        detail: "re-authentication: password refused, passkey required"), at: now)
            }
            throw Error.invalidCredentials
        }
        let withCode = try await secondFactors.isEnabled(accountID: account.id)
        let proof: Proof = code != nil && withCode ? .passwordAndCode : .password
        try await DeviceService(environment: env).markReauthenticated(account: account, caller: caller, proof: proof)
        var confirmed = device
        confirmed.reauthenticatedAt = env.clock.now()
        return confirmed
    }

    /// The second step: a TOTP or recovery code against the challenge from the password step.
    /// A DPoP proof on this request (not the password step's) binds the new credential.
    public func completeSecondFactor(challenge: String, code: String, caller: Caller, dpopThumbprint: String? = nil)
        async throws -> SignedIn
    {
        try await Self.counted(.secondStep, metrics: env.metrics) {
            let pending = try await secondFactors.answerChallenge(challenge, code: code, caller: caller)
            return (
                try await completeSignIn(
                    account: pending.account, info: pending.info, kind: pending.kind, caller: caller,
                    isKnownClient: pending.isKnownDevice, proof: pending.proof, dpopThumbprint: dpopThumbprint),
                .success
            )
        }
    }

    /// Creates the device, writes the log, and mails the owner about a client never seen before.
    /// `settling` runs first in the same transaction (the password step's throttle settlement).
    func completeSignIn(
        account: Account, info: Device.Info, kind: Device.Kind, caller: Caller, isKnownClient: Bool, proof: Proof,
        dpopThumbprint: String? = nil, settling: (@Sendable (any StoreTransaction) async throws -> Void)? = nil
    ) async throws -> SignedIn {
        let now = env.clock.now()
        let env = self.env
        return try await env.store.transaction { tx in
            try await settling?(tx)
            return try await Self.recordSignIn(
                in: tx, environment: env, account: account, info: info, kind: kind, ipAddress: caller.ipAddress,
                isKnownClient: isKnownClient, proof: proof, now: now, dpopThumbprint: dpopThumbprint)
        }
    }

    /// The body of every completed sign-in, inside the caller's transaction: the device, the security log and, for a
    /// client never seen before, the new-sign-in mail. Password, passkey and device-code (`/link`) sign-ins all end
    /// here, so each new device is listed, mailed about and revoked by sign-out-all alike.
    static func recordSignIn(
        in tx: any StoreTransaction, environment env: HubEnvironment, account: Account, info: Device.Info,
        kind: Device.Kind, ipAddress: String, isKnownClient: Bool, proof: Proof, now: Date, detail: String? = nil,
        dpopThumbprint: String? = nil
    ) async throws -> SignedIn {
        let (device, token, known) = try await DeviceService.createDevice(
            in: tx, environment: env, account: account, info: info, kind: kind, ipAddress: ipAddress, proof: proof,
            now: now, dpopThumbprint: dpopThumbprint)
        try await tx.appendAudit(
            AuditRecord(
                accountID: account.id, kind: .signIn, ipAddress: ipAddress,
                detail: (detail ?? "")
                    + "\(info.product) on \(info.platform), device \(device.id), with \(proof.description)"
                    + (dpopThumbprint == nil ? "" : ", bound to a DPoP key")),
            at: now)
        if !isKnownClient {
            try await tx.enqueueMail(env.mail.newSignIn(to: account, device: device, now: now))
        }
        return SignedIn(account: account, device: device, token: token, knownDeviceToken: known)
    }
}
