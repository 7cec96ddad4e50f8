import Foundation
import GatehouseCore
import GatehouseStore
import Logging
import Testing

/// The revocation log read by a horizon (never skipping a late commit) and outbox rows claimed by one instance.
@Suite("Revocation log order and outbox claims")
struct RevocationLogTests {
    let now = Date(epochSeconds: 1_800_000_000)

    /// An account with live devices `ids`.
    func seed(_ store: SQLStore, account name: String, devices ids: [String]) async throws -> Account {
        let account = makeAccount(name)
        try await store.transaction { tx in
            try await tx.insertAccount(account, passwordHash: "h")
            for id in ids {
                try await tx.insertDevice(makeDevice(id, account: account.id), tokenDigest: "digest-" + id)
            }
        }
        return account
    }

    @Test(
        "the reader hands out each entry once, oldest first, and starts at the end of the log",
        arguments: Backend.allCases)
    func readerInOrder(backend: Backend) async throws {
        try await withStore(backend) { (store: SQLStore) async throws in
            let alice = try await seed(store, account: "alice", devices: ["d0", "d1", "d2", "d3"])
            _ = try await store.transaction { try await $0.revokeDevice(id: "d0", accountID: alice.id, at: now) }
            var reader = try await RevocationLogReader.atEnd(of: store.autocommit)
            #expect(try await reader.next(from: store.autocommit).isEmpty)
            for id in ["d1", "d2"] {
                _ = try await store.transaction { try await $0.revokeDevice(id: id, accountID: alice.id, at: now) }
            }
            #expect(try await reader.next(from: store.autocommit).map(\.deviceIDs) == [["d1"], ["d2"]])
            #expect(try await reader.next(from: store.autocommit).isEmpty)
            _ = try await store.transaction { try await $0.revokeDevice(id: "d3", accountID: alice.id, at: now) }
            #expect(try await reader.next(from: store.autocommit).map(\.deviceIDs) == [["d3"]])
            // Many pages: a reader from the start with a page of 1 still gets everything once.
            var all = RevocationLogReader(pageSize: 1)
            #expect(try await all.next(from: store.autocommit).map(\.deviceIDs) == [["d0"], ["d1"], ["d2"], ["d3"]])
            #expect(try await all.next(from: store.autocommit).isEmpty)
        }
    }

