import Foundation

/// The first start of a hub: while no admin exists, each start prints a one-time setup link on the console (and
/// only there). The link's page creates the first admin with two-factor sign-in already on: the TOTP secret is
/// enrolled and proved with a code in the same form, so the account is never an admin without a second factor.
public struct SetupService: Sendable {
    /// How long a printed setup link works (a restart prints a new one and voids the old).
    public static let lifetime: TimeInterval = 86_400

    let env: HubEnvironment

    public init(environment: HubEnvironment) {
        self.env = environment
    }

    /// While the hub has no admin: a fresh setup link (the previous one stops working), else nil.
    public func issueLinkIfNoAdmin() async throws -> String? {
        guard try await env.store.autocommit.adminCount() == 0 else { return nil }
        let token = OpaqueToken.generate(prefix: "ghu")
        let now = env.clock.now()
        try await env.store.autocommit.issueToken(
            OneTimeToken(
                purpose: .adminSetup, accountID: OneTimeToken.hubAccount, digest: env.digest(token.value), payload: "",
                expiresAt: now.addingTimeInterval(Self.lifetime)))
        return env.mail.link("/setup", token: token.value)
    }

    /// Whether `token` is a live setup link of a hub that still has no admin.
    public func isValid(token: String) async throws -> Bool {
        guard token.utf8.count <= 128, !token.isEmpty else { return false }
        guard try await env.store.autocommit.adminCount() == 0 else { return false }
        return try await env.store.autocommit.peekToken(
            purpose: .adminSetup, digest: env.digest(token), now: env.clock.now())
            != nil
    }

    /// A new TOTP secret for the setup form (kept by nobody until the form comes back with a code for it).
    public func newSecret(username: String = "admin") -> TwoFactorService.Enrollment {
        let secret = SecureRandom.bytes(20)
        return TwoFactorService.Enrollment(
            secretBase32: Base32.encode(secret),
            uri: TOTP(secret: secret).provisioningURI(issuer: TwoFactorService.issuer, account: username))
    }

    /// The enrolment of a secret the setup form carries (to show its QR code again after an error); nil when the
    /// form's secret is not one this hub could have made. The authenticator's label is the username typed, or
    /// "admin" while there is none (or it is too long to be one).
    public func enrollment(secretBase32: String, username: String) -> TwoFactorService.Enrollment? {
        guard secretBase32.utf8.count <= 64, let secret = Base32.decode(secretBase32), secret.count == 20 else {
            return nil
        }
        let label = username.isEmpty || username.utf8.count > 32 ? "admin" : username
        return TwoFactorService.Enrollment(
            secretBase32: secretBase32,
            uri: TOTP(secret: secret).provisioningURI(issuer: TwoFactorService.issuer, account: label))
    }

    /// Creates the first admin: consumes the link, enrols the TOTP secret proved by `code`, and returns the recovery
    /// codes (shown once). Refused when the link was used, expired, replaced, or an admin exists.
    public func complete(
        token: String, username: String, email: String, password: String, secretBase32: String, code: String,
        caller: Caller
    ) async throws -> (account: Account, recoveryCodes: [String]) {
        guard try await isValid(token: token) else { throw AccountService.Error.invalidToken }
        guard secretBase32.utf8.count <= 64, let secret = Base32.decode(secretBase32), secret.count == 20 else {
            throw TwoFactorService.Error.invalidCode
        }
        guard code.utf8.count <= 16, let step = TOTP(secret: secret).matchingStep(for: code, at: env.clock.now()) else {
            throw TwoFactorService.Error.invalidCode
        }
        let codes = TwoFactorService.makeRecoveryCodes()
        guard
            let account = try await AccountService(environment: env).admit(
                username: username, email: email, password: password, caller: caller,
                admission: .setup(
                    token: token, totpSecret: secret, step: step, recoveryCodes: codes))
        else { throw AccountService.Error.taken }
        return (account, codes)
    }
}
