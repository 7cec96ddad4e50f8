import Foundation
import Logging

/// Follows the store's revocation log: every revocation, whether made by this instance, another hub instance or
/// an operator command, empties the credential cache and is published to the bus (and so to media servers).
///
/// Polls every `interval` and at once when a local revocation nudges it.
public struct RevocationFeed: Sendable {
    let env: HubEnvironment
    let interval: Duration

    public init(environment: HubEnvironment, interval: Duration = .milliseconds(250)) {
        self.env = environment
        self.interval = interval
    }

    /// Runs until cancelled.
    public func run() async {
        var last = (try? await env.store.session.latestRevocationSequence()) ?? 0
        let bus = env.revocations
        await withTaskGroup(of: Void.self) { group in
            let (ticks, tick) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
            group.addTask {
                for await _ in bus.nudges { tick.yield() }
            }
            group.addTask { [interval] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    tick.yield()
                }
                tick.finish()
            }
            for await _ in ticks {
                if Task.isCancelled { break }
                do {
                    while true {
                        let batch = try await env.store.session.revocations(after: last, limit: 1_000)
                        let now = env.clock.now()
                        for (sequence, revocation) in batch {
                            env.metrics.revocationApplied(madeAt: revocation.at, now: now)
                            env.cache.evict(
                                accountID: revocation.accountID,
                                deviceIDs: revocation.allDevices ? nil : revocation.deviceIDs)
                            bus.publish(revocation)
                            last = sequence
                        }
                        if batch.count < 1_000 { break }
                    }
                } catch {
                    env.logger.warning("reading the revocation log failed; retrying")
                }
            }
            group.cancelAll()
        }
    }
}
