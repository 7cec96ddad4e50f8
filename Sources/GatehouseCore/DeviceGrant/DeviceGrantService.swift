import Foundation
import GatehouseBasics

/// The OAuth 2.0 Device Authorization Grant (RFC 8628) and the `/link` page behind it: a TV asks for a code, shows
/// it, and polls; the owner types the code on a signed-in browser, sees what is asking, and approves or denies.
///
/// - Device codes (`ghl_`, 256 bits) and user codes (8 letters from `BCDFGHJKLMNPQRSTVWXZ`, 20^8 ≈ 2.6 × 10^10) are
///   stored only as keyed digests; both are single-use and live ``lifetime`` seconds.
/// - Typing a user code spends one attempt per account and one per address (``entryPolicy``), reserved before the
///   lookup; the decision that follows carries a ticket from that lookup, so it cannot be used to guess.
/// - The credential is issued by ``exchange(deviceCode:clientID:caller:)`` through the same path as every other
///   sign-in (``SignInService/recordSignIn(in:environment:account:info:kind:ipAddress:isKnownClient:now:detail:)``):
///   the device is listed, mailed about and revoked by sign-out-all like any other.
public struct DeviceGrantService: Sendable {
    /// An RFC 6749 §5.2 / RFC 8628 §3.5 error: the `error` code, a description, and the HTTP status.
    public enum OAuthError: Error, Equatable {
        case invalidRequest(String)
        case invalidClient
        case invalidGrant
        case unsupportedGrantType
        case authorizationPending
        case slowDown
        case accessDenied
        case expiredToken
        /// Too many device authorization requests from one address (429, with Retry-After).
        case throttled(seconds: Int)

        public var code: String {
            switch self {
            case .invalidRequest: "invalid_request"
            case .invalidClient: "invalid_client"
            case .invalidGrant: "invalid_grant"
            case .unsupportedGrantType: "unsupported_grant_type"
            case .authorizationPending: "authorization_pending"
            case .slowDown: "slow_down"
            case .accessDenied: "access_denied"
            case .expiredToken: "expired_token"
            case .throttled: "temporarily_unavailable"
            }
        }

        public var status: Int {
            if case .throttled = self { return 429 }
            return 400
        }

        public var retryAfter: Int? {
            if case .throttled(let seconds) = self { return seconds }
            return nil
        }

        public var description: String {
            switch self {
            case .invalidRequest(let reason): reason
            case .invalidClient: "This client_id is not registered on this hub."
            case .invalidGrant: "The device_code is unknown, already used, or was issued to another client."
            case .unsupportedGrantType: "This grant_type is not supported here."
            case .authorizationPending: "Waiting for the code to be entered and approved."
            case .slowDown: "Polling too fast: wait 5 seconds longer between requests."
            case .accessDenied: "The request was denied."
            case .expiredToken: "The device_code has expired. Start again."
            case .throttled(let seconds): "Too many requests. Try again in \(seconds) seconds."
            }
        }
    }

    /// Errors of the `/link` page's steps.
    public enum LinkError: PublicError, Equatable {
        case unknownCode
        case staleDecision

        public var status: Int {
            switch self {
            case .unknownCode: 404
            case .staleDecision: 409
            }
        }

        public var code: String {
            switch self {
            case .unknownCode: "unknown_user_code"
            case .staleDecision: "link_decided"
            }
        }

        public var message: String {
            switch self {
            case .unknownCode:
                "That code is not right, was already used or has expired. Check the code on your screen, or start again there."
            case .staleDecision: "This request was already decided or has expired. Start again on your device."
            }
        }
    }

    /// What the device gets back from `POST /oauth/device_authorization`.
    public struct Started: Sendable {
        public var deviceCode: String
        /// `XXXX-XXXX`.
        public var userCode: String
        public var verificationURI: String
        public var verificationURIComplete: String
        public var expiresIn: Int
        public var interval: Int
    }

    /// What `/link` shows about a pending request, and the ticket its approve/deny form carries.
    public struct Pending: Sendable {
        public var userCode: String
        public var clientID: String
        public var clientName: String
        public var clientLogo: String?
        /// Registered by the operator (or built in); otherwise shown as unverified.
        public var isRegistered: Bool
        public var scope: String
        public var info: Device.Info
        public var ipAddress: String
        public var requestedAt: Date
        public var expiresAt: Date
        public var ticket: String
        /// A media server asking to be claimed: approving makes it the approver's.
        public var isServerClaim: Bool
    }

