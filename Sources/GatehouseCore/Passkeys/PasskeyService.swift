import Foundation
import WebAuthn

/// A ceremony the browser is to run: the id to send back, and the options for `navigator.credentials`.
public struct PasskeyCeremony<Options: Sendable & Encodable>: Sendable {
    /// Single use, five minutes; send it back with the credential.
    public var challengeID: String
    public var options: Options
}

/// Passkeys (WebAuthn discoverable credentials): registration, listing, removal, username-less sign-in and
/// re-authentication ("sudo mode") with a passkey.
///
/// Every rule lives here, none in the routes: registration and removal need a recent re-authentication; each
/// challenge is a one-time token (keyed digest, 5 minutes, single use, bound to its purpose and, except for
/// sign-in, to the account); sign-in reserves an attempt per address before anything is verified and answers
/// every failure with the same 401 as a wrong password; a counter that goes backwards is logged and mailed.
public struct PasskeyService: Sendable {
    public enum Error: PublicError, Equatable {
        case invalidChallenge
        case refused(String)
        case alreadyRegistered
        case notFound
        case invalidName
        case lastPasskey
        case noPasskeys

        public var status: Int {
            switch self {
            case .invalidChallenge, .refused: 400
            case .alreadyRegistered, .lastPasskey, .noPasskeys: 409
            case .notFound: 404
            case .invalidName: 422
            }
        }

        public var code: String {
            switch self {
            case .invalidChallenge: "invalid_challenge"
            case .refused: "passkey_refused"
            case .alreadyRegistered: "passkey_exists"
            case .notFound: "passkey_not_found"
            case .invalidName: "invalid_name"
            case .lastPasskey: "last_passkey"
            case .noPasskeys: "no_passkeys"
            }
        }

        public var message: String {
            switch self {
            case .invalidChallenge: "This passkey request has expired or was used already. Start again."
            case .refused(let reason): "The passkey was not accepted (\(reason))."
            case .alreadyRegistered: "This passkey is registered already."
            case .notFound: "No such passkey."
            case .invalidName: "A passkey name has 1 to 64 characters."
            case .lastPasskey:
                "This is your last passkey and your account signs in with passkeys only. Turn that off first."
            case .noPasskeys: "Add a passkey first."
            }
        }
    }

    /// How long a ceremony's challenge lives.
    public static let challengeLifetime: TimeInterval = 300
    /// Live sign-in challenges kept per address (several tabs, several people behind one address).
    public static let liveSignInChallengesPerAddress = 20
    /// Passkeys per account.
    public static let maximumPasskeys = 25

    let env: HubEnvironment
    let signIn: SignInService
    public let relyingParty: WebAuthnRelyingParty

    public init(environment: HubEnvironment, signIn: SignInService, relyingParty: WebAuthnRelyingParty) {
        self.env = environment
        self.signIn = signIn
        self.relyingParty = relyingParty
    }

    /// The relying party for a hub at `publicURL`: its host is the RP id, its origin the only origin accepted.
    public static func relyingParty(publicURL: String, name: String = "Gatehouse") -> WebAuthnRelyingParty {
        var text = publicURL
        while text.hasSuffix("/") { text.removeLast() }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host?.lowercased(),
            !host.isEmpty
        else {
            return WebAuthnRelyingParty(id: "localhost", name: name, origins: [])
        }
        let origin = scheme + "://" + host + (url.port.map { ":\($0)" } ?? "")
        return WebAuthnRelyingParty(id: host, name: name, origins: [origin])
    }

    /// The user handle of an account: its random id, never personal data.
    static func userHandle(_ account: Account) -> [UInt8] { Array(account.id.utf8) }

    // MARK: - Registration

