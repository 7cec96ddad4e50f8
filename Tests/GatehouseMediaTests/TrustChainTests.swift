import Crypto
import Foundation
import GatehouseReleases
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import GatehouseMedia

/// Issue 13: a hub (or the network in front of it) must not become code on every media server. Each test is named
/// after the attack it stops.
@Suite("Trust chain: releases, advisories and the release list")
struct ReleaseTrustTests {
    let publisher = Publisher()

    func list(
        releases: [SignedManifest], advisories: [PublishedAdvisory], lifetime: TimeInterval = 86_400,
        now: Date = Date(), by key: ReleaseSigningKey? = nil
    ) throws -> SignedReleaseList {
        var list = try ReleaseList.covering(
            manifests: releases, advisories: advisories.compactMap(\.signed), lifetime: lifetime, now: now)
        list.sequence = Int64(now.timeIntervalSince1970)
        return try (key ?? publisher.key).sign(list)
    }

    @Test("A bogus newest release (unsigned or badly signed 999.0.0) does not block a valid 1.4.2")
    func bogusNewestReleaseDoesNotBlockAValidFix() throws {
        let good = try publisher.release("1.4.2")
        let stranger = Publisher(id: "r9")
        let impostor = Publisher(id: "r1")
        var unsigned = try publisher.release("999.0.0")
        unsigned.signature = ""
        let releases = [unsigned, try stranger.release("999.0.1"), try impostor.release("999.0.2"), good]
        let advisory = try publisher.advisory("GH-17", affected: ">=1.0.0, <1.4.2", fixed: "1.4.2")
        var state = UpdateState(pinned: try publisher.pin)
        let plan = try planner(.security).evaluate(
            listing: .init(
                releases: releases, keyLists: [],
                releaseList: try list(releases: [good], advisories: [advisory])),
            advisories: [advisory], state: &state)
        #expect(installs(plan.decision) == "1.4.2")
        #expect(Set(plan.refused.map(\.version)) == ["999.0.0", "999.0.1", "999.0.2"])
        #expect(plan.warnings.isEmpty)
        #expect(state.seen["stable"]?.version.description == "1.4.2")
    }

    @Test("An unsigned or forged advisory `>=0.0.0` never makes the security policy install")
    func unsignedAdvisoryCannotTriggerAnInstall() throws {
        let release = try publisher.release("1.1.0")
        let forger = Publisher(id: "r1")
        let forged = try forger.advisory("EVIL-1", affected: ">=0.0.0", fixed: "1.1.0")
        let unsigned = PublishedAdvisory(id: "EVIL-2", signed: nil)
        var edited = try publisher.advisory("GH-2", affected: "<0.1.0", fixed: "1.1.0")
        if let signed = edited.signed, let bytes = GatehouseReleases.Base64URL.decode(signed.advisory) {
            let text = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "<0.1.0", with: ">=0.0.0")
            edited.signed?.advisory = GatehouseReleases.Base64URL.encode(Array(text.utf8))
        }
        var state = UpdateState(pinned: try publisher.pin)
        let plan = try planner(.security).evaluate(
            listing: .init(releases: [release], keyLists: []), advisories: [forged, unsigned, edited], state: &state)
        guard case .available = plan.decision else {
            Issue.record("no verified advisory: nothing is installed (\(plan.decision))")
            return
        }
        #expect(plan.refused.map(\.version) == ["advisory EVIL-1", "advisory EVIL-2", "advisory GH-2"])
        #expect(plan.refused[1].reason.contains("unsigned"))
    }

    @Test("An expired release list (a frozen hub) is reported, not silently trusted")
    func expiredReleaseListIsReported() throws {
        let release = try publisher.release("1.1.0")
        let stale = try list(releases: [release], advisories: [], lifetime: 3600, now: Date().addingTimeInterval(-7200))
        var state = UpdateState(pinned: try publisher.pin)
        let plan = try planner(.notify).evaluate(
            listing: .init(releases: [release], keyLists: [], releaseList: stale), advisories: [], state: &state)
        #expect(plan.warnings.count == 1)
        #expect(plan.warnings.first?.contains("expired") == true)
    }

    @Test("A missing, forged or replayed release list is reported")
    func withheldOrReplayedReleaseListIsReported() throws {
        let release = try publisher.release("1.1.0")
        var state = UpdateState(pinned: try publisher.pin)
        let none = try planner(.notify).evaluate(
            listing: .init(releases: [release], keyLists: []), advisories: [], state: &state)
        #expect(none.warnings.first?.contains("no signed release list") == true)
        let forged = try list(releases: [release], advisories: [], by: ReleaseSigningKey.generate(id: "r1"))
        let bad = try planner(.notify).evaluate(
            listing: .init(releases: [release], keyLists: [], releaseList: forged), advisories: [], state: &state)
        #expect(bad.warnings.first?.contains("does not verify") == true)
        let newer = try list(releases: [release], advisories: [])
        let older = try list(releases: [release], advisories: [], now: Date().addingTimeInterval(-60))
        let fresh = try planner(.notify).evaluate(
            listing: .init(releases: [release], keyLists: [], releaseList: newer), advisories: [], state: &state)
        #expect(fresh.warnings.isEmpty)
        let replayed = try planner(.notify).evaluate(
            listing: .init(releases: [release], keyLists: [], releaseList: older), advisories: [], state: &state)
        #expect(replayed.warnings.first?.contains("older release list") == true)
    }

    @Test("An advisory or release named in the signed list but withheld by the hub is reported")
    func withheldAdvisoryIsReported() throws {
        let release = try publisher.release("1.1.0")
        let fix = try publisher.release("1.2.0")
        let advisory = try publisher.advisory("GH-9", affected: ">=1.0.0, <1.2.0", fixed: "1.2.0")
        let signedList = try list(releases: [release, fix], advisories: [advisory])
        var state = UpdateState(pinned: try publisher.pin)
        let plan = try planner(.security).evaluate(
            listing: .init(releases: [release], keyLists: [], releaseList: signedList), advisories: [], state: &state)
        #expect(plan.warnings.count == 2)
        #expect(plan.warnings.contains { $0.contains("Release 1.2.0") })
        #expect(plan.warnings.contains { $0.contains("Advisory GH-9") })
    }
}