    /// How long both codes live (RFC 8628's `expires_in`).
    public static let lifetime: TimeInterval = 600
    /// The polling interval a device starts with; `slow_down` adds ``slowDownStep``.
    public static let interval = 5
    public static let slowDownStep = 5
    /// The user-code alphabet: 20 consonants, no vowels (no words) and no look-alike digits (RFC 8628 §6.1).
    public static let userCodeAlphabet = Array("BCDFGHJKLMNPQRSTVWXZ")
    public static let userCodeLength = 8
    /// User codes typed on `/link`, per account and per address: 10, then 1 s doubling to an hour, counted for a day.
    /// Within one code's 600 s that is at most 19 tries per account or address (10 + the delays 1+2+…+256 = 511 s);
    /// see docs/threat-model.md for the figure against 20^8.
    public static let entryPolicy = ThrottlePolicy(freeAttempts: 10, baseDelay: 1, maximumDelay: 3_600, window: 86_400)
    /// Device authorization requests per address: 30 an hour, then one a minute doubling to an hour (each
    /// request adds a row: a flood cannot fill the table).
    public static let requestPolicy = ThrottlePolicy(
        freeAttempts: 30, baseDelay: 60, maximumDelay: 3_600, window: 3_600)
    /// Clients every hub knows: its own command line and media server.
    public static let builtInClients: [(id: String, name: String)] = [
        ("gatehouse-cli", "Gatehouse command line"), ("gatehouse-media", "Gatehouse media server"),
    ]
    /// Longest client_id and scope accepted (bytes).
    public static let maximumClientIDBytes = 64
    public static let maximumScopeBytes = 200

    let env: HubEnvironment
    let publicURL: String
    let allowUnregisteredClients: Bool

    public init(environment: HubEnvironment, publicURL: String, allowUnregisteredClients: Bool) {
        self.env = environment
        var base = publicURL
        while base.hasSuffix("/") { base.removeLast() }
        self.publicURL = base
        self.allowUnregisteredClients = allowUnregisteredClients
    }

    // MARK: The device's side

    /// A media server linking itself (`gatehouse media`): the claim code it was given and the SHA-256 of its own
    /// credential, which must match the claim's, so a guessed claim code is worthless here.
    public struct ServerClaimProof: Sendable {
        public var code: String
        public var credentialDigest: String

        public init(code: String, credentialDigest: String) {
            self.code = code
            self.credentialDigest = credentialDigest
        }
    }