    /// T1 revokes device A and stays open; T2 revokes device B and commits; then T1 commits. A cursor over `seq`
    /// (what the hub did before) never sees A; the reader sees B at once and A when T1 commits.
    @Test("an entry that commits after a later one is still read (PostgreSQL)")
    func outOfOrderCommit() async throws {
        try await withStore(.postgres) { (store: SQLStore) async throws in
            let alice = try await seed(store, account: "alice", devices: ["device-a", "device-b"])
            var reader = try await RevocationLogReader.atEnd(of: store.autocommit)
            let start = try await store.autocommit.latestRevocationSequence()

            let (written, wroteT1) = AsyncStream<Void>.makeStream()
            let (release, releaseT1) = AsyncStream<Void>.makeStream()
            let now = self.now
            let t1 = Task {
                try await store.transaction { tx in
                    _ = try await tx.revokeDevice(id: "device-a", accountID: alice.id, at: now)
                    wroteT1.yield()
                    for await _ in release { break }
                }
            }
            for await _ in written { break }
            _ = try await store.transaction { try await $0.revokeDevice(id: "device-b", accountID: alice.id, at: now) }

            // T2's entry (the higher seq) is visible while T1's is not.
            let old = try await store.autocommit.revocations(after: start, limit: 100)
            #expect(old.map(\.revocation.deviceIDs) == [["device-b"]])
            let oldCursor = old.last?.sequence ?? start
            #expect(try await reader.next(from: store.autocommit).map(\.deviceIDs) == [["device-b"]])
            #expect(try await reader.next(from: store.autocommit).isEmpty)

            releaseT1.yield()
            try await t1.value
            // The old cursor has moved past T1's seq: it never sees device A.
            #expect(try await store.autocommit.revocations(after: oldCursor, limit: 100).isEmpty)
            // The reader does, once.
            #expect(try await reader.next(from: store.autocommit).map(\.deviceIDs) == [["device-a"]])
            #expect(try await reader.next(from: store.autocommit).isEmpty)
            // The memory of what was handed out is dropped once the horizon passes both writers. The horizon is
            // the server's oldest running transaction, and other tests share the server, so wait for theirs to end
            // (reading again never hands anything out twice).
            let deadline = Date().addingTimeInterval(30)
            while !reader.delivered.isEmpty, Date() < deadline {
                #expect(try await reader.next(from: store.autocommit).isEmpty)
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(reader.delivered.isEmpty)
        }
    }

    @Test(
        "outbox claims: hundreds of concurrent claims from two stores hand each message to exactly one claimant",
        arguments: Backend.allCases)
    func outboxClaimsAreExclusive(backend: Backend) async throws {
        try await withStore(backend) { (store: SQLStore) async throws in
            let count = 300
            for index in 0..<count {
                try await store.autocommit.enqueueMail(
                    OutboxMessage(
                        id: String(format: "m%04d", index), recipient: "r@example.com", subject: "s", textBody: "t",
                        htmlBody: "h", kind: "k", createdAt: now, nextAttemptAt: now))
            }
            // Two stores stand for two hub instances (on SQLite, one process holds the file).
            let second = try await secondStore(like: store, backend: backend)
            let stores: [SQLStore] = [store, second ?? store]
            let now = self.now
            let claimed = try await withThrowingTaskGroup(of: [String].self) { group in
                for worker in 0..<16 {
                    let target = stores[worker % 2]
                    group.addTask {
                        var mine: [String] = []
                        while true {
                            let batch = try await target.autocommit.claimDueMail(
                                now: now, limit: 7, claimant: "w\(worker)", until: now.addingTimeInterval(120))
                            if batch.isEmpty { break }
                            mine += batch.map(\.id)
                        }
                        return mine
                    }
                }
                var all: [String] = []
                for try await part in group { all += part }
                return all
            }
            try? await second?.shutdown()
            #expect(claimed.count == count)
            #expect(Set(claimed).count == count)
        }
    }

    @Test("outbox claims lapse after the lease, and sending or releasing ends them", arguments: Backend.allCases)
    func outboxLease(backend: Backend) async throws {
        try await withStore(backend) { (store: SQLStore) async throws in
            for index in 0..<3 {
                try await store.autocommit.enqueueMail(
                    OutboxMessage(
                        id: "m\(index)", recipient: "r@example.com", subject: "s", textBody: "t", htmlBody: "h",
                        kind: "k", createdAt: now.addingTimeInterval(Double(index)), nextAttemptAt: now))
            }
            let lease = now.addingTimeInterval(120)
            #expect(
                try await store.autocommit.claimDueMail(now: now, limit: 10, claimant: "a", until: lease).map(\.id)
                    == ["m0", "m1", "m2"])
            // Held: nobody else gets them before the lease ends.
            #expect(
                try await store.autocommit.claimDueMail(
                    now: now.addingTimeInterval(119), limit: 10, claimant: "b", until: lease
                ).isEmpty)
            try await store.autocommit.markMailSent(id: "m0", at: now)
            try await store.autocommit.releaseMailClaims(ids: ["m1"], claimant: "a")
            // A release by someone else changes nothing.
            try await store.autocommit.releaseMailClaims(ids: ["m2"], claimant: "b")
            #expect(
                try await store.autocommit.claimDueMail(
                    now: now.addingTimeInterval(1), limit: 10, claimant: "b", until: now.addingTimeInterval(240)
                ).map(\.id)
                    == ["m1"])
            // Renewing needs a live claim of one's own.
            #expect(
                try await store.autocommit.renewMailClaim(
                    id: "m1", claimant: "a", now: now.addingTimeInterval(60), until: now.addingTimeInterval(180))
                    == false)
            #expect(
                try await store.autocommit.renewMailClaim(
                    id: "m1", claimant: "b", now: now.addingTimeInterval(60), until: now.addingTimeInterval(241)))
            // "a" crashed holding m2: after the lease another instance sends it.
            #expect(
                try await store.autocommit.claimDueMail(
                    now: now.addingTimeInterval(121), limit: 10, claimant: "b", until: now.addingTimeInterval(240)
                )
                .map(\.id) == ["m2"])
            // A lapsed claim cannot be renewed by the one who lost it, nor a sent message's.
            #expect(
                try await store.autocommit.renewMailClaim(
                    id: "m2", claimant: "a", now: now.addingTimeInterval(122), until: now.addingTimeInterval(300))
                    == false)
            #expect(
                try await store.autocommit.renewMailClaim(
                    id: "m0", claimant: "a", now: now.addingTimeInterval(2), until: now.addingTimeInterval(300))
                    == false)
            let counts = try await store.autocommit.mailCounts()
            #expect(counts.pending == 2 && counts.sent == 1)
        }
    }

    /// Another store on the same PostgreSQL schema (a second hub instance); nil on SQLite.
    func secondStore(like store: SQLStore, backend: Backend) async throws -> SQLStore? {
        guard backend == .postgres, let url = ProcessInfo.processInfo.environment["GATEHOUSE_TEST_POSTGRES_URL"] else {
            return nil
        }
        let schema = try await store.rawRows("SELECT current_schema()").first ?? "public"
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return try await SQLStore.open(url: url, logger: logger, schema: schema)
    }
}