@Suite("Trust chain: the hub's media keys, the hub URL and the claim code")
struct HubTrustTests {
    func published(_ signer: TestSigner, endorsedBy previous: TestSigner? = nil) -> PublishedHubKey {
        var entry = PublishedHubKey(kid: signer.kid, key: signer.publicKey)
        if let previous {
            let message = PublishedHubKey.endorsementMessage(kid: signer.kid, key: signer.publicKey)
            entry.signedBy = previous.kid
            entry.signature = (try? previous.key.signature(for: message)).map(Array.init)
        }
        return entry
    }

    @Test("A hub key not chained to the pin (unsigned, or signed by a stranger) is refused")
    func keyNotChainedToThePinIsRefused() {
        let pinned = TestSigner(kid: "s1")
        let stranger = TestSigner(kid: "s9")
        let injected = TestSigner(kid: "s2")
        let outcome = HubKeyChain.advance(
            pinned: ["s1": pinned.publicKey],
            published: [published(pinned), published(injected, endorsedBy: stranger), published(TestSigner(kid: "s3"))])
        #expect(outcome.pinned.keys.sorted() == ["s1"])
        #expect(outcome.active.keys.sorted() == ["s1"])
        #expect(outcome.refused.count == 2)
    }

    @Test("A key swapped under a pinned key id is refused")
    func keySwappedUnderAPinnedIDIsRefused() {
        let pinned = TestSigner(kid: "s1")
        let swapped = TestSigner(kid: "s1")
        let outcome = HubKeyChain.advance(pinned: ["s1": pinned.publicKey], published: [published(swapped)])
        #expect(outcome.pinned["s1"] == pinned.publicKey)
        #expect(outcome.refused.first?.contains("differs") == true)
    }

    @Test("A rotation endorsed by the pinned key is followed, in any order")
    func endorsedRotationIsFollowed() {
        let first = TestSigner(kid: "s1")
        let second = TestSigner(kid: "s2")
        let third = TestSigner(kid: "s3")
        let outcome = HubKeyChain.advance(
            pinned: ["s1": first.publicKey],
            published: [published(third, endorsedBy: second), published(first), published(second, endorsedBy: first)])
        #expect(outcome.pinned.keys.sorted() == ["s1", "s2", "s3"])
        #expect(outcome.added == ["s2", "s3"])
        #expect(outcome.refused.isEmpty)
    }

    @Test("A pinned media server ignores a forged key from the hub and keeps refusing its tokens")
    func forgedHubKeyCannotMintTokens() async throws {
        let library = try TestLibrary()
        let genuine = TestSigner(kid: "s1")
        let forger = TestSigner(kid: "s2")
        let store = HubKeyPinStore(dataFolder: library.dataFolder)
        try store.save(["s1": genuine.publicKey])
        let alerts = TrustAlerts(logger: quietLogger)
        let source = StaticHubKeySource(keys: ["s1": genuine.publicKey, "s2": forger.publicKey])
        let ring = MediaKeyRing(
            source: source, pinning: .init(store: store, alerts: alerts, isClaimed: { true }), logger: quietLogger)
        #expect(await ring.refresh())
        #expect(ring.key(id: "s2") == nil)
        #expect(ring.key(id: "s1") == genuine.publicKey)
        #expect(store.load()?.keys.sorted() == ["s1"])
        #expect(alerts.messages.first?.contains("not chained to the pin") == true)
    }

