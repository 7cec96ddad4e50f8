import Foundation

// The hub's revocation stream (`GET /api/v1/servers/me/revocations`, Server-Sent Events): first a `hello`, then
// one `revocation` per revocation that concerns the server's audience (docs/media-protocol.md).

/// A `revocation` event: the hub encodes it, the media server applies it.
public struct RevocationEvent: Codable, Sendable, Equatable {
    /// The account concerned.
    public var accountID: String
    /// Devices whose tokens are refused from now on.
    public var deviceIDs: [String]
    /// When true, every token of the account issued at or before `at` is refused.
    public var allDevices: Bool
    /// Hub time of the revocation, epoch milliseconds.
    public var at: Int64
    /// Set when the revocation concerns one server only (a share taken back): only the server with this id acts
    /// on it; any other ignores it (``applies(to:)``). A media server that does not know the field reads the event
    /// as account-wide, which on the server it names means the same.
    public var serverID: String?

    /// Creates an event.
    public init(accountID: String, deviceIDs: [String], allDevices: Bool, at: Int64, serverID: String? = nil) {
        self.accountID = accountID
        self.deviceIDs = deviceIDs
        self.allDevices = allDevices
        self.at = at
        self.serverID = serverID
    }

    /// Whether the server with id `server` must act on this event: every unscoped event, and a scoped one only
    /// when it names that server.
    public func applies(to server: String?) -> Bool {
        guard let serverID else { return true }
        return serverID == server
    }

    enum CodingKeys: String, CodingKey {
        case accountID = "account_id"
        case deviceIDs = "device_ids"
        case allDevices = "all_devices"
        case at
        case serverID = "server_id"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        accountID = try container.decode(String.self, forKey: .accountID)
        deviceIDs = try container.decodeIfPresent([String].self, forKey: .deviceIDs) ?? []
        allDevices = try container.decodeIfPresent(Bool.self, forKey: .allDevices) ?? false
        at = try container.decode(Int64.self, forKey: .at)
        serverID = try container.decodeIfPresent(String.self, forKey: .serverID)
    }
}

/// The `hello` event that opens the stream: the hub's time, epoch milliseconds.
public struct RevocationHello: Codable, Sendable, Equatable {
    public var at: Int64

    public init(at: Int64) {
        self.at = at
    }
}
