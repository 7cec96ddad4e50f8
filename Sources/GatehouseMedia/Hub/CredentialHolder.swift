import Synchronization

/// The current server credential in memory, shared by the claim service and the revocation stream.
final class CredentialHolder: Sendable {
    private let storage = Mutex<String?>(nil)

    var value: String? { storage.withLock { $0 } }

    func set(_ credential: String?) {
        storage.withLock { $0 = credential }
    }
}