    @Test("A remote hub over plain http (where the network could forge keys) is refused at start")
    func forgedKeyOverPlainHTTPIsRefusedAtStart() async throws {
        for url in ["http://hub.example", "http://192.168.1.10:8080", "ftp://hub.example", "hub.example"] {
            #expect(throws: MediaServerConfigurationError.insecureHub(url)) {
                try MediaServerConfiguration.checkHubURL(url)
            }
        }
        for url in ["https://hub.example", "http://localhost:8080", "http://127.0.0.1:8080", "http://[::1]:8080"] {
            try MediaServerConfiguration.checkHubURL(url)
        }
        let library = try TestLibrary()
        let configuration = MediaServerConfiguration(
            sections: [.init(name: "Movies", path: library.sectionPath("Movies"))],
            dataFolder: library.dataFolder.path, hubURL: "http://hub.example:8080")
        await #expect(throws: MediaServerConfigurationError.insecureHub("http://hub.example:8080")) {
            _ = try await MediaServer(configuration: configuration, logger: quietLogger)
        }
    }

    @Test("DNS rebinding: a Host the server does not answer for gets 421; only localhost on loopback sees the code")
    func dnsRebindingCannotReadTheClaimCode() throws {
        let guardian = ClaimCodeGuard(publicURL: "http://den.local:32400", bindHost: "127.0.0.1")
        let loopback = try SocketAddress(ipAddress: "127.0.0.1", port: 50000)
        let lan = try SocketAddress(ipAddress: "192.168.1.20", port: 50000)
        #expect(guardian.verdict(authority: "evil.example", peer: loopback) == .misdirected)
        #expect(guardian.verdict(authority: "evil.example:32400", peer: loopback) == .misdirected)
        #expect(guardian.verdict(authority: nil, peer: loopback) == .misdirected)
        #expect(guardian.verdict(authority: "localhost:32400", peer: loopback) == .showCode)
        #expect(guardian.verdict(authority: "127.0.0.1", peer: loopback) == .showCode)
        #expect(
            guardian.verdict(authority: "[::1]:32400", peer: try SocketAddress(ipAddress: "::1", port: 1)) == .showCode)
        #expect(guardian.verdict(authority: "localhost", peer: lan) == .hideCode)
        #expect(guardian.verdict(authority: "den.local:32400", peer: lan) == .hideCode)
        #expect(guardian.verdict(authority: "192.168.1.5:32400", peer: lan) == .hideCode)
        #expect(guardian.verdict(authority: "localhost.evil.example", peer: loopback) == .misdirected)
    }

    @Test("A 401 from the hub (a removal, or a lie) never unclaims: the server says so and keeps its claim")
    func forged401CannotUnclaimTheServer() async throws {
        let library = try TestLibrary()
        let signer = TestSigner()
        let hub = FakeHub(signer: signer)
        let hubApp = Application(router: hub.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await hubApp.test(.live) { hubClient in
            let hubPort = try #require(hubClient.port)
            var configuration = MediaServerConfiguration(
                sections: [.init(name: "Movies", path: library.sectionPath("Movies"))],
                dataFolder: library.dataFolder.path, port: 0, hubURL: "http://127.0.0.1:\(hubPort)", name: "den",
                version: "1.2.3")
            configuration.heartbeatInterval = 0.2
            let server = try await MediaServer(
                configuration: configuration, logger: quietLogger, probe: MediaProbe(executable: nil))
            try await server.makeApplication().test(.live) { client in
                _ = try await eventually { hub.credentialDigest }
                hub.claim()
                _ = try await eventually { server.identity.serverID }
                let pin = library.dataFolder.appendingPathComponent("hub-keys.json").path
                #expect(FileManager.default.fileExists(atPath: pin))
                hub.refuseServer(true)
                _ = try await eventually { server.alerts.messages.first { $0.contains("401") } }
                try await Task.sleep(for: .milliseconds(600))
                #expect(server.identity.serverID == TestLibrary.serverID)
                #expect(server.credentialStore.loadClaim()?.serverID == TestLibrary.serverID)
                #expect(FileManager.default.fileExists(atPath: pin))
                try await client.execute(uri: "/api/status", method: .get) { response in
                    let json = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))
                    let status = try #require(json as? [String: Any])
                    #expect(status["claimed"] as? Bool == true)
                    #expect((status["alerts"] as? [String])?.first?.contains("401") == true)
                }
                hub.refuseServer(false)
                _ = try await eventually { server.alerts.messages.isEmpty ? true : nil }
            }
            hub.stopStreaming()
        }
    }
}
