import Foundation

/// Device credentials: authentication on every request, the device list, revoking one, and "sign out of all".
public struct DeviceService: Sendable {
    public enum Error: PublicError, Equatable {
        case notFound

        public var status: Int { 404 }
        public var code: String { "device_not_found" }
        public var message: String { "No such device." }
    }

    /// How often a device's last-seen time is written (it is shown in minutes, so more is waste).
    static let touchInterval: TimeInterval = 60

    let env: HubEnvironment

    public init(environment: HubEnvironment) {
        self.env = environment
    }

    /// Creates a device for a successful sign-in, inside the caller's transaction. Returns it with its
    /// credential and its known-device secret, both shown once and stored only as keyed digests. The client's
    /// self-chosen identifier is kept only as a keyed digest too: it is never shown back and never trusted.
    ///
    /// With `dpopThumbprint` (the `jkt` that ``DPoPVerifier/verify(proof:method:url:accessToken:now:)`` returned for
    /// the proof on the request that signs in), the credential is bound to that key from its first use: every
    /// request must then carry a fresh proof signed by it.
    public static func createDevice(
        in tx: any StoreTransaction, environment env: HubEnvironment, account: Account, info: Device.Info,
        kind: Device.Kind, ipAddress: String, proof: Proof, now: Date, dpopThumbprint: String? = nil
    ) async throws -> (Device, OpaqueToken, known: OpaqueToken) {
        var stored = info
        stored.clientIdentifier = env.digest("client:" + info.clientIdentifier)
        let device = Device(
            id: SecureRandom.identifier(), accountID: account.id, kind: kind, info: stored, ipAddress: ipAddress,
            createdAt: now, lastSeenAt: now, proof: proof.description, dpopThumbprint: dpopThumbprint)
        let token = OpaqueToken.generate(prefix: "ghd")
        let known = OpaqueToken.generate(prefix: "ghk")
        try await tx.insertDevice(device, tokenDigest: env.digest(token.value))
        try await tx.setKnownDigest(deviceID: device.id, digest: env.digest(known.value))
        return (device, token, known)
    }

    /// The account and device behind a credential, or nil when it is unknown, malformed, revoked or expired.
    public func authenticate(token: String, ipAddress: String) async throws -> (Account, Device)? {
        guard OpaqueToken.hasShape(token, prefix: "ghd") else { return nil }
        let digest = env.digest(token)
        let now = env.clock.now()
        if let entry = env.cache.lookup(digest, now: now) {
            guard env.settings.deviceLifetimes.expiry(of: entry.device) > now else { return nil }
            return (entry.account, entry.device)
        }
        // Read the generation first: if a revocation evicts while this request reads the store, what it read
        // must not go back into the cache.
        let generation = env.cache.generation
        let session = env.store.autocommit
        var found = try await session.device(tokenDigest: digest)
        if found == nil {
            // Credentials issued before token digests were keyed: upgrade in place on first use.
            let legacy = Digest.sha256Hex(token)
            if let device = try await session.device(tokenDigest: legacy) {
                try await session.replaceTokenDigest(deviceID: device.id, from: legacy, to: digest)
                found = device
            }
        }
        guard let device = found, let account = try await session.account(id: device.accountID) else { return nil }
        guard env.settings.deviceLifetimes.expiry(of: device) > now else { return nil }
        var seen = device
        if now.timeIntervalSince(device.lastSeenAt) >= Self.touchInterval || device.ipAddress != ipAddress {
            try await session.touchDevice(id: device.id, at: now, ipAddress: ipAddress)
            seen.lastSeenAt = now
            seen.ipAddress = ipAddress
        }
        env.cache.store(digest, account: account, device: seen, now: now, generation: generation)
        return (account, seen)
    }

    /// Binds an existing, still unbound device credential to a DPoP key (for a grant that creates the device
    /// before it sees the proof). False when the device is gone or already bound: a binding never changes.
    public func bind(deviceID: String, accountID: String, thumbprint: String) async throws -> Bool {
        let bound = try await env.store.autocommit.bindDevice(id: deviceID, thumbprint: thumbprint)
        if bound { env.cache.evict(accountID: accountID, deviceIDs: [deviceID]) }
        return bound
    }

