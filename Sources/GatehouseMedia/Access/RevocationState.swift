import Foundation
import GatehouseWire
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
        /// Whether the stream is open and has said `hello`.
        var live = false
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
        state.withLock {
            $0.globalNotBeforeSecond = max($0.globalNotBeforeSecond, second)
            $0.live = true
        }
    }

    /// Records that the stream has closed: revocations are not heard until the next `hello`.
    public func streamClosed() {
        state.withLock { $0.live = false }
    }

    /// Whether the hub's revocation stream is open and has said `hello`. Until then a token is accepted on its
    /// signature and expiry alone, and every token issued before the `hello` is refused once it comes: a client
    /// that starts before it may have to ask the hub for a new token once.
    public var isLive: Bool {
        state.withLock { $0.live }
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