    /// Starts adding a passkey: needs a recent re-authentication; the account's passkeys are excluded.
    public func registrationOptions(account: Account, device: Device) async throws
        -> PasskeyCeremony<PublicKeyCredentialCreationOptionsJSON>
    {
        try CredentialScope.requireFullCredential()
        try DeviceService(environment: env).requireRecentAuthentication(device)
        let existing = try await env.store.autocommit.passkeys(accountID: account.id)
        let challenge = WebAuthnRelyingParty.makeChallenge()
        let id = try await issueChallenge(
            .passkeyRegistration, accountID: account.id, challenge: challenge, binding: device.id)
        let options = relyingParty.makeRegistrationOptions(
            userId: Self.userHandle(account), userName: account.username, userDisplayName: account.username,
            challenge: challenge,
            excludeCredentials: existing.compactMap { passkey in
                Encoding.bytes(base64URL: passkey.id).map {
                    PublicKeyCredentialDescriptorJSON(
                        id: $0, transports: passkey.transports.isEmpty ? nil : passkey.transports)
                }
            })
        return PasskeyCeremony(challengeID: id, options: options)
    }

    /// Finishes adding a passkey: verifies the registration against the account's challenge and stores the public
    /// key; the owner is mailed.
    public func register(
        account: Account, device: Device, challengeID: String, name: String, credential: RegistrationResponseJSON,
        caller: Caller
    ) async throws -> Passkey {
        try CredentialScope.requireFullCredential()
        try DeviceService(environment: env).requireRecentAuthentication(device)
        let cleanName = try Self.cleanName(name)
        guard let challenge = try await consumeChallenge(.passkeyRegistration, id: challengeID),
            challenge.accountID == account.id, challenge.binding == device.id
        else { throw Error.invalidChallenge }
        let verified: VerifiedRegistration
        do {
            verified = try relyingParty.verifyRegistration(
                response: credential, expectedChallenge: challenge.bytes, requireUserVerification: true,
                now: env.clock.now())
        } catch {
            throw Error.refused(error.code)
        }
        let now = env.clock.now()
        let passkey = Passkey(
            id: Encoding.base64URL(verified.credentialId), accountID: account.id, name: cleanName,
            publicKey: verified.publicKey, algorithm: verified.algorithm.rawValue, signCount: Int64(verified.signCount),
            backupEligible: verified.backupEligible, backupState: verified.backupState,
            transports: verified.transports.filter { !$0.contains(",") }, aaguid: Encoding.hex(verified.aaguid),
            createdAt: now)
        let env = self.env
        do {
            try await env.store.transaction { tx in
                guard try await tx.passkeys(accountID: account.id).count < Self.maximumPasskeys else {
                    throw Error.refused("too many passkeys")
                }
                try await tx.insertPasskey(passkey)
                try await tx.appendAudit(
                    AuditRecord(
                        accountID: account.id, kind: .passkeyAdded, ipAddress: caller.ipAddress,
                        detail: "\(cleanName), \(passkey.id.prefix(12))"), at: now)
                try await tx.enqueueMail(
                    env.mail.passkeyAdded(to: account, name: cleanName, by: try await tx.actingDevice(caller), now: now)
                )
            }
        } catch StoreError.conflict {
            throw Error.alreadyRegistered
        }
        return passkey
    }

    /// The account's passkeys.
    public func passkeys(of account: Account) async throws -> [Passkey] {
        try await env.store.autocommit.passkeys(accountID: account.id)
    }

    /// Removes a passkey (needs a recent re-authentication); the owner is mailed. A passkey-only account keeps
    /// its last passkey.
    public func remove(id: String, account: Account, device: Device, caller: Caller) async throws {
        try CredentialScope.requireFullCredential()
        try DeviceService(environment: env).requireRecentAuthentication(device)
        let now = env.clock.now()
        let env = self.env
        try await env.store.transaction { tx in
            let all = try await tx.passkeys(accountID: account.id)
            guard let passkey = all.first(where: { $0.id == id }) else { throw Error.notFound }
            if all.count == 1, try await tx.isPasskeyOnly(accountID: account.id) { throw Error.lastPasskey }
            guard try await tx.deletePasskey(credentialID: id, accountID: account.id) else { throw Error.notFound }
            try await tx.appendAudit(
                AuditRecord(
                    accountID: account.id, kind: .passkeyRemoved, ipAddress: caller.ipAddress,
                    detail: "\(passkey.name), \(passkey.id.prefix(12))"), at: now)
            try await tx.enqueueMail(
                env.mail.passkeyRemoved(
                    to: account, name: passkey.name, by: try await tx.actingDevice(caller), now: now))
        }
    }

