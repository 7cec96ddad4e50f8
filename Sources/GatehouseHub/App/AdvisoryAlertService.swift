import GatehouseCore
import Logging
import ServiceLifecycle

/// Mails owners of vulnerable servers (first alert, then reminders with growing gaps), checking once a minute.
struct AdvisoryAlertService: Service {
    let releases: ReleaseService
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await releases.sendDueAlerts()
                } catch {
                    logger.warning("advisory alerts failed: \(String(describing: type(of: error)))")
                }
                try? await Task.sleep(for: .seconds(60))
            }
        }
    }
}
