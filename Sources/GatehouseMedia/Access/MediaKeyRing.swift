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

    /// Pinning for a media server that talks to a hub: the keys pinned at claim time, moved on only through the
    /// hub's endorsements (docs/media-protocol.md, "Hub keys").
    struct Pinning: Sendable {
        let store: HubKeyPinStore
        let alerts: TrustAlerts
        /// Whether the server is claimed: keys are pinned at claim time, never before.
        let isClaimed: @Sendable () -> Bool
    }

    private let source: any HubKeySource
    private let state = Mutex(State())
    private let logger: Logger
    private let pinning: Pinning?
    /// Minimum seconds between fetches caused by unknown key ids.
    let unknownKeyRefetchInterval: Double

    /// Creates an empty key ring reading from `source`.
    public init(source: any HubKeySource, logger: Logger, unknownKeyRefetchInterval: Double = 30) {
        self.source = source
        self.logger = logger
        self.unknownKeyRefetchInterval = unknownKeyRefetchInterval
        pinning = nil
    }

    /// A key ring that trusts only pinned keys (and keys a pinned key endorsed); starts from the stored pin.
    init(source: any HubKeySource, pinning: Pinning, logger: Logger, unknownKeyRefetchInterval: Double = 30) {
        self.source = source
        self.logger = logger
        self.unknownKeyRefetchInterval = unknownKeyRefetchInterval
        self.pinning = pinning
        if let pinned = pinning.store.load() { state.withLock { $0.keys = pinned } }
    }

    /// Forgets the pin (a new claim pins afresh).
    func forgetPin() {
        pinning?.store.remove()
        state.withLock { $0.keys = [:] }
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
    func refresh(pinningNow: Bool = false) async -> Bool {
        state.withLock { $0.lastFetchAttempt = Date().timeIntervalSince1970 }
        do {
            let keys: [String: HubPublicKey]
            if let pinning {
                guard let pinned = try await pinnedKeys(pinning, claiming: pinningNow) else { return true }
                keys = pinned
            } else {
                keys = try await source.fetchKeys()
            }
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

    /// The keys to trust after one fetch: on the first fetch after the claim, the published set becomes the pin;
    /// afterwards only pinned keys and keys a pinned key endorsed. Nil while unclaimed (nothing is pinned or trusted).
    private func pinnedKeys(_ pinning: Pinning, claiming: Bool) async throws -> [String: HubPublicKey]? {
        let published = try await source.fetchPublishedKeys()
        // An empty pin (a hub that published nothing at claim time) pins nothing: the next keys seen are pinned.
        guard let pinned = pinning.store.load(), !pinned.isEmpty else {
            guard claiming || pinning.isClaimed() else { return nil }
            var keys: [String: HubPublicKey] = [:]
            for entry in published { keys[entry.kid] = entry.key }
            try pinning.store.save(keys)
            logger.notice("hub keys pinned", metadata: ["kids": "\(keys.keys.sorted().joined(separator: ","))"])
            pinning.alerts.clear(.hubKeys)
            return keys
        }
        let outcome = HubKeyChain.advance(pinned: pinned, published: published)
        if !outcome.added.isEmpty || !outcome.dropped.isEmpty {
            try pinning.store.save(outcome.pinned)
            if !outcome.added.isEmpty {
                logger.notice(
                    "hub key rotation followed", metadata: ["added": "\(outcome.added.joined(separator: ","))"])
            }
            if !outcome.dropped.isEmpty {
                logger.notice("hub keys retired", metadata: ["dropped": "\(outcome.dropped.joined(separator: ","))"])
            }
        }
        if outcome.refused.isEmpty {
            pinning.alerts.clear(.hubKeys)
        } else {
            pinning.alerts.raise(
                .hubKeys,
                "The hub published keys this server does not trust: \(outcome.refused.joined(separator: "; ")). "
                    + "Tokens signed with them are refused; if the hub's keys were replaced on purpose, remove "
                    + "hub-keys.json from the data folder and claim the server again.")
        }
        // A hub that stops publishing every pinned key gets no say: the pinned keys stay in use.
        return outcome.active.isEmpty ? outcome.pinned : outcome.active
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