    // MARK: - Passkey-only accounts

    /// True when the account's password no longer signs in.
    public func isPasskeyOnly(_ account: Account) async throws -> Bool {
        try await env.store.autocommit.isPasskeyOnly(accountID: account.id)
    }

    /// Turns "passkey only" on or off (needs a recent re-authentication; on needs a passkey).
    public func setPasskeyOnly(_ enabled: Bool, account: Account, device: Device, caller: Caller) async throws {
        try CredentialScope.requireFullCredential()
        try DeviceService(environment: env).requireRecentAuthentication(device)
        let now = env.clock.now()
        try await env.store.transaction { tx in
            if enabled, try await tx.passkeys(accountID: account.id).isEmpty { throw Error.noPasskeys }
            try await tx.setPasskeyOnly(accountID: account.id, enabled)
            try await tx.appendAudit(
                AuditRecord(
                    accountID: account.id, kind: .passkeyOnlyChanged, ipAddress: caller.ipAddress,
                    detail: enabled ? "on" : "off"), at: now)
        }
    }

    // MARK: - Sign-in

    /// Starts a username-less sign-in: empty allowCredentials, so the authenticator offers its passkeys for us.
    public func signInOptions(caller: Caller) async throws -> PasskeyCeremony<PublicKeyCredentialRequestOptionsJSON> {
        let now = env.clock.now()
        let owner = "ip:" + caller.addressKey
        try await env.store.autocommit.trimLiveTokens(
            purpose: .passkeySignIn, accountID: owner, keeping: Self.liveSignInChallengesPerAddress - 1, now: now)
        let challenge = WebAuthnRelyingParty.makeChallenge()
        let id = try await issueChallenge(.passkeySignIn, accountID: owner, challenge: challenge, binding: "")
        return PasskeyCeremony(challengeID: id, options: relyingParty.makeAuthenticationOptions(challenge: challenge))
    }

    /// Finishes a username-less sign-in. Succeeds exactly like a password sign-in (a new device, its known-device
    /// secret, the log and the new-sign-in mail); every failure is the generic 401 of a wrong password.
    public func signIn(
        challengeID: String, credential: AuthenticationResponseJSON, info: Device.Info, kind: Device.Kind,
        caller: Caller, knownDeviceToken: String? = nil, dpopThumbprint: String? = nil
    ) async throws -> SignedIn {
        try await SignInService.counted(.passkey, metrics: env.metrics) {
            (
                try await passkeySignIn(
                    challengeID: challengeID, credential: credential, info: info, kind: kind, caller: caller,
                    knownDeviceToken: knownDeviceToken, dpopThumbprint: dpopThumbprint), .success
            )
        }
    }

