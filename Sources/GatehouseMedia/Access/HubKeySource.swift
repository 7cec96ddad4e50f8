import Crypto

/// Where the media server learns the hub's Ed25519 public keys, by key id.
public protocol HubKeySource: Sendable {
    /// Fetches the current set of published keys.
    func fetchKeys() async throws -> [String: HubPublicKey]

    /// Fetches the published keys with their endorsements (the hub's key chain), in published order.
    func fetchPublishedKeys() async throws -> [PublishedHubKey]
}

extension HubKeySource {
    /// Sources without endorsements publish bare keys.
    public func fetchPublishedKeys() async throws -> [PublishedHubKey] {
        try await fetchKeys().sorted { $0.key < $1.key }.map { PublishedHubKey(kid: $0.key, key: $0.value) }
    }
}

/// A fixed set of keys: for tests, benchmarks and the offline mode, where no hub is asked.
public struct StaticHubKeySource: HubKeySource {
    /// The keys, by key id.
    public var keys: [String: HubPublicKey]

    /// Creates a source that always answers with `keys`.
    public init(keys: [String: HubPublicKey]) {
        self.keys = keys
    }

    public func fetchKeys() async throws -> [String: HubPublicKey] {
        keys
    }
}
