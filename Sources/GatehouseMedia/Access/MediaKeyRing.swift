import Crypto
import Foundation
import Logging
import Synchronization

/// The cached hub public keys, refreshed periodically and on demand when a token names an unknown key.
///
/// Lookups are synchronous and lock-protected so token verification stays cheap; refetches for unknown key ids
/// are limited to one per `unknownKeyRefetchInterval`, so forged key ids cannot make the server hammer the hub.
public final class MediaKeyRing: Sendable {
    private struct State {
        var keys: [String: HubPublicKey] = [:]
        var lastFetchAttempt: Double?
        var lastSuccessfulFetch: Double?
    }

    private let source: any HubKeySource
    private let state = Mutex(State())
    private let logger: Logger
    /// Minimum seconds between fetches caused by unknown key ids.
    let unknownKeyRefetchInterval: Double

    /// Creates an empty key ring reading from `source`.
    public init(source: any HubKeySource, logger: Logger, unknownKeyRefetchInterval: Double = 30) {
        self.source = source
        self.logger = logger
        self.unknownKeyRefetchInterval = unknownKeyRefetchInterval
    }

    /// The key with the given id, if cached.
    func key(id: String) -> HubPublicKey? {
        state.withLock { $0.keys[id] }
    }

    /// Replaces the cached keys without fetching (tests and benchmarks).
    func install(keys: [String: HubPublicKey]) {
        state.withLock { $0.keys = keys }
    }

    /// Number of cached keys.
    var count: Int { state.withLock { $0.keys.count } }

    /// Fetches the keys now, replacing the cache on success (keys the hub stopped publishing are dropped).
    @discardableResult
    func refresh() async -> Bool {
        state.withLock { $0.lastFetchAttempt = Date().timeIntervalSince1970 }
        do {
            let keys = try await source.fetchKeys()
            state.withLock {
                $0.keys = keys
                $0.lastSuccessfulFetch = Date().timeIntervalSince1970
            }
            logger.debug("hub keys refreshed", metadata: ["count": "\(keys.count)"])
            return true
        } catch {
            if !Task.isCancelled {
                logger.warning("could not fetch hub keys", metadata: ["error": "\(error)"])
            }
            return false
        }
    }

    /// Looks a key up, refetching once if it is unknown and the last attempt is old enough.
    func keyRefreshingIfUnknown(id: String) async -> HubPublicKey? {
        if let key = key(id: id) {
            return key
        }
        let now = Date().timeIntervalSince1970
        let mayFetch = state.withLock { state -> Bool in
            if let last = state.lastFetchAttempt, now - last < unknownKeyRefetchInterval {
                return false
            }
            // Claim the slot before awaiting so concurrent requests do not all fetch.
            state.lastFetchAttempt = now
            return true
        }
        guard mayFetch else { return nil }
        await refresh()
        return key(id: id)
    }
}
