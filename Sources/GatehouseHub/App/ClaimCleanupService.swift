import GatehouseCore
import Logging
import ServiceLifecycle

/// Deletes expired media-server claim codes once a minute, so a claim row never outlives its code.
struct ClaimCleanupService: Service {
    let servers: ServerService
    let logger: Logger
    var interval: Duration = .seconds(60)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let purged = try await servers.purgeExpiredClaims()
                    if purged > 0 { logger.debug("expired claim codes purged", metadata: ["count": "\(purged)"]) }
                } catch {
                    logger.warning("claim cleanup failed: \(String(describing: type(of: error)))")
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
