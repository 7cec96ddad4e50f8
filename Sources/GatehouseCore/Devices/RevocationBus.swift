import Foundation
import Synchronization

/// A revocation as announced to caches and media servers.
public struct Revocation: Sendable, Equatable, Codable {
    public var accountID: String
    /// Revoked device ids; empty with `allDevices` for "everything of this account issued before `at`".
    public var deviceIDs: [String]
    public var allDevices: Bool
    public var at: Date
    /// Set for a revocation that concerns one media server only (a share taken back): every token of the account
    /// issued before `at` *for that server* is refused. The account's devices and its other servers are untouched,
    /// so the hub's credential cache ignores it and only the named server's revocation stream carries it.
    public var serverID: String?

    public init(accountID: String, deviceIDs: [String], allDevices: Bool, at: Date, serverID: String? = nil) {
        self.accountID = accountID
        self.deviceIDs = deviceIDs
        self.allDevices = allDevices
        self.at = at
        self.serverID = serverID
    }
}

/// Fans revocations out to whoever listens: the credential cache (at once, in-process) and media servers
/// (over the hub's revocation stream). A listener is an `AsyncStream` so slow listeners never block a request.
public final class RevocationBus: Sendable {
    private struct State {
        var listeners: [Int: AsyncStream<Revocation>.Continuation] = [:]
        var nextID = 0
        var sequence: Int64 = 0
        var recent: [(Int64, Revocation)] = []
    }

    private let state = Mutex(State())
    private let synchronousHandlers: Mutex<[@Sendable (Revocation) -> Void]> = Mutex([])

    private let wakeups: (stream: AsyncStream<Void>, continuation: AsyncStream<Void>.Continuation)

    public init() {
        wakeups = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks the feed to read the revocation log now rather than at its next poll.
    public func nudge() {
        wakeups.continuation.yield()
    }

    /// Wake-ups for the feed (one consumer).
    public var nudges: AsyncStream<Void> { wakeups.stream }

    /// Registers a handler called synchronously on every publish (the cache: it must be emptied before the
    /// revoking request answers).
    public func onPublish(_ handler: @escaping @Sendable (Revocation) -> Void) {
        synchronousHandlers.withLock { $0.append(handler) }
    }

    /// Announces a revocation; returns its sequence number.
    @discardableResult
    public func publish(_ revocation: Revocation) -> Int64 {
        for handler in synchronousHandlers.withLock({ $0 }) { handler(revocation) }
        return state.withLock { state in
            state.sequence += 1
            state.recent.append((state.sequence, revocation))
            if state.recent.count > 10_000 { state.recent.removeFirst(state.recent.count - 10_000) }
            for continuation in state.listeners.values { continuation.yield(revocation) }
            return state.sequence
        }
    }

    /// A stream of every revocation published from now on.
    public func subscribe() -> AsyncStream<Revocation> {
        let (stream, continuation) = AsyncStream<Revocation>.makeStream(bufferingPolicy: .bufferingNewest(10_000))
        let id = state.withLock { state in
            state.nextID += 1
            state.listeners[state.nextID] = continuation
            return state.nextID
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { _ = $0.listeners.removeValue(forKey: id) }
        }
        return stream
    }
}
