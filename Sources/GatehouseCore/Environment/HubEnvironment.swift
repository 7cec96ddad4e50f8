import Crypto
import Foundation
import Logging

/// Settings the account services read.
public struct AccountSettings: Sendable {
    /// Who may sign up with the public form: `open`, `invite` (only with an invitation) or `closed`. The library
    /// default is `open` (tests and embedding); `gatehouse serve` defaults to `invite` (``SignUpMode``).
    public var signUpMode: SignUpMode
    /// Members (not only admins) may make invitations (`--members-can-invite`).
    public var membersCanInvite: Bool
    /// How long a sign-in or password re-check counts as recent for sensitive changes ("sudo mode").
    public var reauthenticationWindow: TimeInterval
    /// How many earlier passwords an account may not reuse.
    public var passwordHistoryDepth: Int
    /// How long an email-verification link lives.
    public var verificationLifetime: TimeInterval
    /// How long a password-reset link lives.
    public var resetLifetime: TimeInterval
    /// How long a second-factor challenge lives.
    public var challengeLifetime: TimeInterval
    /// Failed codes allowed per challenge.
    public var challengeAttempts: Int
    /// Live second-factor challenges kept per account; issuing another drops the oldest.
    public var liveChallengesPerAccount: Int
    /// How long a device credential lives without use, and at most, per kind of device.
    public var deviceLifetimes: DeviceLifetimes
    /// Admins must sign in with a passkey (`--admin-credential passkey`): their password sign-in is refused with
    /// the same answer as a wrong password.
    public var adminsNeedPasskey: Bool
    /// A password sign-in from a client never seen on an account without a second factor needs a 6-digit code
    /// mailed to the account's address (GitHub's device verification). Off in this type's default, which
    /// in-process tests use; the hub turns it on unless `--device-verification off`.
    public var deviceVerification: Bool
    /// How long a mailed sign-in code lives.
    public var mailedCodeLifetime: TimeInterval

    public init(
        signUpMode: SignUpMode = .open, membersCanInvite: Bool = false, reauthenticationWindow: TimeInterval = 600,
        passwordHistoryDepth: Int = 5,
        verificationLifetime: TimeInterval = 86_400, resetLifetime: TimeInterval = 1_800,
        challengeLifetime: TimeInterval = 300, challengeAttempts: Int = 5, liveChallengesPerAccount: Int = 3,
        deviceLifetimes: DeviceLifetimes = DeviceLifetimes(), adminsNeedPasskey: Bool = false,
        deviceVerification: Bool = false, mailedCodeLifetime: TimeInterval = 900
    ) {
        self.deviceVerification = deviceVerification
        self.mailedCodeLifetime = mailedCodeLifetime
        self.adminsNeedPasskey = adminsNeedPasskey
        self.liveChallengesPerAccount = liveChallengesPerAccount
        self.deviceLifetimes = deviceLifetimes
        self.signUpMode = signUpMode
        self.membersCanInvite = membersCanInvite
        self.reauthenticationWindow = reauthenticationWindow
        self.passwordHistoryDepth = passwordHistoryDepth
        self.verificationLifetime = verificationLifetime
        self.resetLifetime = resetLifetime
        self.challengeLifetime = challengeLifetime
        self.challengeAttempts = challengeAttempts
    }
}

/// The token-digest key, made once: every authenticated request digests its credential, so building a
/// `SymmetricKey` per call would sit on the hot path. `SymmetricKey` is immutable after creation, so sharing it
/// across tasks is safe although swift-crypto does not mark it `Sendable`.
private final class DigestKey: @unchecked Sendable {
    let key: SymmetricKey
    init(key: SymmetricKey) { self.key = key }
}

/// Idle and absolute lifetimes of device credentials. A browser is used often and is easy to lose, so its
/// limits are shorter than a TV's, which may sit unused for months.
public struct DeviceLifetimes: Sendable, Equatable {
    public var browserIdle: TimeInterval
    public var browserAbsolute: TimeInterval
    public var appIdle: TimeInterval
    public var appAbsolute: TimeInterval

    public init(
        browserIdle: TimeInterval = 30 * 86_400, browserAbsolute: TimeInterval = 90 * 86_400,
        appIdle: TimeInterval = 180 * 86_400, appAbsolute: TimeInterval = 400 * 86_400
    ) {
        self.browserIdle = browserIdle
        self.browserAbsolute = browserAbsolute
        self.appIdle = appIdle
        self.appAbsolute = appAbsolute
    }

    /// When `device` stops working unless used again.
    public func expiry(of device: Device) -> Date {
        let (idle, absolute) =
            device.kind == .browser ? (browserIdle, browserAbsolute) : (appIdle, appAbsolute)
        return min(device.lastSeenAt.addingTimeInterval(idle), device.createdAt.addingTimeInterval(absolute))
    }
}

