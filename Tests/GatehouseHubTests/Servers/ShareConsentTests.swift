import Foundation
import GatehouseStore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

@testable import GatehouseCore
@testable import GatehouseHub

/// Shares by consent (issue 13, item 5): a share is an invitation the recipient accepts or declines; sharing,
/// unsharing, claiming and removing need a recent re-authentication; unshare revokes only that server's tokens of
/// that account, only when a share existed, through the revocation log; the owner is mailed on every new share.
@Suite("Shares by consent")
struct ShareConsentTests {
    static let caller = Caller(ipAddress: "192.0.2.10")

    /// An owner with servers `srvA` and `srvB`, a friend, and a freshly signed-in owner device.
    struct Setting {
        let owner: Account
        let friend: Account
        let ownerDevice: Device
        let friendSession: SignedIn
    }

    static func setting(_ hub: TestHub, friend name: String = "finn") async throws -> Setting {
        let owner = try await hub.makeAccount("olga")
        let friend = try await hub.makeAccount(name)
        try await DPoPTests.claimServer(hub, owner: owner, id: "srvA")
        try await DPoPTests.claimServer(hub, owner: owner, id: "srvB")
        return Setting(
            owner: owner, friend: friend, ownerDevice: try await hub.signIn("olga").device,
            friendSession: try await hub.signIn(name))
    }

    static func revocationCount(_ hub: TestHub, _ accountID: String) async throws -> Int {
        Int(
            try await hub.store.rawRows(
                "SELECT CAST(COUNT(*) AS TEXT) FROM revocations WHERE account_id = '\(accountID)'"
            ).first ?? "") ?? -1
    }

    static func sections(_ token: String) throws -> [String] {
        try ProfileTests.claims(token)["sec"] as? [String] ?? []
    }

