import Synchronization

/// The claim state of this media server, shared between the claim service, the verifier and the status page.
public final class ServerIdentity: Sendable {
    /// Where the server stands with the hub.
    public enum State: Sendable, Equatable {
        /// Not claimed; `code` is the claim code to show the owner once the hub issued one.
        case unclaimed(code: String?, expiresAt: Int64?)
        /// Claimed by an owner on the hub.
        case claimed(serverID: String, ownerID: String, name: String)
    }

    private let state: Mutex<State>

    /// Creates an identity in the given state.
    public init(_ initial: State = .unclaimed(code: nil, expiresAt: nil)) {
        state = Mutex(initial)
    }

    /// The current state.
    public var current: State { state.withLock { $0 } }

    /// The server id when claimed.
    public var serverID: String? {
        state.withLock {
            if case .claimed(let id, _, _) = $0 { return id }
            return nil
        }
    }

    func update(_ newState: State) {
        state.withLock { $0 = newState }
    }
}
