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

    /// Creates an event.
    public init(accountID: String, deviceIDs: [String], allDevices: Bool, at: Int64) {
        self.accountID = accountID
        self.deviceIDs = deviceIDs
        self.allDevices = allDevices
        self.at = at
    }

    enum CodingKeys: String, CodingKey {
        case accountID = "account_id"
        case deviceIDs = "device_ids"
        case allDevices = "all_devices"
        case at
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        accountID = try container.decode(String.self, forKey: .accountID)
        deviceIDs = try container.decodeIfPresent([String].self, forKey: .deviceIDs) ?? []
        allDevices = try container.decodeIfPresent(Bool.self, forKey: .allDevices) ?? false
        at = try container.decode(Int64.self, forKey: .at)
    }
}

/// The `hello` event that opens the stream: the hub's time, epoch milliseconds.
public struct RevocationHello: Codable, Sendable, Equatable {
    public var at: Int64

    public init(at: Int64) {
        self.at = at
    }
}
