import Foundation
import GatehouseWire

/// The registry of media servers: claim codes, claiming, heartbeats, removal, sharing, and access tokens.
public struct ServerService: Sendable {
    public enum Error: PublicError, Equatable {
        case invalidClaim(String)
        case unknownCode
        case notFound
        case noAccess
        case noPendingShare
        case invalidShare(String)

        public var status: Int {
            switch self {
            case .invalidClaim, .invalidShare: 422
            case .unknownCode, .notFound, .noPendingShare: 404
            case .noAccess: 403
            }
        }
        public var code: String {
            switch self {
            case .invalidClaim: "invalid_claim"
            case .unknownCode: "unknown_claim_code"
            case .notFound: "server_not_found"
            case .noAccess: "no_access"
            case .noPendingShare: "no_pending_share"
            case .invalidShare: "invalid_share"
            }
        }
        public var message: String {
            switch self {
            case .invalidClaim(let reason), .invalidShare(let reason): reason
            case .unknownCode: "That claim code is unknown or has expired. Restart the media server for a new one."
            case .notFound: "No such server."
            case .noAccess: "This server is not shared with you."
            case .noPendingShare: "No share of this server is waiting for your answer."
            }
        }
    }

    /// What a server sends to ask for a claim code (the wire type both sides share).
    public typealias ClaimRequest = ServerClaimRequest

    /// A signed access token and when it expires.
    public struct AccessToken: Sendable {
        public var token: String
        public var expiresAt: Date
    }

    static let claimLifetime: TimeInterval = 15 * 60
    static let codeAlphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")

    let env: HubEnvironment
    /// Decides whether a server with a known vulnerability stays open to shared users (the operator's
    /// `--vulnerable-server-access`); nil leaves every server open.
    let releases: ReleaseService?

    public init(environment: HubEnvironment, releases: ReleaseService? = nil) {
        self.env = environment
        self.releases = releases
    }

