import GatehouseCore
import ServiceLifecycle

/// Runs the ``RevocationFeed`` for the hub's lifetime.
struct RevocationFeedService: Service {
    let feed: RevocationFeed

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await feed.run()
        }
    }
}
