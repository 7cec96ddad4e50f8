import Foundation

/// App passwords: creation (recent re-authentication, shown once), listing with last use, revocation, and the
/// check behind HTTP Basic (`identifier:gha_...`), which spends the account's sign-in budget before it looks.
public struct AppPasswordService: Sendable {
    public enum Error: PublicError, Equatable {
        case notAllowed
        case invalidName
        case invalidScopes
        case invalidLifetime
        case tooMany
        case notFound

        public var status: Int {
            switch self {
            case .notAllowed: 403
            case .invalidName, .invalidScopes, .invalidLifetime, .tooMany: 422
            case .notFound: 404
            }
        }
        public var code: String {
            switch self {
            case .notAllowed: "app_password_not_allowed"
            case .invalidName: "invalid_name"
            case .invalidScopes: "invalid_scopes"
            case .invalidLifetime: "invalid_lifetime"
            case .tooMany: "too_many_app_passwords"
            case .notFound: "app_password_not_found"
            }
        }
        public var message: String {
            switch self {
            case .notAllowed:
                "An app password cannot do this. Sign in with your password on a device to change your account."
            case .invalidName: "Give the app password a name of 1 to 60 characters."
            case .invalidScopes: "Choose at least one scope: media, account:read."
            case .invalidLifetime: "An app password lives 1 to 730 days."
            case .tooMany: "This account has too many app passwords. Revoke one first."
            case .notFound: "No such app password."
            }
        }
    }

    public static let prefix = "gha"
    public static let defaultLifetimeDays = 365
    public static let maximumLifetimeDays = 730
    public static let maximumPerAccount = 50
    /// How often the last use is written (it is shown in minutes).
    static let touchInterval: TimeInterval = 60

    let env: HubEnvironment

    public init(environment: HubEnvironment) {
        self.env = environment
    }

    /// Creates an app password; the secret is returned once. Needs a recent password (or passkey) check on the
    /// device, and a full credential: an app password cannot make another.
    public func create(
        account: Account, device: Device, name: String, scopes: [AppPassword.Scope], lifetimeDays: Int?,
        caller: Caller
    ) async throws -> (AppPassword, OpaqueToken) {
        try CredentialScope.requireFullCredential()
        try DeviceService(environment: env).requireRecentAuthentication(device)
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        let visible = String(trimmed.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7f })
        guard !visible.isEmpty, visible.unicodeScalars.count <= 60 else { throw Error.invalidName }
        let unique = AppPassword.Scope.allCases.filter { scopes.contains($0) }
        guard !unique.isEmpty else { throw Error.invalidScopes }
        let days = lifetimeDays ?? Self.defaultLifetimeDays
        guard days >= 1, days <= Self.maximumLifetimeDays else { throw Error.invalidLifetime }
        let now = env.clock.now()
        let secret = OpaqueToken.generate(prefix: Self.prefix)
        let password = AppPassword(
            id: "apw_" + SecureRandom.identifier(), accountID: account.id, name: visible, scopes: unique,
            createdAt: now, expiresAt: now.addingTimeInterval(TimeInterval(days) * 86_400))
        let env = self.env
        try await env.store.transaction { tx in
            guard try await tx.countAppPasswords(accountID: account.id) < Self.maximumPerAccount else {
                throw Error.tooMany
            }
            try await tx.insertAppPassword(password, digest: env.digest(secret.value))
            try await tx.appendAudit(
                AuditRecord(
                    accountID: account.id, kind: .appPasswordCreated, ipAddress: caller.ipAddress,
                    detail: "\(visible) (\(unique.map(\.rawValue).joined(separator: ", "))), \(password.id)"),
                at: now)
        }
        return (password, secret)
    }

    /// The account's live app passwords (expired ones included, marked by their date), newest first.
    public func list(account: Account) async throws -> [AppPassword] {
        try await env.store.autocommit.appPasswords(accountID: account.id)
    }

    /// Revokes one app password; its media tokens are revoked with it (the revocation log names its id).
    public func revoke(id: String, account: Account, caller: Caller) async throws {
        try CredentialScope.requireFullCredential()
        let now = env.clock.now()
        let revoked = try await env.store.transaction { tx -> Bool in
            guard try await tx.revokeAppPassword(id: id, accountID: account.id, at: now) else { return false }
            try await tx.appendAudit(
                AuditRecord(accountID: account.id, kind: .appPasswordRevoked, ipAddress: caller.ipAddress, detail: id),
                at: now)
            return true
        }
        guard revoked else { throw Error.notFound }
        env.announce(Revocation(accountID: account.id, deviceIDs: [id], allDevices: false, at: now))
    }

    /// The account and app password behind HTTP Basic `identifier:secret`, or nil (one answer for an unknown
    /// account, a wrong, revoked or expired app password, or one of another account).
    ///
    /// Every try is reserved first (``SignInAttempt``: per address, per identifier and on the account's sign-in
    /// budget, the same keys a password sign-in spends), so concurrent guesses pass no more tries than the policies
    /// allow; a right one gives its reservations back. Throws ``SignInService/Error/throttled(seconds:)`` when the
    /// address's or the identifier's budget is spent; when only the account's is, the try goes on (a valid app
    /// password still works; a wrong one is refused as always).
    public func authenticate(identifier: String, secret: String, caller: Caller) async throws -> (Account, AppPassword)?
    {
        guard identifier.utf8.count <= AccountNames.maximumIdentifierBytes, secret.utf8.count <= 128 else { return nil }
        let session = env.store.autocommit
        let now = env.clock.now()
        let canonical = AccountNames.canonical(identifier)
        let account = canonical.isEmpty ? nil : try await session.account(identifier: canonical)
        let attempt = SignInAttempt(caller: caller, identifier: identifier, accountID: account?.id)
        let outcome = try await attempt.reserve(in: env.store, addressPolicy: .perAddress, now: now)
        if case .wait(let seconds) = outcome { throw SignInService.Error.throttled(seconds: seconds) }

        // A held attempt (the account's budget spent through guesses elsewhere) is looked up like any other: an app
        // password has 256 random bits, so only its holder can tell a held account from another, and the
        // household's clients keep working while someone guesses at the password.
        var found: AppPassword?
        if OpaqueToken.hasShape(secret, prefix: Self.prefix) {
            found = try await session.appPassword(digest: env.digest(secret))
        }
        guard let account, let password = found, password.accountID == account.id, password.expiresAt > now else {
            try await env.store.transaction { tx in
                try await tx.appendAudit(
                    AuditRecord(
                        accountID: account?.id ?? AuditEvent.systemChain, kind: .signInFailed,
                        ipAddress: caller.ipAddress, detail: "app password refused"), at: now)
            }
            return nil
        }
        try await attempt.settle(after: outcome, in: session, clearing: false)
        var used = password
        if (password.lastUsedAt.map { now.timeIntervalSince($0) >= Self.touchInterval } ?? true)
            || password.lastUsedAddress != caller.ipAddress
        {
            try await session.touchAppPassword(id: password.id, at: now, address: caller.ipAddress)
            used.lastUsedAt = now
            used.lastUsedAddress = caller.ipAddress
        }
        return (account, used)
    }
}