    private func passkeySignIn(
        challengeID: String, credential: AuthenticationResponseJSON, info: Device.Info, kind: Device.Kind,
        caller: Caller, knownDeviceToken: String?, dpopThumbprint: String?
    ) async throws -> SignedIn {
        let session = env.store.autocommit
        let now = env.clock.now()
        let addressKey = "ip:" + caller.addressKey
        let wait = try await session.reserveAttempt(key: addressKey, policy: .perAddress, now: now)
        if wait > 0 {
            try await env.store.transaction { tx in
                try await tx.appendAudit(
                    AuditRecord(
                        accountID: AuditEvent.systemChain, kind: .signInThrottled, ipAddress: caller.ipAddress,
                        detail: "passkey"), at: now)
            }
            throw SignInService.Error.throttled(seconds: wait)
        }
        let (account, passkey) = try await verifyAssertion(
            purpose: .passkeySignIn, challengeID: challengeID, credential: credential, caller: caller,
            expectedAccount: nil, expectedBinding: nil)
        try await session.refundAttempt(key: addressKey)
        if account.isResetRequired {
            try await signIn.recovery.sendForcedResetLink(account: account, caller: caller)
            throw SignInService.Error.passwordResetRequired
        }
        var isKnown = false
        if let knownDeviceToken, OpaqueToken.hasShape(knownDeviceToken, prefix: "ghk") {
            isKnown = try await session.isKnownDevice(accountID: account.id, knownDigest: env.digest(knownDeviceToken))
        }
        return try await signIn.completeSignIn(
            account: account, info: info, kind: kind, caller: caller, isKnownClient: isKnown,
            proof: .passkey(name: passkey.name), dpopThumbprint: dpopThumbprint)
    }

    // MARK: - Second factor

    /// Starts a passkey as the second step of a password sign-in (two-factor sign-in on, and the account has
    /// passkeys). Needs the live sign-in challenge the password step answered, so only someone who knew the
    /// password learns the account's credential ids. The ceremony is bound to that challenge.
    public func secondFactorOptions(signInChallenge: String) async throws
        -> PasskeyCeremony<PublicKeyCredentialRequestOptionsJSON>
    {
        guard let account = try await signIn.secondFactors.pendingAccount(challenge: signInChallenge) else {
            throw SignInService.Error.invalidChallenge
        }
        let passkeys = try await env.store.autocommit.passkeys(accountID: account.id)
        guard !passkeys.isEmpty else { throw Error.noPasskeys }
        let challenge = WebAuthnRelyingParty.makeChallenge()
        let id = try await issueChallenge(
            .passkeySecondFactor, accountID: account.id, challenge: challenge, binding: env.digest(signInChallenge))
        return PasskeyCeremony(
            challengeID: id,
            options: relyingParty.makeAuthenticationOptions(
                challenge: challenge, allowCredentials: Self.descriptors(passkeys)))
    }

    /// Finishes a password sign-in with a passkey as the second factor: the attempt is reserved on the sign-in
    /// challenge (as for a code), the assertion must come from the account's own passkey for a ceremony bound to
    /// that challenge, and the device is then created as for any sign-in. Any failure: the generic answers.
    public func completeSecondFactor(
        signInChallenge: String, challengeID: String, credential: AuthenticationResponseJSON, caller: Caller,
        dpopThumbprint: String? = nil
    ) async throws -> SignedIn {
        try await SignInService.counted(.secondStep, metrics: env.metrics) {
            (
                try await passkeySecondStep(
                    signInChallenge: signInChallenge, challengeID: challengeID, credential: credential, caller: caller,
                    dpopThumbprint: dpopThumbprint),
                .success
            )
        }
    }

    private func passkeySecondStep(
        signInChallenge: String, challengeID: String, credential: AuthenticationResponseJSON, caller: Caller,
        dpopThumbprint: String?
    ) async throws -> SignedIn {
        let answered = try await signIn.secondFactors.answerChallenge(signInChallenge, caller: caller) { account, _ in
            do {
                let (_, passkey) = try await verifyAssertion(
                    purpose: .passkeySecondFactor, challengeID: challengeID, credential: credential, caller: caller,
                    expectedAccount: account.id, expectedBinding: env.digest(signInChallenge))
                return .passwordAndPasskey(name: passkey.name)
            } catch SignInService.Error.invalidCredentials {
                return nil
            }
        }
        return try await signIn.completeSignIn(
            account: answered.account, info: answered.info, kind: answered.kind, caller: caller,
            isKnownClient: answered.isKnownDevice, proof: answered.proof, dpopThumbprint: dpopThumbprint)
    }