    /// Registers a claim request and returns its short code (8 characters from a 32-letter alphabet, 40 bits,
    /// valid 15 minutes).
    ///
    /// Unauthenticated, so it spends the caller's address budget first: a flood cannot fill the claims table.
    public func requestClaim(_ request: ClaimRequest, caller: Caller) async throws -> (code: String, expiresAt: Date) {
        let wait = try await env.store.autocommit.reserveAttempt(
            key: "claim-ip:" + caller.addressKey, policy: Self.claimRequestPolicy, now: env.clock.now())
        if wait > 0 { throw SignInService.Error.throttled(seconds: wait) }
        func clean(_ text: String, _ limit: Int) -> String {
            String(text.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7f }.prefix(limit))
        }
        guard request.credentialDigest.count == 64, Encoding.bytes(hex: request.credentialDigest) != nil else {
            throw Error.invalidClaim("credential_digest must be 64 hex characters (SHA-256).")
        }
        let name = clean(request.name, 100)
        guard !name.isEmpty else { throw Error.invalidClaim("Give the server a name.") }
        let random = SecureRandom.bytes(8)
        let letters = random.map { Self.codeAlphabet[Int($0) % Self.codeAlphabet.count] }
        let code = String(letters[0..<4]) + "-" + String(letters[4..<8])
        let expiresAt = env.clock.now().addingTimeInterval(Self.claimLifetime)
        try await env.store.autocommit.insertClaim(
            ServerClaim(
                codeDigest: env.digest("claim:" + Self.normalize(code)), name: name,
                version: clean(request.version, 40),
                platform: clean(request.platform, 60), url: clean(request.url, 300),
                credentialDigest: Self.keyedCredentialDigest(request.credentialDigest.lowercased(), env),
                expiresAt: expiresAt))
        return (code, expiresAt)
    }

    static func normalize(_ code: String) -> String {
        code.uppercased().filter { $0.isLetter || $0.isNumber }
    }

    /// Claim requests per address: 20 an hour, then one a minute doubling to an hour.
    public static let claimRequestPolicy = ThrottlePolicy(
        freeAttempts: 20, baseDelay: 60, maximumDelay: 3_600, window: 3_600)
    /// Claim attempts (codes typed) per account and per address: 10, then 1 s doubling to an hour. With 40-bit codes
    /// that live 15 minutes, guessing a live one is hopeless.
    public static let claimAttemptPolicy = ThrottlePolicy(
        freeAttempts: 10, baseDelay: 1, maximumDelay: 3_600, window: 86_400)

    /// The owner claims the server showing `code`. Each attempt is reserved per account and per address first.
    /// `device` is the one asking: it needs a recent sign-in or re-authentication (a stolen session cannot attach
    /// a server of the thief's to the account).
    public func claim(code: String, by account: Account, device: Device, caller: Caller) async throws -> MediaServer {
        try CredentialScope.requireFullCredential()
        try DeviceService(environment: env).requireRecentAuthentication(device)
        let now = env.clock.now()
        let session = env.store.autocommit
        for key in ["claim-acct:" + account.id, "claim-try-ip:" + caller.addressKey] {
            let wait = try await session.reserveAttempt(key: key, policy: Self.claimAttemptPolicy, now: now)
            if wait > 0 { throw SignInService.Error.throttled(seconds: wait) }
        }
        let digest = env.digest("claim:" + Self.normalize(code))
        let server = try await env.store.transaction { tx -> MediaServer? in
            guard
                let server = try await tx.completeClaim(
                    codeDigest: digest, serverID: "srv_" + SecureRandom.identifier(), ownerID: account.id, at: now)
            else { return nil }
            try await tx.appendAudit(
                AuditRecord(
                    accountID: account.id, kind: .serverClaimed, ipAddress: caller.ipAddress,
                    detail: "\(server.name) (\(server.id))"), at: now)
            return server
        }
        guard let server else { throw Error.unknownCode }
        try await session.clearThrottle(key: "claim-acct:" + account.id)
        return server
    }

    /// Deletes claim codes past their expiry (the hub's periodic cleanup); returns how many.
    @discardableResult
    public func purgeExpiredClaims() async throws -> Int {
        try await env.store.autocommit.purgeExpiredClaims(before: env.clock.now())
    }

    /// The server behind a server credential (`ghs_…`), if it is still registered.
    ///
    /// The media server sends only the SHA-256 of its credential when it asks to be claimed; the hub keeps an HMAC
    /// of that under the keyring, so a copy of the database cannot confirm a guessed or stolen credential. Rows
    /// from before keyed digests are upgraded on first use.
    public func authenticate(credential: String) async throws -> MediaServer? {
        guard OpaqueToken.hasShape(credential, prefix: "ghs") else { return nil }
        let plain = Digest.sha256Hex(credential)
        let keyed = Self.keyedCredentialDigest(plain, env)
        let session = env.store.autocommit
        if let server = try await session.server(credentialDigest: keyed) { return server }
        guard let server = try await session.server(credentialDigest: plain) else { return nil }
        try await session.replaceServerCredentialDigest(serverID: server.id, from: plain, to: keyed)
        return server
    }

    static func keyedCredentialDigest(_ sha256Hex: String, _ env: HubEnvironment) -> String {
        env.digest("server:" + sha256Hex)
    }

    public func heartbeat(server: MediaServer, version: String, platform: String) async throws {
        try await env.store.autocommit.recordHeartbeat(
            serverID: server.id, version: version.clipped(toScalars: 40), platform: platform.clipped(toScalars: 60),
            at: env.clock.now())
    }

    public func servers(of account: Account) async throws -> [MediaServer] {
        try await env.store.autocommit.servers(ownerID: account.id)
    }

    public func sharedServers(with account: Account) async throws -> [MediaServer] {
        try await env.store.autocommit.serversShared(with: account.id)
    }

    /// Removes a server: its credential stops working and its revocation stream ends. Needs a recent
    /// re-authentication of `device`.
    public func remove(serverID: String, by account: Account, device: Device, caller: Caller) async throws {
        try CredentialScope.requireFullCredential()
        try DeviceService(environment: env).requireRecentAuthentication(device)
        let now = env.clock.now()
        let removed = try await env.store.transaction { tx -> Bool in
            guard try await tx.removeServer(id: serverID, ownerID: account.id, at: now) else { return false }
            try await tx.appendAudit(
                AuditRecord(accountID: account.id, kind: .serverRemoved, ipAddress: caller.ipAddress, detail: serverID),
                at: now)
            return true
        }
        guard removed else { throw Error.notFound }
    }

    /// Offers sections of the owner's server to another account (by username or email). The share is an
    /// invitation: it stays pending, giving the recipient's media nothing and the server nothing of the recipient,
    /// until the recipient accepts it (``acceptShare(serverID:by:caller:)``).
    ///
    /// Needs a recent re-authentication of `device`, and mails the owner (a security mail with its "This wasn't me"
    /// link) whenever a share is added, so a session thief sharing the library with himself is seen. The answer
    /// is the same whether or not such an account exists.
    public func share(
        serverID: String, sections: [String], with identifier: String, by owner: Account, device: Device,
        caller: Caller
    ) async throws {
        try CredentialScope.requireFullCredential()
        try DeviceService(environment: env).requireRecentAuthentication(device)
        let server = try await ownedServer(serverID, owner)
        guard sections.count <= Self.maximumSectionsPerShare else {
            throw Error.invalidShare("Share at most \(Self.maximumSectionsPerShare) sections at once.")
        }
        guard identifier.utf8.count <= AccountNames.maximumIdentifierBytes,
            let friend = try await env.store.autocommit.account(identifier: identifier), friend.id != owner.id
        else { return }
        let now = env.clock.now()
        let cleaned = Array(Set(sections.map { $0.clipped(toScalars: 100) }.filter { !$0.isEmpty })).sorted()
        try await env.store.transaction { tx in
            var added: [String] = []
            for section in cleaned {
                if try await tx.share(
                    serverID: server.id, section: section, accountID: friend.id, at: now, accepted: false)
                {
                    added.append(section)
                }
            }
            guard !added.isEmpty else { return }
            try await tx.appendAudit(
                AuditRecord(
                    accountID: owner.id, kind: .serverShared, ipAddress: caller.ipAddress,
                    detail: "\(server.id) with \(friend.id): \(added.joined(separator: ", "))"), at: now)
            try await tx.enqueueMail(
                env.mail.serverShared(
                    to: owner, serverName: server.name, recipient: friend.username, sections: added,
                    by: try await tx.actingDevice(caller), now: now))
        }
    }

    /// At most this many sections in one share request.
    public static let maximumSectionsPerShare = 100

    /// Takes a share back (one section, or all when `section` is nil). Needs a recent re-authentication.
    ///
    /// Only when a share was really deleted is a revocation written to the revocation log, in the same
    /// transaction, and it names this server alone: that server drops the account's tokens issued before now,
    /// and nothing else changes for the account. It answers alike whether or not the account exists or had a
    /// share, so looping it against someone who never had one changes nothing for them.
    public func unshare(
        serverID: String, section: String?, from identifier: String, by owner: Account, device: Device,
        caller: Caller
    ) async throws {
        try CredentialScope.requireFullCredential()
        try DeviceService(environment: env).requireRecentAuthentication(device)
        let server = try await ownedServer(serverID, owner)
        guard identifier.utf8.count <= AccountNames.maximumIdentifierBytes,
            let friend = try await env.store.autocommit.account(identifier: identifier), friend.id != owner.id
        else { return }
        let now = env.clock.now()
        let removed = try await env.store.transaction { tx -> Int in
            let removed = try await tx.unshare(
                serverID: server.id, section: section?.clipped(toScalars: 100), accountID: friend.id, at: now)
            if removed > 0 {
                try await tx.appendAudit(
                    AuditRecord(
                        accountID: owner.id, kind: .serverUnshared, ipAddress: caller.ipAddress,
                        detail: "\(server.id) from \(friend.id)"
                            + (section.map { ": " + $0.clipped(toScalars: 100) } ?? "")),
                    at: now)
            }
            return removed
        }
        guard removed > 0 else { return }
        env.announce(Revocation(accountID: friend.id, deviceIDs: [], allDevices: true, at: now, serverID: server.id))
    }

    /// Every share of one of the owner's servers, pending and accepted.
    public func shares(serverID: String, owner: Account) async throws -> [ServerShare] {
        _ = try await ownedServer(serverID, owner)
        return try await env.store.autocommit.shares(serverID: serverID)
    }

    /// The shares of every server the account owns, with their recipients and state (the owner's Servers page).
    public func outgoingShares(of owner: Account) async throws -> [OutgoingShare] {
        try await env.store.autocommit.outgoingShares(ownerID: owner.id)
    }

    /// Shares offered to the account and waiting for its answer.
    public func pendingShares(for account: Account) async throws -> [ShareInvitation] {
        try await env.store.autocommit.pendingShares(accountID: account.id)
    }

    /// The recipient accepts the pending shares of a server: from now on they count for tokens, the listing and
    /// the server's revocation audience. 404 when nothing was pending (declined, taken back, or never offered).
    public func acceptShare(serverID: String, by account: Account, caller: Caller) async throws {
        try CredentialScope.requireFullCredential()
        let now = env.clock.now()
        let accepted = try await env.store.transaction { tx -> Int in
            guard let server = try await tx.server(id: serverID) else { return 0 }
            let accepted = try await tx.acceptShares(serverID: server.id, accountID: account.id, at: now)
            if accepted > 0 {
                try await tx.appendAudit(
                    AuditRecord(
                        accountID: account.id, kind: .shareAccepted, ipAddress: caller.ipAddress, detail: server.id),
                    at: now)
            }
            return accepted
        }
        guard accepted > 0 else { throw Error.noPendingShare }
    }

    /// The recipient declines the pending shares of a server: they are deleted.
    public func declineShare(serverID: String, by account: Account, caller: Caller) async throws {
        try CredentialScope.requireFullCredential()
        let now = env.clock.now()
        let declined = try await env.store.transaction { tx -> Int in
            let declined = try await tx.declineShares(serverID: serverID, accountID: account.id)
            if declined > 0 {
                try await tx.appendAudit(
                    AuditRecord(
                        accountID: account.id, kind: .shareDeclined, ipAddress: caller.ipAddress, detail: serverID),
                    at: now)
            }
            return declined
        }
        guard declined > 0 else { throw Error.noPendingShare }
    }

    /// Issues a five-minute token for one server to a signed-in device: all sections for the owner, the shared
    /// ones for a friend, nothing for anyone else.
    public func accessToken(serverID: String, account: Account, device: Device) async throws -> AccessToken {
        if let appPassword = CredentialScope.appPassword, !appPassword.scopes.contains(.media) {
            throw AppPasswordService.Error.notAllowed
        }
        guard let server = try await env.store.autocommit.server(id: serverID) else { throw Error.notFound }
        try await releases?.checkAccess(server: server, account: account)
        var sections: [String] = []
        let isOwner = server.ownerID == account.id
        if !isOwner {
            // Accepted shares only: a pending share gives nothing until its recipient says yes.
            sections = try await env.store.autocommit.shares(serverID: server.id)
                .filter { $0.accountID == account.id && $0.isAccepted }.map(\.section).sorted()
            guard !sections.isEmpty else { throw Error.noAccess }
        }
        // A profile session's token names the profile and carries its restrictions; the media server enforces
        // them offline. A profile that no longer exists gets nothing.
        var profileClaim: MediaTokenClaims.Profile?
        if let profileID = device.profileID {
            guard let (profile, _) = try await env.store.autocommit.profile(id: profileID, accountID: account.id) else {
                throw Error.noAccess
            }
            if !isOwner, let allowed = profile.restrictions.sections {
                sections = sections.filter { allowed.contains($0) }
                guard !sections.isEmpty else { throw Error.noAccess }
            }
            profileClaim = MediaTokenClaims.Profile(id: profile.id, restrictions: profile.restrictions)
        }
        let now = env.clock.now()
        // Tokens carry whole seconds. A media server refuses every token of an account issued at or before a
        // sign-out-everywhere, so a token minted in that same second would be refused too: date it one second later.
        var issued = now.epochSeconds
        if let revoked = try await env.store.autocommit.latestFullRevocation(
            accountID: account.id, serverID: server.id),
            revoked.epochSeconds >= issued
        {
            issued = revoked.epochSeconds + 1
        }
        let signer = MediaTokenSigner(keyring: env.keyring)
        let expires = Date(epochSeconds: issued).addingTimeInterval(MediaTokenSigner.lifetime)
        var claims = MediaTokenClaims(
            typ: profileClaim == nil ? "media" : MediaTokenClaims.profileType, kid: env.keyring.currentSigningKey.id,
            aud: server.id, sub: account.id, dev: device.id,
            iat: issued, exp: expires.epochSeconds, jti: SecureRandom.identifier(), own: isOwner,
            sec: sections, cnf: device.dpopThumbprint.map { MediaTokenClaims.Confirmation(jkt: $0) })
        claims.prf = profileClaim
        return AccessToken(token: try signer.sign(claims), expiresAt: expires)
    }

    /// Accounts whose revocations this server needs: its owner and everyone who accepted a share of it (a pending
    /// recipient's device ids and sign-out times never reach the server).
    public func audience(of server: MediaServer) async throws -> Set<String> {
        var accounts: Set<String> = [server.ownerID]
        for share in try await env.store.autocommit.shares(serverID: server.id) where share.isAccepted {
            accounts.insert(share.accountID)
        }
        return accounts
    }

    private func ownedServer(_ id: String, _ owner: Account) async throws -> MediaServer {
        guard let server = try await env.store.autocommit.server(id: id), server.ownerID == owner.id else {
            throw Error.notFound
        }
        return server
    }
}
