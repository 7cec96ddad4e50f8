import Foundation
import Synchronization

/// What the media server knows about revocations announced by the hub.
///
/// Times are hub epoch milliseconds; token `iat` is in seconds, so it is compared as `iat * 1000`.
public final class RevocationState: Sendable {
    private struct State {
        /// Revoked device ids, with the time they were learned (for pruning).
        var revokedDevices: [String: Int64] = [:]
        /// Per account: tokens issued at or before this time are refused.
        var accountNotBefore: [String: Int64] = [:]
        /// Tokens issued in a whole second before this one are refused (set on each stream `hello`, epoch s).
        var globalNotBeforeSecond: Int64 = 0
    }

    private let state = Mutex(State())

    /// Creates an empty revocation state.
    public init() {}

    /// Applies a `revocation` event.
    public func apply(_ event: RevocationEvent) {
        state.withLock { state in
            for device in event.deviceIDs {
                state.revokedDevices[device] = event.at
            }
            if event.allDevices {
                state.accountNotBefore[event.accountID] = max(state.accountNotBefore[event.accountID] ?? 0, event.at)
            }
        }
    }

    /// Applies a stream `hello`: every token issued before `at` may have missed a revocation and is refused.
    ///
    /// `iat` has whole seconds only, so the bound is the hello's second: tokens issued in that same second are
    /// accepted. Otherwise a device that fetches a fresh token right after a reconnect would be refused until
    /// the next second starts.
    public func applyHello(at: Int64) {
        let second = at >= 0 ? at / 1000 : (at - 999) / 1000
        state.withLock { $0.globalNotBeforeSecond = max($0.globalNotBeforeSecond, second) }
    }

    /// Whether a token with these claims has been revoked.
    func isRevoked(accountID: String, deviceID: String, issuedAt: Int64) -> Bool {
        let issuedMillis = issuedAt.multipliedReportingOverflow(by: 1000)
        guard !issuedMillis.overflow else { return true }
        return state.withLock { state in
            if state.revokedDevices[deviceID] != nil {
                return true
            }
            if issuedAt < state.globalNotBeforeSecond {
                return true
            }
            if let notBefore = state.accountNotBefore[accountID], issuedMillis.partialValue <= notBefore {
                return true
            }
            return false
        }
    }

    /// Forgets revocations older than `cutoff` (hub epoch ms): tokens older than that have expired anyway.
    ///
    /// Only safe because the verifier refuses tokens whose lifetime exceeds `MediaTokenVerifier.maximumLifetime`
    /// and tokens for a revoked device are never issued again.
    func prune(before cutoff: Int64) {
        state.withLock { state in
            state.revokedDevices = state.revokedDevices.filter { $0.value >= cutoff }
            state.accountNotBefore = state.accountNotBefore.filter { $0.value >= cutoff }
        }
    }
}

/// A `revocation` event from the hub's stream.
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
    /// on it; any other ignores it (``applies(to:)``).
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
