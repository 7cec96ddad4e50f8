import Foundation
import GatehouseCore
import Logging
import ServiceLifecycle

/// Signs a checkpoint of the audit chains' heads every `interval` when a chain moved (``AuditCheckpointService``).
/// Several instances may each write one; any of them verifies the chains.
struct AuditCheckpointWriterService: Service {
    let checkpoints: AuditCheckpointService
    let interval: Duration
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                if Task.isCancelled { return }
                do {
                    if let written = try await checkpoints.writeIfChanged() {
                        logger.info(
                            "audit checkpoint signed",
                            metadata: [
                                "events": "\(written.size)", "chains": "\(written.heads.count)",
                                "key": "\(written.keyID)",
                            ])
                    }
                } catch {
                    logger.warning("audit checkpoint failed: \(String(describing: type(of: error)))")
                }
            }
        }
    }
}
