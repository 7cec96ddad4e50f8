import Foundation
import GatehouseCore
import GatehouseStore
import Logging
import Synchronization
import Testing

@testable import GatehouseHub

/// Two hub instances on one PostgreSQL: revocations reach the other instance's credential cache and this
/// instance's media-server streams even when they commit out of order, and LISTEN/NOTIFY wakes the other instance.
@Suite("Revocations across hub instances")
struct CrossInstanceRevocationTests {
    /// A second hub instance on the same PostgreSQL schema as `hub`: its own store connections, cache, bus and feed
    /// (the same keyring, as instances of one deployment share it).
    struct OtherInstance {
        let store: SQLStore
        let environment: HubEnvironment
        let devices: DeviceService
    }

    static func otherInstance(of hub: TestHub) async throws -> OtherInstance {
        guard let url = ProcessInfo.processInfo.environment["GATEHOUSE_TEST_POSTGRES_URL"] else {
            throw TestFailure("GATEHOUSE_TEST_POSTGRES_URL is not set")
        }
        let schema = try await hub.store.rawRows("SELECT current_schema()").first ?? "public"
        var logger = Logger(label: "test-b")
        logger.logLevel = .critical
        let store = try await SQLStore.open(url: url, logger: logger, schema: schema)
        let a = hub.environment
        let environment = HubEnvironment(
            store: store, hasher: a.hasher, rules: a.rules, mail: a.mail, clock: a.clock, revocations: RevocationBus(),
            cache: CredentialCache(lifetime: 30), keyring: a.keyring, settings: a.settings, logger: logger)
        return OtherInstance(store: store, environment: environment, devices: DeviceService(environment: environment))
    }

    /// Waits up to `seconds` (wall time) for `condition`.
    static func eventually(_ seconds: Double = 5, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return try await condition()
    }

    /// Collects what a bus publishes (what `ServerRoutes.revocationStream` forwards to media servers).
    final class Collected: Sendable {
        private let items = Mutex<[Revocation]>([])
        var all: [Revocation] { items.withLock { $0 } }
        func add(_ revocation: Revocation) { items.withLock { $0.append(revocation) } }
        func devices() -> Set<String> { Set(all.flatMap(\.deviceIDs)) }
    }

    @Test(
        "T1 revokes device A and stays open, T2 revokes device B and commits, T1 commits: both reach the other instance's cache and the media stream"
    )
    func outOfOrderCommits() async throws {
        try await withHub(.postgres) { hub in
            let alice = try await hub.makeAccount("alice")
            let bob = try await hub.makeAccount("bob")
            let deviceA = try await hub.signIn("alice")
            let deviceB = try await hub.signIn("bob")
            let other = try await Self.otherInstance(of: hub)
            defer { Task { [store = other.store] in try? await store.shutdown() } }

            // Instance B has both credentials in its cache (the manual clock never ages them out, so only a
            // revocation read from the log can empty them).
            #expect(try await other.devices.authenticate(token: deviceA.token.value, ipAddress: "192.0.2.1") != nil)
            #expect(try await other.devices.authenticate(token: deviceB.token.value, ipAddress: "192.0.2.1") != nil)

            // Instance A's feed publishes to its bus, which its media-server streams forward; instance B's feed
            // listens for notifications (and polls every 250 ms as ever).
            let stream = Collected()
            let subscription = hub.environment.revocations.subscribe()
            let listener = Task { for await revocation in subscription { stream.add(revocation) } }
            let feedA = Task { await RevocationFeed(environment: hub.environment).run() }
            let feedB = Task {
                await RevocationFeed(environment: other.environment, wakeups: other.store.revocationWakeups()).run()
            }
            defer {
                feedA.cancel()
                feedB.cancel()
                listener.cancel()
            }
            try await Task.sleep(for: .milliseconds(600))  // both feeds positioned at the end of the log

            let now = hub.clock.now()
            let (written, wroteT1) = AsyncStream<Void>.makeStream()
            let (release, releaseT1) = AsyncStream<Void>.makeStream()
            let t1 = Task {
                try await hub.store.transaction { tx in
                    _ = try await tx.revokeDevice(id: deviceA.device.id, accountID: alice.id, at: now)
                    wroteT1.yield()
                    for await _ in release { break }
                }
            }
            for await _ in written { break }
            // T2: the real service, committed while T1 is open.
            try await hub.services.devices.revoke(
                deviceID: deviceB.device.id, of: bob, caller: Caller(ipAddress: "192.0.2.2"))

            #expect(try await Self.eventually { stream.devices().contains(deviceB.device.id) })
            #expect(
                try await Self.eventually {
                    try await other.devices.authenticate(token: deviceB.token.value, ipAddress: "192.0.2.1") == nil
                })
            // T1 is still open: A's credential still works on instance B.
            #expect(try await other.devices.authenticate(token: deviceA.token.value, ipAddress: "192.0.2.1") != nil)
            #expect(!stream.devices().contains(deviceA.device.id))

            releaseT1.yield()
            try await t1.value
            hub.environment.announce(
                Revocation(accountID: alice.id, deviceIDs: [deviceA.device.id], allDevices: false, at: now))
            #expect(try await Self.eventually { stream.devices().contains(deviceA.device.id) })
            #expect(
                try await Self.eventually {
                    try await other.devices.authenticate(token: deviceA.token.value, ipAddress: "192.0.2.1") == nil
                })
            // Each revocation published once.
            try await Task.sleep(for: .milliseconds(600))
            #expect(stream.all.map(\.deviceIDs) == [[deviceB.device.id], [deviceA.device.id]])
        }
    }

    @Test("LISTEN/NOTIFY wakes the other instance well before its poll would")
    func notifyWakesTheOtherInstance() async throws {
        try await withHub(.postgres) { hub in
            let carol = try await hub.makeAccount("carol")
            let other = try await Self.otherInstance(of: hub)
            defer { Task { [store = other.store] in try? await store.shutdown() } }
            // A poll of 60 s: only a notification can bring the revocation within the test's 5 s.
            let received = Collected()
            let subscription = other.environment.revocations.subscribe()
            let listener = Task { for await revocation in subscription { received.add(revocation) } }
            let feed = Task {
                await RevocationFeed(
                    environment: other.environment, interval: .seconds(60), wakeups: other.store.revocationWakeups()
                ).run()
            }
            defer {
                feed.cancel()
                listener.cancel()
            }
            try await Task.sleep(for: .milliseconds(800))  // positioned, and LISTEN running
            for round in 0..<3 {
                let signedIn = try await hub.signIn("carol")
                try await hub.services.devices.revoke(
                    deviceID: signedIn.device.id, of: carol, caller: Caller(ipAddress: "192.0.2.3"))
                #expect(try await Self.eventually { received.all.count == round + 1 })
            }
        }
    }
}