    /// Deletes expired passkey challenges (sign-in ones belong to no account, so nothing else would), for the
    /// hub's cleanup loop. Returns how many.
    @discardableResult
    public func purgeExpiredChallenges() async throws -> Int {
        let now = env.clock.now()
        var purged = 0
        for purpose in [
            OneTimeToken.Purpose.passkeySignIn, .passkeyRegistration, .passkeyReauthentication, .passkeySecondFactor,
        ] {
            purged += try await env.store.autocommit.purgeExpiredTokens(purpose: purpose, now: now)
        }
        return purged
    }

    // MARK: - Re-authentication

    /// Starts a re-authentication with one of the account's own passkeys.
    public func reauthenticationOptions(account: Account, device: Device) async throws
        -> PasskeyCeremony<PublicKeyCredentialRequestOptionsJSON>
    {
        try CredentialScope.requireFullCredential()
        let passkeys = try await env.store.autocommit.passkeys(accountID: account.id)
        guard !passkeys.isEmpty else { throw Error.noPasskeys }
        let challenge = WebAuthnRelyingParty.makeChallenge()
        let id = try await issueChallenge(
            .passkeyReauthentication, accountID: account.id, challenge: challenge, binding: device.id)
        return PasskeyCeremony(
            challengeID: id,
            options: relyingParty.makeAuthenticationOptions(
                challenge: challenge, allowCredentials: Self.descriptors(passkeys)))
    }

    static func descriptors(_ passkeys: [Passkey]) -> [PublicKeyCredentialDescriptorJSON] {
        passkeys.compactMap { passkey in
            Encoding.bytes(base64URL: passkey.id).map {
                PublicKeyCredentialDescriptorJSON(
                    id: $0, transports: passkey.transports.isEmpty ? nil : passkey.transports)
            }
        }
    }

    /// Finishes a re-authentication: the assertion must come from one of the account's passkeys, for a challenge
    /// issued to this account on this device. Marks the device re-authenticated. Every failure is the generic
    /// 401 and spends the account's budget, like a wrong password.
    public func reauthenticate(
        account: Account, device: Device, challengeID: String, credential: AuthenticationResponseJSON, caller: Caller
    ) async throws {
        try CredentialScope.requireFullCredential()
        let now = env.clock.now()
        let session = env.store.autocommit
        let key = HubEnvironment.accountThrottleKey(accountID: account.id, identifier: account.username)
        let wait = try await session.reserveAttempt(key: key, policy: .perAccount, now: now)
        if wait > 0 {
            try await env.store.transaction { tx in
                try await tx.appendAudit(
                    AuditRecord(
                        accountID: account.id, kind: .signInThrottled, ipAddress: caller.ipAddress,
                        detail: "passkey re-authentication"), at: now)
            }
            throw SignInService.Error.throttled(seconds: wait)
        }
        let (_, passkey) = try await verifyAssertion(
            purpose: .passkeyReauthentication, challengeID: challengeID, credential: credential, caller: caller,
            expectedAccount: account.id, expectedBinding: device.id)
        try await session.refundAttempt(key: key)
        try await DeviceService(environment: env).markReauthenticated(
            account: account, caller: caller, proof: .passkey(name: passkey.name))
    }

    // MARK: - Steps

    struct StoredChallenge {
        var accountID: String
        var bytes: [UInt8]
        var binding: String
    }

    private func issueChallenge(
        _ purpose: OneTimeToken.Purpose, accountID: String, challenge: [UInt8], binding: String
    ) async throws -> String {
        let id = OpaqueToken.generate(prefix: "ghw")
        try await env.store.autocommit.issueToken(
            OneTimeToken(
                purpose: purpose, accountID: accountID, digest: env.digest(id.value),
                payload: Encoding.base64URL(challenge) + " " + binding,
                expiresAt: env.clock.now().addingTimeInterval(Self.challengeLifetime)))
        return id.value
    }

