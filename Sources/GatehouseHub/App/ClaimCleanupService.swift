import GatehouseCore
import Logging
import ServiceLifecycle

/// Deletes expired media-server claim codes once a minute, so a claim row never outlives its code, and expired passkey
/// challenges (a username-less sign-in's belong to no account, so nothing else removes them).
struct ClaimCleanupService: Service {
    let servers: ServerService
    var passkeys: PasskeyService?
    var deviceGrant: DeviceGrantService?
    let logger: Logger
    var interval: Duration = .seconds(60)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let purged = try await servers.purgeExpiredClaims()
                    if purged > 0 { logger.debug("expired claim codes purged", metadata: ["count": "\(purged)"]) }
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