    /// `POST /oauth/device_authorization`: a new device code and user code for `clientID`. With `serverClaim`
    /// (client `gatehouse-media` only), approving the code on `/link` claims that media server for the approver.
    public func start(
        clientID: String, scope: String?, info: Device.Info, caller: Caller, serverClaim: ServerClaimProof? = nil
    ) async throws -> Started {
        try Self.checkClientIDShape(clientID)
        let scope = scope ?? ""
        guard scope.utf8.count <= Self.maximumScopeBytes,
            scope.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7f && $0 != "\\" && $0 != "\"" })
        else { throw OAuthError.invalidRequest("scope is malformed or too long.") }
        guard let client = try await resolveClient(clientID) else { throw OAuthError.invalidClient }
        let now = env.clock.now()
        let wait = try await env.store.autocommit.reserveAttempt(
            key: "link-request-ip:" + caller.addressKey, policy: Self.requestPolicy, now: now)
        if wait > 0 { throw OAuthError.throttled(seconds: wait) }
        var described = info
        if described.name.isEmpty { described.name = client.name }
        if described.product.isEmpty { described.product = client.name }
        var claimCodeDigest: String?
        if let serverClaim {
            guard clientID == "gatehouse-media" else {
                throw OAuthError.invalidRequest("claim_code is only for the gatehouse-media client.")
            }
            let digest = env.digest("claim:" + ServerService.normalize(serverClaim.code.clipped(toScalars: 32)))
            let proof = serverClaim.credentialDigest.lowercased()
            guard proof.utf8.count == 64, Encoding.bytes(hex: proof) != nil,
                let claim = try await env.store.autocommit.liveServerClaim(codeDigest: digest, now: now),
                ConstantTime.equals(claim.credentialDigest, ServerService.keyedCredentialDigest(proof, env))
            else {
                throw OAuthError.invalidRequest(
                    "claim_code and credential_digest do not name a live claim of this server.")
            }
            claimCodeDigest = digest
            described = Device.Info(
                clientIdentifier: "", name: claim.name, product: "Gatehouse media server", version: claim.version,
                platform: claim.platform)
        }
        for _ in 0..<4 {
            let deviceCode = OpaqueToken.generate(prefix: "ghl").value
            let userCode = Self.generateUserCode()
            let inserted = try await env.store.autocommit.insertDeviceAuthorization(
                DeviceAuthorization(
                    deviceCodeDigest: deviceCodeDigest(deviceCode), userCodeDigest: userCodeDigest(userCode),
                    clientID: clientID, scope: scope, info: described, ipAddress: caller.ipAddress, createdAt: now,
                    expiresAt: now.addingTimeInterval(Self.lifetime), interval: Self.interval,
                    claimCodeDigest: claimCodeDigest))
            guard inserted else { continue }
            let display = Self.display(userCode)
            return Started(
                deviceCode: deviceCode, userCode: display, verificationURI: publicURL + "/link",
                verificationURIComplete: publicURL + "/link?code=" + display, expiresIn: Int(Self.lifetime),
                interval: Self.interval)
        }
        // Four collisions in a row among 2.6 × 10^10 codes does not happen; answer rather than loop.
        throw OAuthError.throttled(seconds: 1)
    }

    /// The outcome of one poll, decided in the transaction and thrown (or returned) after it commits, so that a
    /// poll's timestamp and a `slow_down` are written even though the answer is an error.
    private enum PollOutcome: Sendable {
        case failed(OAuthError)
        case issued(SignedIn)
    }

    /// `POST /oauth/token` with the device-code grant: the one call that turns an approved device code into a
    /// device credential (single use). Every other answer is an ``OAuthError`` exactly as RFC 8628 §3.5 names it.
    /// With `dpopThumbprint` (from a DPoP proof on the token request, RFC 9449 section 5), the credential is bound to
    /// that key.
    public func exchange(deviceCode: String, clientID: String, caller: Caller, dpopThumbprint: String? = nil)
        async throws -> SignedIn
    {
        let signedIn = try await exchangeCode(
            deviceCode: deviceCode, clientID: clientID, caller: caller, dpopThumbprint: dpopThumbprint)
        // Only completed exchanges are counted: "authorization_pending" is the normal answer while a TV waits.
        env.metrics.signIn(.deviceCode, .success)
        return signedIn
    }

    private func exchangeCode(deviceCode: String, clientID: String, caller: Caller, dpopThumbprint: String?)
        async throws -> SignedIn
    {
        try Self.checkClientIDShape(clientID)
        guard try await resolveClient(clientID) != nil else { throw OAuthError.invalidClient }
        guard OpaqueToken.hasShape(deviceCode, prefix: "ghl") else { throw OAuthError.invalidGrant }
        let digest = deviceCodeDigest(deviceCode)
        let now = env.clock.now()
        let nowMilliseconds = Int64((now.timeIntervalSince1970 * 1000).rounded(.down))
        let env = self.env
        let outcome = try await env.store.transaction { tx -> PollOutcome in
            guard let authorization = try await tx.deviceAuthorization(deviceCodeDigest: digest) else {
                return .failed(.invalidGrant)
            }
            guard ConstantTime.equals(authorization.clientID, clientID) else { return .failed(.invalidGrant) }
            guard authorization.expiresAt > now else { return .failed(.expiredToken) }
            switch authorization.status {
            case .issued: return .failed(.invalidGrant)
            case .denied: return .failed(.accessDenied)
            case .pending:
                if try await tx.recordDevicePoll(deviceCodeDigest: digest, nowMilliseconds: nowMilliseconds) {
                    return .failed(.authorizationPending)
                }
                try await tx.slowDownDevicePolling(
                    deviceCodeDigest: digest, by: Self.slowDownStep, nowMilliseconds: nowMilliseconds)
                return .failed(.slowDown)
            case .approved:
                // A media server's claim was completed at approval; it learns of it from GET /servers/me and never
                // holds an account's credential.
                if authorization.claimCodeDigest != nil { return .failed(.invalidGrant) }
                guard let accountID = authorization.accountID, let decidedAt = authorization.decidedAt,
                    let account = try await tx.account(id: accountID), !account.isResetRequired
                else { return .failed(.accessDenied) }
                // Signed out everywhere after approving: the approval went with it.
                if let revoked = try await tx.latestFullRevocation(accountID: accountID, serverID: nil),
                    revoked >= decidedAt
                {
                    return .failed(.accessDenied)
                }
                guard try await tx.markDeviceAuthorizationIssued(deviceCodeDigest: digest) else {
                    return .failed(.invalidGrant)
                }
                var info = authorization.info
                info.clientIdentifier = "oauth:" + authorization.clientID
                let signedIn = try await SignInService.recordSignIn(
                    in: tx, environment: env, account: account, info: info, kind: .api, ipAddress: caller.ipAddress,
                    isKnownClient: false, proof: .deviceCode, now: now,
                    detail: "device code (\(authorization.clientID)): ", dpopThumbprint: dpopThumbprint)
                return .issued(signedIn)
            }
        }
        switch outcome {
        case .failed(let error): throw error
        case .issued(let signedIn): return signedIn
        }
    }

    /// Seconds until a device credential stops working unless used (the token response's `expires_in`).
    public func expiresIn(_ device: Device) -> Int {
        max(0, Int(env.settings.deviceLifetimes.expiry(of: device).timeIntervalSince(env.clock.now()).rounded(.down)))
    }

    // MARK: The person's side (`/link`)

    /// A user code typed on `/link`: one attempt per account and per address is reserved first; then the pending
    /// request behind it, with a ticket for the approve/deny form. Every miss is in the account's security log.
    public func lookup(userCode: String, account: Account, device: Device, caller: Caller) async throws -> Pending {
        let now = env.clock.now()
        let session = env.store.autocommit
        for key in ["link-acct:" + account.id, "link-ip:" + caller.addressKey] {
            let wait = try await session.reserveAttempt(key: key, policy: Self.entryPolicy, now: now)
            if wait > 0 { throw SignInService.Error.throttled(seconds: wait) }
        }
        guard let normalized = Self.normalize(userCode),
            let authorization = try await session.pendingDeviceAuthorization(
                userCodeDigest: userCodeDigest(normalized), now: now)
        else {
            try await env.store.transaction { tx in
                try await tx.appendAudit(
                    AuditRecord(accountID: account.id, kind: .deviceLinkFailed, ipAddress: caller.ipAddress), at: now)
            }
            throw LinkError.unknownCode
        }
        let client = try await resolveClient(authorization.clientID)
        return Pending(
            userCode: Self.display(normalized), clientID: authorization.clientID,
            clientName: client?.name ?? authorization.clientID, clientLogo: client?.logo,
            isRegistered: client?.isRegistered ?? false, scope: authorization.scope,
            info: authorization.info, ipAddress: authorization.ipAddress, requestedAt: authorization.createdAt,
            expiresAt: authorization.expiresAt,
            ticket: ticket(userCodeDigest: authorization.userCodeDigest, account: account, device: device),
            isServerClaim: authorization.claimCodeDigest != nil)
    }

    /// Approves or denies the request a ``lookup(userCode:account:device:caller:)`` showed. Approving needs a
    /// recent re-authentication (a session older than the window must confirm it is still its owner); denying never
    /// does. The ticket binds the decision to that lookup, this account and this browser.
    public func decide(
        userCode: String, ticket: String, approve: Bool, account: Account, device: Device, caller: Caller
    ) async throws {
        guard let normalized = Self.normalize(userCode) else { throw LinkError.staleDecision }
        let digest = userCodeDigest(normalized)
        guard ConstantTime.equals(ticket, self.ticket(userCodeDigest: digest, account: account, device: device)) else {
            throw LinkError.staleDecision
        }
        if approve { try DeviceService(environment: env).requireRecentAuthentication(device) }
        let now = env.clock.now()
        let decided = try await env.store.transaction { tx -> Bool in
            guard let pending = try await tx.pendingDeviceAuthorization(userCodeDigest: digest, now: now),
                try await tx.decideDeviceAuthorization(
                    userCodeDigest: digest, approve: approve, accountID: account.id, now: now)
            else { return false }
            if approve, let claimDigest = pending.claimCodeDigest {
                // Throwing rolls the decision back: the claim expired or was claimed with its code meanwhile.
                guard
                    let server = try await tx.completeClaim(
                        codeDigest: claimDigest, serverID: "srv_" + SecureRandom.identifier(), ownerID: account.id,
                        at: now)
                else { throw LinkError.staleDecision }
                try await tx.appendAudit(
                    AuditRecord(
                        accountID: account.id, kind: .serverClaimed, ipAddress: caller.ipAddress,
                        detail: "\(server.name) (\(server.id)), approved on /link"), at: now)
            }
            try await tx.appendAudit(
                AuditRecord(
                    accountID: account.id, kind: approve ? .deviceLinkApproved : .deviceLinkDenied,
                    ipAddress: caller.ipAddress,
                    detail:
                        "\(pending.clientID): \(pending.info.product) on \(pending.info.platform) from \(pending.ipAddress)"
                ),
                at: now)
            return true
        }
        guard decided else { throw LinkError.staleDecision }
    }

    // MARK: Clients

    /// Registers a public client (`gatehouse clients add`).
    public func registerClient(id: String, name: String, logo: String?) async throws -> OAuthClient {
        try Self.checkClientIDShape(id)
        let cleanName = String(name.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7f }.prefix(80))
            .trimmingCharacters(in: .whitespaces)
        guard !cleanName.isEmpty else { throw OAuthError.invalidRequest("Give the client a name.") }
        guard !Self.builtInClients.contains(where: { $0.id == id }) else {
            throw OAuthError.invalidRequest("\(id) is built in.")
        }
        let client = OAuthClient(id: id, name: cleanName, logo: logo, createdAt: env.clock.now())
        guard try await env.store.autocommit.insertClient(client) else {
            throw OAuthError.invalidRequest("A client with this id is already registered.")
        }
        return client
    }

    /// The built-in clients, then the registered ones.
    public func clients() async throws -> [OAuthClient] {
        Self.builtInClients.map {
            OAuthClient(id: $0.id, name: $0.name, logo: nil, createdAt: Date(epochSeconds: 0), isBuiltIn: true)
        }
            + (try await env.store.autocommit.clients())
    }

    public func removeClient(id: String) async throws -> Bool {
        try await env.store.autocommit.removeClient(id: id)
    }

    /// Deletes authorizations an hour past their expiry (until then a late poll still gets `expired_token`).
    @discardableResult
    public func purgeExpired() async throws -> Int {
        try await env.store.autocommit.purgeDeviceAuthorizations(
            expiredBefore: env.clock.now().addingTimeInterval(-3_600))
    }

    // MARK: Helpers

    /// The client behind an id: built in, registered, or (when the operator allows it) an unverified stand-in.
    private func resolveClient(_ id: String) async throws -> OAuthClient? {
        if let builtIn = Self.builtInClients.first(where: { $0.id == id }) {
            return OAuthClient(
                id: builtIn.id, name: builtIn.name, logo: nil, createdAt: Date(epochSeconds: 0), isBuiltIn: true)
        }
        if let client = try await env.store.autocommit.client(id: id) { return client }
        guard allowUnregisteredClients else { return nil }
        return OAuthClient(id: id, name: id, logo: nil, createdAt: Date(epochSeconds: 0), isRegistered: false)
    }

    /// Printable ASCII without spaces, quotes or backslashes, 1-64 bytes.
    static func checkClientIDShape(_ id: String) throws {
        guard !id.isEmpty, id.utf8.count <= maximumClientIDBytes,
            id.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7f && $0 != "\\" && $0 != "\"" })
        else { throw OAuthError.invalidRequest("client_id is missing or malformed.") }
    }

    func deviceCodeDigest(_ code: String) -> String { env.digest("device-code:" + code) }
    func userCodeDigest(_ normalized: String) -> String { env.digest("user-code:" + normalized) }

    private func ticket(userCodeDigest: String, account: Account, device: Device) -> String {
        env.digest("link-ticket:" + account.id + ":" + device.id + ":" + userCodeDigest)
    }

    public static func generateUserCode() -> String {
        // 256 is not a multiple of 20: draw bytes below 240 (12 × 20) so every letter is equally likely.
        var letters: [Character] = []
        while letters.count < userCodeLength {
            for byte in SecureRandom.bytes(16) where byte < 240 && letters.count < userCodeLength {
                letters.append(userCodeAlphabet[Int(byte) % userCodeAlphabet.count])
            }
        }
        return String(letters)
    }

    /// The canonical form of a typed code: upper case, dashes and spaces dropped; nil unless 8 letters of the
    /// alphabet (so nothing else is ever looked up).
    public static func normalize(_ typed: String) -> String? {
        guard typed.utf8.count <= 64 else { return nil }
        let kept = typed.uppercased().unicodeScalars.filter {
            $0 != "-" && $0 != " " && $0 != "\u{2010}" && $0 != "\u{2013}"
        }
        let text = String(String.UnicodeScalarView(kept))
        guard text.count == userCodeLength, text.allSatisfy({ userCodeAlphabet.contains($0) }) else { return nil }
        return text
    }

    /// `XXXX-XXXX`.
    static func display(_ normalized: String) -> String {
        String(normalized.prefix(4)) + "-" + String(normalized.dropFirst(4))
    }
}
