import GatehouseCore
import Logging
import ServiceLifecycle

/// Runs the hub's ``BackgroundWork`` queue as a service. At start it queues every incident left running (a web-declared
/// one stopped by a shutdown or a crash); on graceful shutdown it stops taking jobs, lets the queued ones finish and
/// tells long ones (an incident's batches) to stop at their next safe point.
struct BackgroundWorkService: Service {
    let work: BackgroundWork
    let incidents: IncidentService
    let logger: Logger

    func run() async throws {
        do {
            try await incidents.resumeUnfinished()
        } catch {
            logger.error("could not look for unfinished incidents", metadata: ["error": "\(type(of: error))"])
        }
        await withGracefulShutdownHandler {
            await work.run()
        } onGracefulShutdown: {
            work.finish()
        }
    }
}
