import Crypto
import Foundation
import GatehouseCore
import GatehouseWire
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import GatehouseHub

/// Managed profiles on both databases: the PIN kept only as a keyed digest, the PIN budget under concurrency,
/// the switch (a hand-over, never a way back to the holder), what a profile session can and cannot do, and the
/// media token it gets.
@Suite("Managed profiles")
struct ProfileTests {
    static let caller = Caller(ipAddress: "192.0.2.10")

    static func kid(
        _ hub: TestHub, _ account: Account, name: String = "Robin", pin: String? = "4821",
        restrictions: ProfileRestrictions = ProfileRestrictions(sections: ["Kids"], maxRating: "PG")
    ) async throws -> Profile {
        try await hub.services.profiles.create(
            account: account, name: name, pin: pin, restrictions: restrictions, caller: caller)
    }

    /// The claims of a `v1.<payload>.<signature>` media token.
    static func claims(_ token: String) throws -> [String: Any] {
        let parts = token.split(separator: ".")
        var text = String(parts[1]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        let data = try #require(Data(base64Encoded: text))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func wrongPIN(_ index: Int) -> String {
        let pin = String(format: "%04d", (index * 37 + 11) % 10_000)
        return pin == "4821" ? "0000" : pin
    }

    @Test(
        "The PIN is stored only as a keyed digest: not the PIN, not an unkeyed hash, different per profile",
        arguments: Backend.allCases)
    func pinDigestIsKeyed(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("pat")
            let first = try await Self.kid(hub, account, name: "Robin")
            let second = try await Self.kid(hub, account, name: "Sam")
            let stored = try #require(
                try await hub.store.autocommit.profile(id: first.id, accountID: account.id)?.pinDigest)
            let other = try #require(
                try await hub.store.autocommit.profile(id: second.id, accountID: account.id)?.pinDigest)
            #expect(stored.hasPrefix("k1:"))
            #expect(!stored.contains("4821"))
            for unkeyed in ["4821", "profile-pin\u{0}" + first.id + "\u{0}4821"] {
                let sha256 = SHA256.hash(data: Array(unkeyed.utf8)).map { String(format: "%02x", $0) }.joined()
                #expect(!stored.contains(sha256))
            }
            // HMAC under the keyring-derived digest key, bound to the profile: same PIN, different digest.
            #expect(stored == hub.services.profiles.pinDigest(profileID: first.id, pin: "4821"))
            #expect(stored != other)
            // Recomputed by hand: HMAC-SHA-256 under the key HKDF derives from the keyring's pepper. The same with
            // another keyring (a copied database with a guessed key) gives something else.
            func digest(pepper: [UInt8]) -> String {
                let key = HKDF<SHA256>.deriveKey(
                    inputKeyMaterial: SymmetricKey(data: pepper), info: Array("gatehouse token digest v1".utf8),
                    outputByteCount: 32)
                let mac = HMAC<SHA256>.authenticationCode(
                    for: Array(("profile-pin\u{0}" + first.id + "\u{0}4821").utf8), using: key)
                return "k1:" + mac.map { String(format: "%02x", $0) }.joined()
            }
            #expect(digest(pepper: Array(hub.environment.keyring.peppers[0].material)) == stored)
            #expect(digest(pepper: Array(Keyring.generate().peppers[0].material)) != stored)
            #expect(first.hasPIN && second.hasPIN)
        }
    }

    @Test(
        "300 concurrent wrong PINs against one profile: at most the budget is evaluated; the holder is not locked out",
        arguments: Backend.allCases)
    func concurrentWrongPINs(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("quinn")
            let profile = try await Self.kid(hub, account)
            let device = try await hub.signIn("quinn").device
            let profiles = hub.services.profiles
            let outcomes = await concurrently(0..<300, refusals: ProfileService.Error.self) { index in
                _ = try await profiles.switchTo(
                    profileID: profile.id, account: account, device: device, pin: Self.wrongPIN(index),
                    caller: Caller(ipAddress: "198.51.100.\(index % 250)"))
                return "switched"
            }
            let budget = ProfileService.pinPolicy.freeAttempts
            let evaluated = outcomes.filter { $0 == "wrong_pin" }.count
            #expect(outcomes.count == 300)
            #expect(evaluated <= budget, "\(evaluated) PINs evaluated")
            #expect(evaluated >= 1)
            #expect(outcomes.allSatisfy { $0 == "wrong_pin" || $0 == "throttled" }, "\(Set(outcomes))")
            let logged = try await hub.audit(account.id).filter { $0.kind == AuditEvent.Kind.profilePINFailed.rawValue }
            #expect(logged.count == evaluated)
            // Even the right PIN waits now: the budget is spent.
            await #expect(throws: ProfileService.Error.self) {
                _ = try await profiles.switchTo(
                    profileID: profile.id, account: account, device: device, pin: "4821", caller: Self.caller)
            }
            // The holder's own sign-in is untouched, and the holder clears the budget by setting a PIN.
            let fresh = try await hub.signIn("quinn", address: "203.0.113.9")
            try await profiles.setPIN(id: profile.id, account: account, pin: "7302", caller: Self.caller)
            let (_, session, _) = try await profiles.switchTo(
                profileID: profile.id, account: account, device: fresh.device, pin: "7302", caller: Self.caller)
            #expect(session.profileID == profile.id)
        }
    }

    @Test(
        "A switch hands the device over: the holder's credential dies, the profile session cannot switch back or do account actions",
        arguments: Backend.allCases)
    func switchIsAHandOver(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("rae")
            let profile = try await Self.kid(hub, account)
            let other = try await Self.kid(
                hub, account, name: "Shared TV", pin: nil, restrictions: ProfileRestrictions())
            try await DPoPTests.claimServer(hub, owner: account, id: "srv1")
            let holder = try await hub.signIn("rae")
            try await hub.withRouter { client in
                let wrong = try await client.execute(
                    uri: "/api/v1/profiles/\(profile.id)/switch", method: .post,
                    headers: JSON.bearer(holder.token.value),
                    body: JSON.body(["pin": "1111"]))
                #expect(wrong.status == .forbidden)
                #expect((JSON.object(wrong)["error"] as? [String: Any])?["code"] as? String == "wrong_pin")
                let switched = try await client.execute(
                    uri: "/api/v1/profiles/\(profile.id)/switch", method: .post,
                    headers: JSON.bearer(holder.token.value),
                    body: JSON.body(["pin": "4821"]))
                #expect(switched.status == .created)
                let token = try #require(JSON.object(switched)["token"] as? String)
                // The holder's credential on this device no longer works.
                let old = try await client.execute(
                    uri: "/api/v1/account", method: .get, headers: JSON.bearer(holder.token.value))
                #expect(old.status == .unauthorized)
                // The profile session reaches its own routes...
                let me = try await client.execute(uri: "/api/v1/profile", method: .get, headers: JSON.bearer(token))
                #expect(me.status == .ok)
                #expect((JSON.object(me)["profile"] as? [String: Any])?["id"] as? String == profile.id)
                #expect(
                    try await client.execute(uri: "/api/v1/servers", method: .get, headers: JSON.bearer(token)).status
                        == .ok)
                let media = try await client.execute(
                    uri: "/api/v1/servers/srv1/token", method: .post, headers: JSON.bearer(token))
                #expect(media.status == .ok)
                let claims = try Self.claims(try #require(JSON.object(media)["token"] as? String))
                #expect(claims["typ"] as? String == "media-profile")
                let prf = try #require(claims["prf"] as? [String: Any])
                #expect(prf["id"] as? String == profile.id && prf["max"] as? String == "PG")
                #expect(prf["sec"] as? [String] == ["Kids"])
                // ...and nothing of the account's: not reads, not changes, not a switch (back or sideways).
                for (method, uri, body) in [
                    (HTTPRequest.Method.get, "/api/v1/account", [String: Any]()),
                    (.get, "/api/v1/devices", [:]),
                    (.get, "/api/v1/security-activity", [:]),
                    (.get, "/api/v1/profiles", [:]),
                    (.post, "/api/v1/profiles", ["name": "Sneaky"]),
                    (.put, "/api/v1/profiles/\(profile.id)", ["name": "Robin", "restrictions": [String: Any]()]),
                    (.put, "/api/v1/profiles/\(profile.id)/pin", ["pin": "1234"]),
                    (.delete, "/api/v1/profiles/\(profile.id)", [:]),
                    (.post, "/api/v1/profiles/\(other.id)/switch", [:]),
                    (
                        .post, "/api/v1/account/password",
                        ["current_password": TestHub.password, "new_password": "a-whole-new-passphrase-9"]
                    ),
                    (.post, "/api/v1/account/email", ["password": TestHub.password, "new_email": "x@example.com"]),
                    (.post, "/api/v1/account/2fa/totp", [:]),
                    (.post, "/api/v1/account/app-passwords", ["name": "more", "scopes": ["media"]]),
                    (.post, "/api/v1/devices/sign-out-all", [:]),
                    (.post, "/api/v1/session/reauthenticate", ["password": TestHub.password]),
                    (.post, "/api/v1/servers/srv1/shares", ["identifier": "x", "sections": ["Movies"]]),
                    (.delete, "/api/v1/servers/srv1", [:]),
                ] {
                    let response = try await client.execute(
                        uri: uri, method: method, headers: JSON.bearer(token), body: JSON.body(body))
                    #expect(response.status == .forbidden, "\(method) \(uri)")
                    #expect(
                        (JSON.object(response)["error"] as? [String: Any])?["code"] as? String == "profile_not_allowed")
                }
                // It may sign itself out.
                #expect(
                    try await client.execute(uri: "/api/v1/session", method: .delete, headers: JSON.bearer(token))
                        .status == .noContent)
                #expect(
                    try await client.execute(uri: "/api/v1/profile", method: .get, headers: JSON.bearer(token)).status
                        == .unauthorized)
            }
            #expect(
                try await hub.audit(account.id).contains { $0.kind == AuditEvent.Kind.passwordChanged.rawValue }
                    == false)
        }
    }

    @Test(
        "The services refuse account actions under a profile session however they are reached",
        arguments: Backend.allCases)
    func servicesRefuseUnderProfile(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("sol")
            let profile = try await Self.kid(hub, account)
            let holder = try await hub.signIn("sol")
            let (_, session, _) = try await hub.services.profiles.switchTo(
                profileID: profile.id, account: account, device: holder.device, pin: "4821", caller: Self.caller)
            await CredentialScope.$profileID.withValue(profile.id) {
                await #expect(throws: ProfileService.Error.notAllowed) {
                    try await hub.services.accounts.changePassword(
                        account: account, device: session, currentPassword: TestHub.password,
                        newPassword: "a-whole-new-passphrase-9", signOutOtherDevices: true, caller: Self.caller)
                }
                await #expect(throws: ProfileService.Error.notAllowed) {
                    _ = try await hub.services.twoFactor.beginEnrollment(account: account)
                }
                await #expect(throws: ProfileService.Error.notAllowed) {
                    try await hub.services.devices.signOutAll(of: account, keepingCurrent: true, caller: Self.caller)
                }
                await #expect(throws: ProfileService.Error.notAllowed) {
                    _ = try await Self.kid(hub, account, name: "Another")
                }
                await #expect(throws: ProfileService.Error.notAllowed) {
                    try await hub.services.profiles.setPIN(
                        id: profile.id, account: account, pin: nil, caller: Self.caller)
                }
            }
            // Even outside the task-local, a profile session's device never switches.
            await #expect(throws: ProfileService.Error.notAllowed) {
                _ = try await hub.services.profiles.switchTo(
                    profileID: profile.id, account: account, device: session, pin: "4821", caller: Self.caller)
            }
        }
    }

    @Test(
        "Profile sessions are devices: listed to the holder, ended by sign-out-all, by deleting or restricting the profile",
        arguments: Backend.allCases)
    func sessionsAreDevices(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("tam")
            let profile = try await Self.kid(hub, account)
            let tv = try await hub.signIn("tam", address: "192.0.2.20")
            let (_, session, token) = try await hub.services.profiles.switchTo(
                profileID: profile.id, account: account, device: tv.device, pin: "4821", caller: Self.caller)
            let phone = try await hub.signIn("tam", address: "192.0.2.30")
            let listed = try await hub.services.devices.devices(of: account)
            #expect(
                listed.contains { $0.id == session.id && $0.profileID == profile.id && $0.info.name.contains("Robin") })
            #expect(try await hub.services.devices.authenticate(token: token.value, ipAddress: "192.0.2.20") != nil)
            let before = try await hub.store.autocommit.latestRevocationSequence()
            try await hub.services.devices.signOutAll(
                of: account, keepingCurrent: true, caller: Caller(ipAddress: "192.0.2.30", deviceID: phone.device.id))
            #expect(try await hub.services.devices.authenticate(token: token.value, ipAddress: "192.0.2.20") == nil)
            // The revocation feed media servers read names the profile session.
            let feed = try await hub.store.autocommit.revocations(after: before, limit: 10)
            #expect(feed.contains { $0.revocation.deviceIDs.contains(session.id) })
            #expect(try await hub.audit(account.id).contains { $0.kind == AuditEvent.Kind.profileSwitched.rawValue })

            // Restricting the profile further ends its sessions; so does deleting it.
            let tv2 = try await hub.signIn("tam", address: "192.0.2.21")
            let (_, _, second) = try await hub.services.profiles.switchTo(
                profileID: profile.id, account: account, device: tv2.device, pin: "4821", caller: Self.caller)
            _ = try await hub.services.profiles.update(
                id: profile.id, account: account, name: "Robin",
                restrictions: ProfileRestrictions(sections: ["Kids"], maxRating: "G"), caller: Self.caller)
            #expect(try await hub.services.devices.authenticate(token: second.value, ipAddress: "192.0.2.21") == nil)
            let tv3 = try await hub.signIn("tam", address: "192.0.2.22")
            let (_, _, third) = try await hub.services.profiles.switchTo(
                profileID: profile.id, account: account, device: tv3.device, pin: "4821", caller: Self.caller)
            try await hub.services.profiles.delete(id: profile.id, account: account, caller: Self.caller)
            #expect(try await hub.services.devices.authenticate(token: third.value, ipAddress: "192.0.2.22") == nil)
            #expect(try await hub.services.profiles.list(account: account).isEmpty)
        }
    }

    @Test("\"This wasn't me\" locks the account and ends its profile sessions too", arguments: Backend.allCases)
    func lockEndsProfileSessions(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("uli")
            let profile = try await Self.kid(hub, account)
            _ = try await hub.signIn("uli")
            let tv = try await hub.signIn("uli", address: "203.0.113.40")
            let (_, _, token) = try await hub.services.profiles.switchTo(
                profileID: profile.id, account: account, device: tv.device, pin: "4821", caller: Self.caller)
            #expect(try await hub.services.devices.authenticate(token: token.value, ipAddress: "203.0.113.40") != nil)
            let link = try await LockdownTests.lockLink(hub, account.email, subject: "New sign-in")
            _ = try await hub.services.lockdown.lock(token: link, caller: Self.caller)
            #expect(try await hub.services.devices.authenticate(token: token.value, ipAddress: "203.0.113.40") == nil)
        }
    }

    @Test("Only the caller's own profiles exist for them; bad input is a clear 422", arguments: Backend.allCases)
    func addressingAndValidation(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let alice = try await hub.makeAccount("uma")
            try await hub.makeAccount("vic")
            let theirs = try await Self.kid(hub, alice)
            let mallory = try await hub.signIn("vic")
            try await hub.withRouter { client in
                // Another account's profile and a made-up id answer alike.
                var bodies: [String] = []
                for id in [theirs.id, "prf_doesnotexist000000000000000"] {
                    let response = try await client.execute(
                        uri: "/api/v1/profiles/\(id)/switch", method: .post, headers: JSON.bearer(mallory.token.value),
                        body: JSON.body(["pin": "4821"]))
                    #expect(response.status == .notFound)
                    bodies.append(JSON.sansRequestID(response))
                }
                #expect(bodies[0] == bodies[1])
                for body in [
                    ["name": "", "pin": "1234"], ["name": "Kid", "pin": "12"], ["name": "Kid", "pin": "12345678"],
                    ["name": "Kid", "pin": "12a4"], ["name": "Kid", "restrictions": ["max_rating": "PG-21"]],
                    ["name": String(repeating: "x", count: 41)],
                    ["name": "Kid", "restrictions": ["sections": Array(repeating: "s", count: 51)]],
                ] as [[String: Any]] {
                    let response = try await client.execute(
                        uri: "/api/v1/profiles", method: .post, headers: JSON.bearer(mallory.token.value),
                        body: JSON.body(body))
                    #expect(response.status == .unprocessableContent, "\(body)")
                }
                let bad = try await client.execute(
                    uri: "/api/v1/profiles", method: .post, headers: JSON.bearer(mallory.token.value),
                    body: ByteBuffer(string: "{\"name\": 5"))
                #expect(bad.status == .badRequest)
                let created = try await client.execute(
                    uri: "/api/v1/profiles", method: .post, headers: JSON.bearer(mallory.token.value),
                    body: JSON.body([
                        "name": "Kid", "pin": "0042",
                        "restrictions": ["max_rating": "pg13", "blocked_labels": ["horror"]],
                    ]))
                #expect(created.status == .created)
                let restrictions = JSON.object(created)["restrictions"] as? [String: Any]
                #expect(restrictions?["max_rating"] as? String == "PG-13")
                #expect(JSON.object(created)["has_pin"] as? Bool == true)
            }
        }
    }

    @Test("A friend's profile gets only the shared sections it is allowed", arguments: Backend.allCases)
    func friendProfileSections(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let owner = try await hub.makeAccount("wren")
            let friend = try await hub.makeAccount("xan")
            try await DPoPTests.claimServer(hub, owner: owner, id: "srv2")
            try await hub.services.servers.share(
                serverID: "srv2", sections: ["Kids", "Movies"], with: "xan", by: owner,
                device: try await hub.signIn("wren").device, caller: Self.caller)
            try await hub.services.servers.acceptShare(serverID: "srv2", by: friend, caller: Self.caller)
            let kid = try await Self.kid(
                hub, friend, restrictions: ProfileRestrictions(sections: ["Kids", "Anime"], maxRating: "TV-Y7"))
            let device = try await hub.signIn("xan").device
            let (_, session, _) = try await hub.services.profiles.switchTo(
                profileID: kid.id, account: friend, device: device, pin: "4821", caller: Self.caller)
            let token = try await hub.services.servers.accessToken(serverID: "srv2", account: friend, device: session)
            let claims = try Self.claims(token.token)
            #expect(claims["sec"] as? [String] == ["Kids"])
            #expect(claims["own"] as? Bool == false)
            #expect((claims["prf"] as? [String: Any])?["max"] as? String == "TV-Y7")
            // The holder's own token is unchanged: no profile claim, plain type.
            let holder = try await hub.signIn("xan").device
            let plain = try Self.claims(
                try await hub.services.servers.accessToken(serverID: "srv2", account: friend, device: holder).token)
            #expect(plain["typ"] as? String == "media" && plain["prf"] == nil)
        }
    }
}