    /// When the device's credential stops working unless it is used again.
    public func expiry(of device: Device) -> Date {
        env.settings.deviceLifetimes.expiry(of: device)
    }

    /// The account's live devices.
    public func devices(of account: Account) async throws -> [Device] {
        try await env.store.autocommit.devices(accountID: account.id)
    }

    /// Signs one device out. Any credential may sign itself out (a profile session too); signing out another
    /// device needs the holder's full credential.
    public func revoke(deviceID: String, of account: Account, caller: Caller) async throws {
        if deviceID != caller.deviceID || CredentialScope.appPassword != nil {
            try CredentialScope.requireFullCredential()
        }
        let now = env.clock.now()
        let revoked = try await env.store.transaction { tx -> Bool in
            guard try await tx.revokeDevice(id: deviceID, accountID: account.id, at: now) else { return false }
            try await tx.appendAudit(
                AuditRecord(
                    accountID: account.id, kind: .deviceRevoked, ipAddress: caller.ipAddress, detail: deviceID), at: now
            )
            return true
        }
        guard revoked else { throw Error.notFound }
        env.announce(Revocation(accountID: account.id, deviceIDs: [deviceID], allDevices: false, at: now))
    }

    /// An operator signs out every device of `account` (an admin needs a recent re-authentication).
    public func signOutAll(of account: Account, by actor: AdminAuthorization.Operator, caller: Caller) async throws
        -> Int
    {
        try AdminAuthorization(environment: env).authorize(actor)
        return try await signOutAll(of: account, keepingCurrent: false, caller: caller)
    }

    /// Signs out every device of the account, or every one but the caller's. Media servers stay claimed: they
    /// hold their own credential.
    @discardableResult
    public func signOutAll(of account: Account, keepingCurrent: Bool, caller: Caller) async throws -> Int {
        try CredentialScope.requireFullCredential()
        let now = env.clock.now()
        let keeping = keepingCurrent ? caller.deviceID : nil
        let revoked = try await env.store.transaction { tx -> [String] in
            let revoked = try await tx.revokeDevices(accountID: account.id, keeping: keeping, at: now)
            try await tx.appendAudit(
                AuditRecord(
                    accountID: account.id, kind: .signedOutEverywhere, ipAddress: caller.ipAddress,
                    detail: "devices: \(revoked.count)" + (keeping == nil ? "" : ", kept current")), at: now)
            return revoked
        }
        env.announce(
            Revocation(accountID: account.id, deviceIDs: revoked, allDevices: keeping == nil, at: now))
        return revoked.count
    }

    /// Records a fresh password (and second-factor) check on the caller's device ("sudo mode").
    public func markReauthenticated(account: Account, caller: Caller, proof: Proof) async throws {
        try CredentialScope.requireFullCredential()
        guard let deviceID = caller.deviceID else { return }
        let now = env.clock.now()
        try await env.store.transaction { tx in
            try await tx.markReauthenticated(deviceID: deviceID, at: now, proof: proof.description)
            try await tx.appendAudit(
                AuditRecord(
                    accountID: account.id, kind: .reauthenticated, ipAddress: caller.ipAddress,
                    detail: "with " + proof.description), at: now)
        }
        env.cache.evict(accountID: account.id, deviceIDs: [deviceID])
    }

    /// True when the device proved the password recently enough for a sensitive change.
    public func isRecentlyAuthenticated(_ device: Device) -> Bool {
        env.clock.now().timeIntervalSince(device.reauthenticatedAt) <= env.settings.reauthenticationWindow
    }

    /// Throws ``AccountService/Error/reauthenticationRequired`` unless the device proved the password recently.
    /// Every sensitive change calls this in its service, so the API, the pages and the CLI all get it.
    public func requireRecentAuthentication(_ device: Device) throws {
        guard isRecentlyAuthenticated(device) else { throw AccountService.Error.reauthenticationRequired }
    }
}
