import Foundation
import GatehouseCore
import Logging
import ServiceLifecycle

/// Deletes expired media-server claim codes once a minute, so a claim row never outlives its code, and expired passkey
/// challenges (a username-less sign-in's belong to no account, so nothing else removes them).
struct ClaimCleanupService: Service {
    let servers: ServerService
    var passkeys: PasskeyService?
    var deviceGrant: DeviceGrantService?
    /// Spent DPoP proofs to purge once expired (when the replay check is shared through the database).
    var dpopStore: (any DPoPStore)? = nil
    /// Ids of used "This wasn't me" links, forgotten a day after the longest link expired.
    var lockLinks: (any LockdownStore)? = nil
    let logger: Logger
    var interval: Duration = .seconds(60)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let purged = try await servers.purgeExpiredClaims()
                    if purged > 0 { logger.debug("expired claim codes purged", metadata: ["count": "\(purged)"]) }
                    if let dpopStore {
                        let spent = try await dpopStore.purgeDPoPProofs(before: Date())
                        if spent > 0 {
                            logger.debug("expired DPoP proof records purged", metadata: ["count": "\(spent)"])
                        }
                    }
                    if let lockLinks {
                        let forgotten = try await lockLinks.purgeLockLinks(
                            before: Date().addingTimeInterval(-LockLinkSigner.lifetime - 86_400))
                        if forgotten > 0 {
                            logger.debug("used lock links forgotten", metadata: ["count": "\(forgotten)"])
                        }
                    }
                    if let deviceGrant {
                        let authorizations = try await deviceGrant.purgeExpired()
                        if authorizations > 0 {
                            logger.debug("expired device codes purged", metadata: ["count": "\(authorizations)"])
                        }
                    }
                    if let passkeys {
                        let challenges = try await passkeys.purgeExpiredChallenges()
                        if challenges > 0 {
                            logger.debug("expired passkey challenges purged", metadata: ["count": "\(challenges)"])
                        }
                    }
                } catch {
                    logger.warning("claim cleanup failed: \(String(describing: type(of: error)))")
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