    /// Uses a challenge once: it is gone afterwards, whatever the verification then says.
    private func consumeChallenge(_ purpose: OneTimeToken.Purpose, id: String) async throws -> StoredChallenge? {
        guard OpaqueToken.hasShape(id, prefix: "ghw") else { return nil }
        guard
            let token = try await env.store.autocommit.consumeToken(
                purpose: purpose, digest: env.digest(id), now: env.clock.now())
        else { return nil }
        let parts = token.payload.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
        guard let first = parts.first, let bytes = Encoding.bytes(base64URL: String(first)), !bytes.isEmpty else {
            return nil
        }
        return StoredChallenge(
            accountID: token.accountID, bytes: bytes, binding: parts.count > 1 ? String(parts[1]) : "")
    }

    /// Consumes the challenge, finds the credential, checks whose it is and verifies the signature; records the
    /// use and flags a counter that went backwards. Any failure is logged and thrown as the generic 401.
    private func verifyAssertion(
        purpose: OneTimeToken.Purpose, challengeID: String, credential: AuthenticationResponseJSON, caller: Caller,
        expectedAccount: String?, expectedBinding: String?
    ) async throws -> (Account, Passkey) {
        let session = env.store.autocommit
        let now = env.clock.now()
        var chain = expectedAccount ?? AuditEvent.systemChain
        func fail(_ reason: String) async throws -> Never {
            let chainID = chain
            try await env.store.transaction { tx in
                try await tx.appendAudit(
                    AuditRecord(
                        accountID: chainID, kind: .signInFailed, ipAddress: caller.ipAddress,
                        detail: "passkey: \(reason)"), at: now)
            }
            throw SignInService.Error.invalidCredentials
        }
        guard let challenge = try await consumeChallenge(purpose, id: challengeID) else {
            try await fail("unknown, used or expired challenge")
        }
        if let expectedAccount, challenge.accountID != expectedAccount {
            try await fail("challenge of another account")
        }
        if let expectedBinding, challenge.binding != expectedBinding { try await fail("challenge of another device") }
        guard let credentialBytes = try? credential.credentialId(),
            let passkey = try await session.passkey(credentialID: Encoding.base64URL(credentialBytes))
        else { try await fail("unknown credential") }
        if let expectedAccount, passkey.accountID != expectedAccount {
            try await fail("credential of another account")
        }
        chain = passkey.accountID
        guard let account = try await session.account(id: passkey.accountID) else { try await fail("no account") }
        if let handle = try? credential.userHandle(), handle != Self.userHandle(account) {
            try await fail("user handle does not match the credential")
        }
        let verified: VerifiedAssertion
        do {
            verified = try relyingParty.verifyAssertion(
                response: credential, expectedChallenge: challenge.bytes, storedPublicKey: passkey.publicKey,
                storedSignCount: UInt32(clamping: passkey.signCount), requireUserVerification: true)
        } catch {
            try await fail(error.code)
        }
        let mail = env.mail
        try await env.store.transaction { tx in
            try await tx.recordPasskeyUse(
                credentialID: passkey.id, signCount: Int64(verified.newSignCount), backupState: verified.backupState,
                at: now)
            if verified.possibleClone {
                try await tx.appendAudit(
                    AuditRecord(
                        accountID: account.id, kind: .passkeyPossibleClone, ipAddress: caller.ipAddress,
                        detail:
                            "\(passkey.name), \(passkey.id.prefix(12)): counter \(verified.newSignCount) after \(passkey.signCount)"
                    ), at: now)
                try await tx.enqueueMail(mail.passkeyPossibleClone(to: account, name: passkey.name, now: now))
            }
        }
        return (account, passkey)
    }

    static func cleanName(_ name: String) throws -> String {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        let visible = String(trimmed.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7f })
        guard !visible.isEmpty, visible.unicodeScalars.count <= 64 else { throw Error.invalidName }
        return visible
    }
}
