import Foundation

/// A public OAuth client an operator registered (`gatehouse clients add`): shown by name on `/link`.
public struct OAuthClient: Sendable, Equatable {
    public var id: String
    public var name: String
    /// A small PNG or JPEG as a `data:` URL (so `/link` needs no third-party image and the CSP stays strict).
    public var logo: String?
    public var createdAt: Date
    /// Built into the hub (the `gatehouse` command line and media server): not in the database, cannot be removed.
    public var isBuiltIn: Bool
    /// False for the stand-in of a client id nobody registered (allowed by `--allow-unregistered-clients`): `/link`
    /// labels it unverified.
    public var isRegistered: Bool

    public init(
        id: String, name: String, logo: String?, createdAt: Date, isBuiltIn: Bool = false, isRegistered: Bool = true
    ) {
        self.isRegistered = isRegistered
        self.id = id
        self.name = name
        self.logo = logo
        self.createdAt = createdAt
        self.isBuiltIn = isBuiltIn
    }
}

/// One RFC 8628 device authorization: what the device said about itself, and where the person's decision stands.
/// Both codes are kept only as keyed digests.
public struct DeviceAuthorization: Sendable, Equatable {
    public enum Status: String, Sendable {
        /// Waiting for someone to enter the user code and decide.
        case pending
        /// Approved on `/link`; the next poll gets the credential.
        case approved
        /// Denied on `/link`; polls answer `access_denied`.
        case denied
        /// The credential was handed out: the device code is used up.
        case issued
    }

    public var deviceCodeDigest: String
    public var userCodeDigest: String
    public var clientID: String
    public var scope: String
    public var info: Device.Info
    /// The address the device asked from.
    public var ipAddress: String
    public var createdAt: Date
    public var expiresAt: Date
    /// The polling interval in force, in seconds (each `slow_down` adds 5).
    public var interval: Int
    public var lastPolledMilliseconds: Int64?
    public var status: Status
    /// Who approved or denied, and when.
    public var accountID: String?
    public var decidedAt: Date?
    /// A media server claiming itself (`gatehouse media`): the digest of its claim code. Approving claims the
    /// server for the approver; such an authorization never yields an account credential.
    public var claimCodeDigest: String?

    public init(
        deviceCodeDigest: String, userCodeDigest: String, clientID: String, scope: String, info: Device.Info,
        ipAddress: String, createdAt: Date, expiresAt: Date, interval: Int, lastPolledMilliseconds: Int64? = nil,
        status: Status = .pending, accountID: String? = nil, decidedAt: Date? = nil, claimCodeDigest: String? = nil
    ) {
        self.claimCodeDigest = claimCodeDigest
        self.deviceCodeDigest = deviceCodeDigest
        self.userCodeDigest = userCodeDigest
        self.clientID = clientID
        self.scope = scope
        self.info = info
        self.ipAddress = ipAddress
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.interval = interval
        self.lastPolledMilliseconds = lastPolledMilliseconds
        self.status = status
        self.accountID = accountID
        self.decidedAt = decidedAt
    }
}

/// Storage of registered clients and device authorizations. Every state change is a conditional update, so
/// concurrent polls or decisions cannot both win.
public protocol DeviceGrantStore: Sendable {
    /// Adds a client; false when the id is taken.
    func insertClient(_ client: OAuthClient) async throws -> Bool
    func client(id: String) async throws -> OAuthClient?
    func clients() async throws -> [OAuthClient]
    func removeClient(id: String) async throws -> Bool

    /// Stores a new authorization; false when either digest is taken (the caller draws new codes).
    func insertDeviceAuthorization(_ authorization: DeviceAuthorization) async throws -> Bool
    func deviceAuthorization(deviceCodeDigest: String) async throws -> DeviceAuthorization?
    /// The pending, unexpired authorization with this user code.
    func pendingDeviceAuthorization(userCodeDigest: String, now: Date) async throws -> DeviceAuthorization?
    /// Moves a pending, unexpired authorization to approved or denied; false when it is no longer pending.
    func decideDeviceAuthorization(
        userCodeDigest: String, approve: Bool, accountID: String, now: Date
    ) async throws -> Bool
    /// Records a poll when the interval since the last one has passed; false (nothing written) when it came too soon.
    func recordDevicePoll(deviceCodeDigest: String, nowMilliseconds: Int64) async throws -> Bool
    /// A poll came too soon: the interval grows by `seconds`, and the poll counts as the last one.
    func slowDownDevicePolling(deviceCodeDigest: String, by seconds: Int, nowMilliseconds: Int64) async throws
    /// Approved → issued, once; false when another poll got there first.
    func markDeviceAuthorizationIssued(deviceCodeDigest: String) async throws -> Bool
    /// The live media-server claim with this code digest (a media server linking itself through `/link`).
    func liveServerClaim(codeDigest: String, now: Date) async throws -> ServerClaim?
    /// Deletes authorizations that expired at or before `date`; returns how many.
    func purgeDeviceAuthorizations(expiredBefore date: Date) async throws -> Int
}
