import Foundation
import GatehouseCore
import Synchronization
import Testing

@testable import GatehouseHub

/// A web-declared incident runs on the hub's background queue, stops between batches when the hub shuts down, and is
/// resumed at the next start from its cursor: every account is done exactly once.
@Suite("Incidents on the background queue: stopped between batches, resumed from the cursor")
struct IncidentRunTests {
    @Test(
        "a run told to stop leaves the incident running at a batch boundary; resuming finishes it once",
        arguments: Backend.allCases)
    func stopAndResume(backend: Backend) async throws {
        try await withHub(backend) { hub in
            var accounts: [Account] = []
            for index in 0..<23 { accounts.append(try await hub.makeAccount("member\(index)")) }
            let incident = try await hub.services.incidents.declare(
                reason: "drill", forceReset: [], signOutAll: true, notify: false, banner: nil, by: .console,
                caller: Caller(ipAddress: "operator"))
            let batches = Mutex(0)
            let stopped = try await hub.services.incidents.run(
                incidentID: incident.id, batchSize: 5, progress: { _ in batches.withLock { $0 += 1 } },
                shouldStop: { batches.withLock { $0 } >= 2 })
            #expect(stopped.state == .running)
            #expect(stopped.processed == 10)
            let flagged = try await accounts.asyncFilter {
                try await hub.store.autocommit.account(id: $0.id)?.isResetRequired == true
            }
            #expect(flagged.count == 10)

            // What BackgroundWorkService does at start.
            #expect(try await hub.services.incidents.resumeUnfinished() == 1)
            let deadline = ContinuousClock.now + .seconds(60)
            var finished = try await hub.services.incidents.status(id: incident.id)
            while finished.state == .running, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
                finished = try await hub.services.incidents.status(id: incident.id)
            }
            #expect(finished.state == .applied)
            #expect(finished.processed == accounts.count)
            for account in accounts {
                #expect(try await hub.store.autocommit.account(id: account.id)?.isResetRequired == true)
                let applied = try await hub.audit(account.id).filter {
                    $0.kind == AuditEvent.Kind.incidentApplied.rawValue
                }
                #expect(applied.count == 1, "account \(account.username)")
            }
            #expect(try await hub.services.incidents.resumeUnfinished() == 0)
        }
    }
}

extension Array where Element: Sendable {
    func asyncFilter(_ keep: (Element) async throws -> Bool) async rethrows -> [Element] {
        var kept: [Element] = []
        for element in self where try await keep(element) { kept.append(element) }
        return kept
    }
}