    @Test(
        "A pending share gives no media token and no revocation audience until accepted; declined gives nothing",
        arguments: Backend.allCases)
    func pendingUntilAccepted(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let s = try await Self.setting(hub)
            let servers = hub.services.servers
            try await servers.share(
                serverID: "srvA", sections: ["Movies", "Kids"], with: "finn", by: s.owner, device: s.ownerDevice,
                caller: Self.caller)
            // Pending: nothing for the friend's media, nothing of the friend reaches the server.
            await #expect(throws: ServerService.Error.noAccess) {
                _ = try await servers.accessToken(serverID: "srvA", account: s.friend, device: s.friendSession.device)
            }
            #expect(try await servers.sharedServers(with: s.friend).isEmpty)
            let server = try #require(try await hub.store.autocommit.server(id: "srvA"))
            #expect(try await !servers.audience(of: server).contains(s.friend.id))
            let pending = try await servers.pendingShares(for: s.friend)
            #expect(pending.map(\.server.id) == ["srvA"])
            #expect(pending.first?.sections == ["Kids", "Movies"] && pending.first?.ownerUsername == "olga")
            // The owner sees it, pending.
            #expect(
                try await servers.outgoingShares(of: s.owner).map {
                    "\($0.username):\($0.share.section):\($0.share.isAccepted)"
                }
                    == ["finn:Kids:false", "finn:Movies:false"])

            try await servers.acceptShare(serverID: "srvA", by: s.friend, caller: Self.caller)
            let token = try await servers.accessToken(
                serverID: "srvA", account: s.friend, device: s.friendSession.device)
            #expect(try Self.sections(token.token) == ["Kids", "Movies"])
            #expect(try await servers.sharedServers(with: s.friend).map(\.id) == ["srvA"])
            #expect(try await servers.audience(of: server).contains(s.friend.id))
            #expect(try await servers.pendingShares(for: s.friend).isEmpty)
            #expect(try await servers.outgoingShares(of: s.owner).allSatisfy(\.share.isAccepted))
            await #expect(throws: ServerService.Error.noPendingShare) {
                try await servers.acceptShare(serverID: "srvA", by: s.friend, caller: Self.caller)
            }

            // Declined: deleted, and nothing at all for the one who declined.
            let gus = try await hub.makeAccount("gus")
            let gusDevice = try await hub.signIn("gus").device
            try await servers.share(
                serverID: "srvB", sections: ["Music"], with: "gus", by: s.owner, device: s.ownerDevice,
                caller: Self.caller)
            try await servers.declineShare(serverID: "srvB", by: gus, caller: Self.caller)
            await #expect(throws: ServerService.Error.noAccess) {
                _ = try await servers.accessToken(serverID: "srvB", account: gus, device: gusDevice)
            }
            #expect(try await servers.shares(serverID: "srvB", owner: s.owner).isEmpty)
            #expect(try await servers.pendingShares(for: gus).isEmpty)
            await #expect(throws: ServerService.Error.noPendingShare) {
                try await servers.acceptShare(serverID: "srvB", by: gus, caller: Self.caller)
            }
            // Someone else's pending share cannot be accepted for them.
            try await servers.share(
                serverID: "srvB", sections: ["Music"], with: "gus", by: s.owner, device: s.ownerDevice,
                caller: Self.caller)
            await #expect(throws: ServerService.Error.noPendingShare) {
                try await servers.acceptShare(serverID: "srvB", by: s.friend, caller: Self.caller)
            }
            #expect(try await servers.pendingShares(for: gus).count == 1)
            let kinds = try await hub.audit(gus.id).map(\.kind)
            #expect(kinds.contains(AuditEvent.Kind.shareDeclined.rawValue))
        }
    }

    @Test(
        "Looping unshare on an account that never had a share writes no revocation and leaves its tokens working",
        arguments: Backend.allCases)
    func loopingUnshareChangesNothing(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let s = try await Self.setting(hub)
            let servers = hub.services.servers
            // The friend has an accepted share of srvB only, and a live media token for it.
            try await servers.share(
                serverID: "srvB", sections: ["Movies"], with: "finn", by: s.owner, device: s.ownerDevice,
                caller: Self.caller)
            try await servers.acceptShare(serverID: "srvB", by: s.friend, caller: Self.caller)
            let before = try await Self.revocationCount(hub, s.friend.id)
            #expect(before >= 0)
            let latest = try await hub.store.autocommit.latestRevocationSequence()
            for round in 0..<50 {
                // Answers alike for a real account without a share, an unknown name, and section or not.
                try await servers.unshare(
                    serverID: "srvA", section: round % 2 == 0 ? nil : "Movies",
                    from: round % 3 == 0 ? "nobody" : "finn",
                    by: s.owner, device: s.ownerDevice, caller: Self.caller)
            }
            #expect(try await Self.revocationCount(hub, s.friend.id) == before)
            #expect(try await hub.store.autocommit.latestRevocationSequence() == latest)
            // The friend's credential and media token still work, with the same sections.
            #expect(
                try await hub.services.devices.authenticate(token: s.friendSession.token.value, ipAddress: "192.0.2.9")
                    != nil)
            let token = try await servers.accessToken(
                serverID: "srvB", account: s.friend, device: s.friendSession.device)
            #expect(try Self.sections(token.token) == ["Movies"])
            #expect(
                try await hub.store.autocommit.latestFullRevocation(accountID: s.friend.id, serverID: "srvB") == nil)
        }
    }

    @Test(
        "Unshare of a real share writes one revocation naming that server only, in the log", arguments: Backend.allCases
    )
    func unshareWritesOneScopedRevocation(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let s = try await Self.setting(hub)
            let servers = hub.services.servers
            for server in ["srvA", "srvB"] {
                try await servers.share(
                    serverID: server, sections: ["Movies"], with: "finn", by: s.owner, device: s.ownerDevice,
                    caller: Self.caller)
                try await servers.acceptShare(serverID: server, by: s.friend, caller: Self.caller)
            }
            // What the feed publishes is what the hub's revocation streams forward to media servers.
            let published = Mutex<[Revocation]>([])
            let subscription = hub.environment.revocations.subscribe()
            let listener = Task {
                for await revocation in subscription { published.withLock { $0.append(revocation) } }
            }
            let feed = Task { await RevocationFeed(environment: hub.environment).run() }
            defer {
                feed.cancel()
                listener.cancel()
            }
            try await Task.sleep(for: .milliseconds(400))  // the feed is positioned at the end of the log
            let before = try await Self.revocationCount(hub, s.friend.id)
            try await servers.unshare(
                serverID: "srvA", section: nil, from: "finn", by: s.owner, device: s.ownerDevice, caller: Self.caller)
            #expect(try await Self.revocationCount(hub, s.friend.id) == before + 1)
            let row = try await hub.store.rawRows(
                "SELECT server_id, CAST(all_devices AS TEXT), device_ids FROM revocations WHERE account_id = '\(s.friend.id)' ORDER BY seq DESC"
            )
            #expect(row.first == "srvA|1|")
            #expect(try await CrossInstanceRevocationTests.eventually { published.withLock { $0.count } == 1 })
            let sent = try #require(published.withLock { $0.first })
            #expect(sent.serverID == "srvA" && sent.accountID == s.friend.id && sent.allDevices)
            // The friend's account is untouched: credential, the other server's token, device grants' view.
            #expect(
                try await hub.services.devices.authenticate(token: s.friendSession.token.value, ipAddress: "192.0.2.9")
                    != nil)
            #expect(
                try Self.sections(
                    try await servers.accessToken(serverID: "srvB", account: s.friend, device: s.friendSession.device)
                        .token) == ["Movies"])
            #expect(try await hub.store.autocommit.latestFullRevocation(accountID: s.friend.id, serverID: nil) == nil)
            await #expect(throws: ServerService.Error.noAccess) {
                _ = try await servers.accessToken(serverID: "srvA", account: s.friend, device: s.friendSession.device)
            }
            // A later share of srvA dates its tokens after the revocation (the server would refuse older ones).
            try await servers.share(
                serverID: "srvA", sections: ["Movies"], with: "finn", by: s.owner, device: s.ownerDevice,
                caller: Self.caller)
            try await servers.acceptShare(serverID: "srvA", by: s.friend, caller: Self.caller)
            let again = try await servers.accessToken(
                serverID: "srvA", account: s.friend, device: s.friendSession.device)
            let revokedAt = try #require(
                try await hub.store.autocommit.latestFullRevocation(accountID: s.friend.id, serverID: "srvA"))
            #expect(
                again.expiresAt.addingTimeInterval(-MediaTokenSigner.lifetime).epochSeconds > revokedAt.epochSeconds)
            #expect(try await hub.audit(s.owner.id).map(\.kind).contains(AuditEvent.Kind.serverUnshared.rawValue))
        }
    }

    @Test(
        "A stolen credential without a recent re-authentication cannot share, unshare, claim or remove",
        arguments: Backend.allCases)
    func staleCredentialIsRefused(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let s = try await Self.setting(hub)
            let servers = hub.services.servers
            try await servers.share(
                serverID: "srvB", sections: ["Movies"], with: "finn", by: s.owner, device: s.ownerDevice,
                caller: Self.caller)
            try await servers.acceptShare(serverID: "srvB", by: s.friend, caller: Self.caller)
            let thief = try await hub.makeAccount("thief")
            _ = thief
            let mailBefore = try await hub.mail(to: "olga@example.com").count
            hub.clock.advance(hub.environment.settings.reauthenticationWindow + 1)
            let stale = try #require(try await hub.store.autocommit.device(id: s.ownerDevice.id))
            let (code, _) = try await servers.requestClaim(
                ServerService.ClaimRequest(
                    name: "loot", version: "1", platform: "linux", url: "http://loot.test",
                    credentialDigest: String(repeating: "ab", count: 32)),
                caller: Caller(ipAddress: "203.0.113.7"))
            let refused = AccountService.Error.reauthenticationRequired
            await #expect(throws: refused) {
                try await servers.share(
                    serverID: "srvA", sections: ["Movies"], with: "thief", by: s.owner, device: stale,
                    caller: Self.caller)
            }
            await #expect(throws: refused) {
                try await servers.unshare(
                    serverID: "srvB", section: nil, from: "finn", by: s.owner, device: stale, caller: Self.caller)
            }
            await #expect(throws: refused) {
                _ = try await servers.claim(code: code, by: s.owner, device: stale, caller: Self.caller)
            }
            await #expect(throws: refused) {
                try await servers.remove(serverID: "srvB", by: s.owner, device: stale, caller: Self.caller)
            }
            // Nothing changed: no share for the thief, the friend's share stands, both servers stand, no mail.
            #expect(try await servers.pendingShares(for: thief).isEmpty)
            #expect(try await servers.sharedServers(with: s.friend).map(\.id) == ["srvB"])
            #expect(try await servers.servers(of: s.owner).map(\.id).sorted() == ["srvA", "srvB"])
            #expect(try await hub.mail(to: "olga@example.com").count == mailBefore)

            // The same over the API: 403 reauthentication_required.
            let session = try await hub.signIn("olga")
            hub.clock.advance(hub.environment.settings.reauthenticationWindow + 1)
            try await hub.withRouter { client in
                for (method, uri, body) in [
                    (
                        HTTPRequest.Method.post, "/api/v1/servers/srvA/shares",
                        ["account": "thief", "sections": ["Movies"]] as [String: Any]
                    ),
                    (.delete, "/api/v1/servers/srvB/shares/finn", [:]),
                    (.post, "/api/v1/servers/claim", ["code": code]),
                    (.delete, "/api/v1/servers/srvB", [:]),
                ] {
                    let response = try await client.execute(
                        uri: uri, method: method, headers: JSON.bearer(session.token.value),
                        body: JSON.body(body))
                    #expect(response.status == .forbidden, "\(uri)")
                    #expect(
                        (JSON.object(response)["error"] as? [String: Any])?["code"] as? String
                            == "reauthentication_required", "\(uri)")
                }
            }

            // After re-authenticating, the owner can.
            try await hub.services.signIn.reauthenticate(
                account: s.owner, device: stale, password: TestHub.password, code: nil,
                caller: Caller(ipAddress: "192.0.2.10", deviceID: stale.id))
            let fresh = try #require(try await hub.store.autocommit.device(id: s.ownerDevice.id))
            try await servers.share(
                serverID: "srvA", sections: ["Movies"], with: "thief", by: s.owner, device: fresh, caller: Self.caller)
            #expect(try await servers.pendingShares(for: thief).count == 1)
        }
    }

    @Test(
        "The owner is mailed (a security mail with its lock link) on every new share, never for a repeat",
        arguments: Backend.allCases)
    func ownerIsMailed(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let s = try await Self.setting(hub)
            let servers = hub.services.servers
            let subject = "Your media server was shared"
            func shareMails() async throws -> [(subject: String, text: String)] {
                try await hub.mail(to: "olga@example.com").filter { $0.subject == subject }
            }
            try await servers.share(
                serverID: "srvA", sections: ["Movies"], with: "finn", by: s.owner, device: s.ownerDevice,
                caller: Self.caller)
            var mails = try await shareMails()
            #expect(mails.count == 1)
            #expect(mails[0].text.contains("finn") && mails[0].text.contains("Movies"))
            #expect(mails[0].text.contains("This wasn't me: "))
            #expect(MailComposer.securityKinds.contains("server_shared"))
            // The same section again, or an account that does not exist: no mail.
            try await servers.share(
                serverID: "srvA", sections: ["Movies"], with: "finn", by: s.owner, device: s.ownerDevice,
                caller: Self.caller)
            try await servers.share(
                serverID: "srvA", sections: ["Movies"], with: "nobody", by: s.owner, device: s.ownerDevice,
                caller: Self.caller)
            mails = try await shareMails()
            #expect(mails.count == 1)
            // A new section is a new share: mailed.
            try await servers.share(
                serverID: "srvA", sections: ["Movies", "Music"], with: "finn", by: s.owner, device: s.ownerDevice,
                caller: Self.caller)
            mails = try await shareMails()
            // The outbox's order within one second is not fixed: find the new mail by its section.
            #expect(mails.count == 2)
            #expect(mails.filter { $0.text.contains("Music") }.count == 1)
            #expect(mails.contains { $0.text.contains("Music") && !$0.text.contains("Movies") })
        }
    }

    @Test("Accept racing decline and unshare leaves a consistent state", arguments: Backend.allCases)
    func acceptRacingDeclineAndUnshare(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let s = try await Self.setting(hub)
            let servers = hub.services.servers
            // Accept against decline: 100 of each at once, exactly one wins.
            try await servers.share(
                serverID: "srvA", sections: ["Movies"], with: "finn", by: s.owner, device: s.ownerDevice,
                caller: Self.caller)
            let friend = s.friend
            let outcomes = await concurrently(0..<200) { index in
                if index % 2 == 0 {
                    try await servers.acceptShare(serverID: "srvA", by: friend, caller: Self.caller)
                    return "accepted"
                }
                try await servers.declineShare(serverID: "srvA", by: friend, caller: Self.caller)
                return "declined"
            }
            #expect(
                !outcomes.contains { $0.hasPrefix("other") }, "\(outcomes.filter { $0.hasPrefix("other") }.prefix(3))")
            #expect(outcomes.filter { $0 == "accepted" || $0 == "declined" }.count == 1)
            let remaining = try await servers.shares(serverID: "srvA", owner: s.owner)
            if outcomes.contains("accepted") {
                #expect(remaining.count == 1 && remaining[0].isAccepted)
            } else {
                #expect(remaining.isEmpty)
            }

            // Accept, decline and unshare at once, round after round: an accepted share is always revoked by the
            // unshare that follows it, nothing survives the unshare, and accept and decline never both succeed.
            try await servers.unshare(
                serverID: "srvA", section: nil, from: "finn", by: s.owner, device: s.ownerDevice, caller: Self.caller)
            let device = s.ownerDevice
            let owner = s.owner
            for _ in 0..<15 {
                try await servers.share(
                    serverID: "srvB", sections: ["Movies"], with: "finn", by: owner, device: device, caller: Self.caller
                )
                let before = try await Self.revocationCount(hub, friend.id)
                let round = await concurrently(0..<3) { index in
                    switch index {
                    case 0:
                        try await servers.acceptShare(serverID: "srvB", by: friend, caller: Self.caller)
                        return "accepted"
                    case 1:
                        try await servers.declineShare(serverID: "srvB", by: friend, caller: Self.caller)
                        return "declined"
                    default:
                        try await servers.unshare(
                            serverID: "srvB", section: nil, from: "finn", by: owner, device: device, caller: Self.caller
                        )
                        return "unshared"
                    }
                }
                #expect(!round.contains { $0.hasPrefix("other") }, "\(round)")
                #expect(!(round.contains("accepted") && round.contains("declined")))
                let logged = try await Self.revocationCount(hub, friend.id) - before
                #expect(logged <= 1)
                if round.contains("accepted") { #expect(logged == 1) }
                if round.contains("declined") { #expect(logged == 0) }
                #expect(try await servers.shares(serverID: "srvB", owner: owner).isEmpty)
                await #expect(throws: ServerService.Error.noAccess) {
                    _ = try await servers.accessToken(serverID: "srvB", account: friend, device: s.friendSession.device)
                }
            }
        }
    }
}
