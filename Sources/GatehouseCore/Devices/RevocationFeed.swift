import Foundation
import Logging

/// Follows the store's revocation log: every revocation, whether made by this instance, another hub instance or
/// an operator command, empties the credential cache and is published to the bus (and so to media servers).
///
/// Reads the log with a ``RevocationLogReader`` (which never skips an entry that commits late), every `interval`,
/// at once when a local revocation nudges it, and at once when the store signals that another process wrote to the
/// log (`wakeups`: PostgreSQL `LISTEN gatehouse_revocations`). The poll stays as the fallback for a lost
/// notification connection.
public struct RevocationFeed: Sendable {
    let env: HubEnvironment
    let interval: Duration
    let wakeups: AsyncStream<Void>?

    public init(environment: HubEnvironment, interval: Duration = .milliseconds(250), wakeups: AsyncStream<Void>? = nil)
    {
        self.env = environment
        self.interval = interval
        self.wakeups = wakeups
    }

    /// Runs until cancelled.
    public func run() async {
        var reader: RevocationLogReader?
        while reader == nil && !Task.isCancelled {
            do {
                reader = try await RevocationLogReader.atEnd(of: env.store.autocommit)
            } catch {
                env.logger.warning("reading the revocation log failed; retrying")
                try? await Task.sleep(for: interval)
            }
        }
        guard var reader else { return }
        let bus = env.revocations
        await withTaskGroup(of: Void.self) { group in
            let (ticks, tick) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
            group.addTask {
                for await _ in bus.nudges { tick.yield() }
            }
            if let wakeups {
                group.addTask {
                    for await _ in wakeups { tick.yield() }
                }
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
                    let fresh = try await reader.next(from: env.store.autocommit)
                    let now = env.clock.now()
                    for revocation in fresh {
                        env.metrics.revocationApplied(madeAt: revocation.at, now: now)
                        if revocation.serverID == nil {
                            env.cache.evict(
                                accountID: revocation.accountID,
                                deviceIDs: revocation.allDevices ? nil : revocation.deviceIDs)
                        }
                        bus.publish(revocation)
                    }
                } catch {
                    env.logger.warning("reading the revocation log failed; retrying")
                }
            }
            group.cancelAll()
        }
    }
}