/// The dependencies every domain service shares, built once by the composition root.
public struct HubEnvironment: Sendable {
    public let store: any HubStore
    public let hasher: any PasswordHashing
    public let rules: any PasswordRules
    public let mail: MailComposer
    public let clock: any WallClock
    public let revocations: RevocationBus
    public let cache: CredentialCache
    public let keyring: Keyring
    public let settings: AccountSettings
    public let logger: Logger
    /// The hub-wide breaker against credential-stuffing waves.
    public let breaker: SignInBreaker
    /// Counters and timings for `/metrics` (``HubMetrics/disabled`` when it is off).
    public let metrics: HubMetrics
    /// Which accounts are canaries (keyed digests, cached) and when each last raised the alarm.
    public let canaries = CanaryRegistry()
    /// Work that outlives its request (reset mail, web-declared incidents, alerts): one bounded queue, run by the
    /// hub as a service and drained on graceful shutdown.
    public let background: BackgroundWork
    /// The key of token digests: HMAC-SHA-256 under a key derived from the keyring's first pepper, so that a copy
    /// of the database alone cannot even confirm a guessed token. Derived from the first pepper so that a
    /// rotation does not void every credential.
    private let digestKey: DigestKey
    /// The `jti`s of accepted DPoP proofs (this process) and the server nonces (stateless, keyed from the first
    /// pepper, so every instance accepts every other's).
    public let dpopReplay: DPoPReplayCache
    public let dpopNonces: DPoPNonceSource

    public init(
        store: any HubStore, hasher: any PasswordHashing, rules: any PasswordRules, mail: MailComposer,
        clock: any WallClock, revocations: RevocationBus, cache: CredentialCache, keyring: Keyring,
        settings: AccountSettings, logger: Logger, breaker: SignInBreaker = SignInBreaker(),
        metrics: HubMetrics = .disabled, background: BackgroundWork? = nil
    ) {
        self.background = background ?? BackgroundWork(logger: logger)
        self.breaker = breaker
        self.metrics = metrics
        self.store = store
        self.hasher = hasher
        self.rules = rules
        self.mail = mail
        self.clock = clock
        self.revocations = revocations
        self.cache = cache
        self.keyring = keyring
        self.settings = settings
        self.logger = logger
        self.digestKey = DigestKey(
            key: HKDF<SHA256>.deriveKey(
                inputKeyMaterial: SymmetricKey(data: keyring.peppers[0].material),
                info: Array("gatehouse token digest v1".utf8), outputByteCount: 32))
        store.useAuditKey(keyring.derivedKey(purpose: AuditChain.keyPurpose).withUnsafeBytes { Array($0) })
        self.dpopReplay = DPoPReplayCache()
        self.dpopNonces = DPoPNonceSource(secret: keyring.peppers[0].material)
    }

    /// The keyed digest the store keeps of a bearer token or one-time code.
    public func digest(_ token: String) -> String {
        "k1:" + Encoding.hex(HMAC<SHA256>.authenticationCode(for: Array(token.utf8), using: digestKey.key))
    }

    /// A throttle key for an account: by id when it exists, else by the identifier typed (which behaves the same
    /// from outside, so the throttle tells no one whether an account exists).
    public static func accountThrottleKey(accountID: String?, identifier: String) -> String {
        if let accountID { return "acct:" + accountID }
        return "id:" + AccountNames.canonical(identifier)
    }

    /// Announces a revocation the store has just recorded: empties this instance's cache at once (so the very next
    /// request fails) and wakes the revocation feed, which tells listeners (media servers) and other instances
    /// learn of it from the store's revocation log.
    public func announce(_ revocation: Revocation) {
        // A server-scoped revocation (a share taken back) leaves the account's own credentials alone.
        if revocation.serverID == nil {
            cache.evict(accountID: revocation.accountID, deviceIDs: revocation.allDevices ? nil : revocation.deviceIDs)
        }
        revocations.nudge()
    }
}

/// Who is asking: the client address and, when signed in, the device.
public struct Caller: Sendable {
    /// The client address for display and audit records (canonical text, or `unknown`).
    public var ipAddress: String
    public var deviceID: String?

    /// The key the caller's address-based throttles count under: the IPv4 address, or the IPv6 /64 it is in
    /// (see ``ClientAddress/throttleKey(for:)-(String)``).
    public var addressKey: String { ClientAddress.throttleKey(for: ipAddress) }

    public init(ipAddress: String, deviceID: String? = nil) {
        self.ipAddress = ipAddress
        self.deviceID = deviceID
    }
}
