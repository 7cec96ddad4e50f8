import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import GatehouseHub

/// App passwords on both databases: scopes, the rules the services enforce, revocation, and guessing.
@Suite("App passwords")
struct AppPasswordTests {
    static func basic(_ identifier: String, _ secret: String) -> HTTPFields {
        [
            .contentType: "application/json",
            .authorization: "Basic " + Data((identifier + ":" + secret).utf8).base64EncodedString(),
        ]
    }

    static func create(_ hub: TestHub, _ signedIn: SignedIn, scopes: [AppPassword.Scope]) async throws -> String {
        try await hub.services.appPasswords.create(
            account: signedIn.account, device: signedIn.device, name: "player", scopes: scopes, lifetimeDays: nil,
            caller: Caller(ipAddress: "192.0.2.10")
        ).1.value
    }

    @Test(
        "Creation needs a recent re-authentication; the secret is stored keyed; default lifetime one year",
        arguments: Backend.allCases)
    func creationRules(backend: Backend) async throws {
        try await withHub(backend) { hub in
            try await hub.makeAccount("kim")
            let signedIn = try await hub.signIn("kim")
            let (password, secret) = try await hub.services.appPasswords.create(
                account: signedIn.account, device: signedIn.device, name: " TV app ", scopes: [.media, .media],
                lifetimeDays: nil, caller: Caller(ipAddress: "192.0.2.10"))
            #expect(secret.value.hasPrefix("gha_"))
            #expect(password.name == "TV app" && password.scopes == [.media])
            #expect(password.expiresAt.timeIntervalSince(password.createdAt) == 365 * 86_400)
            // Found by its keyed digest, never by the secret itself.
            #expect(
                try await hub.store.autocommit.appPassword(digest: hub.environment.digest(secret.value))?.id
                    == password.id
            )
            #expect(try await hub.store.autocommit.appPassword(digest: secret.value) == nil)
            hub.clock.advance(hub.environment.settings.reauthenticationWindow + 1)
            await #expect(throws: AccountService.Error.reauthenticationRequired) {
                _ = try await Self.create(hub, signedIn, scopes: [.media])
            }
        }
    }

    @Test(
        "A media-scope app password fetches a media token and can neither read nor change the account",
        arguments: Backend.allCases)
    func mediaScope(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let owner = try await hub.makeAccount("lee")
            try await DPoPTests.claimServer(hub, owner: owner, id: "srv1")
            let secret = try await Self.create(hub, try await hub.signIn("lee"), scopes: [.media])
            try await hub.withRouter { client in
                let token = try await client.execute(
                    uri: "/api/v1/servers/srv1/token", method: .post, headers: Self.basic("lee", secret))
                #expect(token.status == .ok)
                #expect((JSON.object(token)["token"] as? String)?.hasPrefix("v1.") == true)
                #expect(
                    try await client.execute(uri: "/api/v1/servers", method: .get, headers: Self.basic("lee", secret))
                        .status == .ok)
                for (method, uri, body) in [
                    (HTTPRequest.Method.get, "/api/v1/account", [String: Any]()),
                    (.get, "/api/v1/devices", [:]),
                    (
                        .post, "/api/v1/account/password",
                        ["current_password": TestHub.password, "new_password": "a-whole-new-passphrase-9"]
                    ),
                    (.post, "/api/v1/account/email", ["password": TestHub.password, "new_email": "x@example.com"]),
                    (.post, "/api/v1/account/2fa/totp", [:]),
                    (.post, "/api/v1/account/app-passwords", ["name": "more", "scopes": ["media"]]),
                    (.post, "/api/v1/devices/sign-out-all", [:]),
                    (.post, "/api/v1/servers/srv1/shares", ["identifier": "x", "sections": ["Movies"]]),
                ] {
                    let response = try await client.execute(
                        uri: uri, method: method, headers: Self.basic("lee", secret), body: JSON.body(body))
                    #expect(response.status == .forbidden, "\(method) \(uri)")
                    #expect(
                        (JSON.object(response)["error"] as? [String: Any])?["code"] as? String
                            == "app_password_not_allowed")
                }
            }
            #expect(
                try await hub.audit(owner.id).contains { $0.kind == AuditEvent.Kind.passwordChanged.rawValue } == false)
        }
    }

    @Test(
        "account:read reads but changes nothing, and the services refuse security changes even when reached directly",
        arguments: Backend.allCases)
    func readScopeAndServiceRules(backend: Backend) async throws {
        try await withHub(backend) { hub in
            try await hub.makeAccount("max")
            let signedIn = try await hub.signIn("max")
            let secret = try await Self.create(hub, signedIn, scopes: [.accountRead])
            try await hub.withRouter { client in
                #expect(
                    try await client.execute(uri: "/api/v1/account", method: .get, headers: Self.basic("max", secret))
                        .status == .ok)
                #expect(
                    try await client.execute(
                        uri: "/api/v1/account", method: .get, headers: Self.basic("max@example.com", secret)
                    ).status == .ok)
                let token = try await client.execute(
                    uri: "/api/v1/servers/x/token", method: .post, headers: Self.basic("max", secret))
                #expect(token.status == .forbidden)
                let phrase = try await client.execute(
                    uri: "/api/v1/account/anti-phishing-phrase", method: .put, headers: Self.basic("max", secret),
                    body: JSON.body(["phrase": "x"]))
                #expect(phrase.status == .forbidden)
            }
            // The services' own rule, whatever route reaches them.
            let grant = try #require(try await hub.services.appPasswords.list(account: signedIn.account).first)
            var sudo = signedIn.device
            sudo.reauthenticatedAt = hub.clock.now()
            await CredentialScope.$appPassword.withValue(grant) {
                await #expect(throws: AppPasswordService.Error.notAllowed) {
                    try await hub.services.accounts.changePassword(
                        account: signedIn.account, device: sudo, currentPassword: TestHub.password,
                        newPassword: "another-long-passphrase-7", signOutOtherDevices: true,
                        caller: Caller(ipAddress: "192.0.2.10"))
                }
                await #expect(throws: AppPasswordService.Error.notAllowed) {
                    _ = try await hub.services.twoFactor.beginEnrollment(account: signedIn.account)
                }
                await #expect(throws: AppPasswordService.Error.notAllowed) {
                    try await hub.services.passkeys.setPasskeyOnly(
                        true, account: signedIn.account, device: sudo, caller: Caller(ipAddress: "192.0.2.10"))
                }
                await #expect(throws: AppPasswordService.Error.notAllowed) {
                    try await hub.services.servers.share(
                        serverID: "x", sections: ["a"], with: "y", by: signedIn.account, device: sudo,
                        caller: Caller(ipAddress: "192.0.2.10"))
                }
                await #expect(throws: AppPasswordService.Error.notAllowed) {
                    _ = try await hub.services.appPasswords.create(
                        account: signedIn.account, device: sudo, name: "n", scopes: [.media], lifetimeDays: nil,
                        caller: Caller(ipAddress: "192.0.2.10"))
                }
            }
        }
    }

    @Test(
        "Revoked one at a time and by sign-out-all (in the revocation log, for media servers); expired ones refused",
        arguments: Backend.allCases)
    func revocationAndExpiry(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("ned")
            let signedIn = try await hub.signIn("ned")
            let first = try await Self.create(hub, signedIn, scopes: [.accountRead])
            let second = try await Self.create(hub, signedIn, scopes: [.accountRead])
            let short = try await hub.services.appPasswords.create(
                account: signedIn.account, device: signedIn.device, name: "short", scopes: [.accountRead],
                lifetimeDays: 1, caller: Caller(ipAddress: "192.0.2.10")
            ).1.value
            let listed = try await hub.services.appPasswords.list(account: account)
            #expect(listed.count == 3)
            let caller = Caller(ipAddress: "192.0.2.10", deviceID: signedIn.device.id)
            try await hub.withRouter { client in
                #expect(
                    try await client.execute(uri: "/api/v1/account", method: .get, headers: Self.basic("ned", first))
                        .status == .ok)
                let firstID = try #require(
                    try await hub.services.appPasswords.list(account: account).first { $0.lastUsedAt != nil }?.id)
                try await hub.services.appPasswords.revoke(id: firstID, account: account, caller: caller)
                #expect(
                    try await client.execute(uri: "/api/v1/account", method: .get, headers: Self.basic("ned", first))
                        .status == .unauthorized)
                #expect(
                    try await client.execute(uri: "/api/v1/account", method: .get, headers: Self.basic("ned", second))
                        .status == .ok)
                hub.clock.advance(86_401)
                #expect(
                    try await client.execute(uri: "/api/v1/account", method: .get, headers: Self.basic("ned", short))
                        .status == .unauthorized)
                try await hub.services.devices.signOutAll(of: account, keepingCurrent: true, caller: caller)
                #expect(
                    try await client.execute(uri: "/api/v1/account", method: .get, headers: Self.basic("ned", second))
                        .status == .unauthorized)
            }
            let revoked = try await hub.store.autocommit.revocations(after: 0, limit: 100).flatMap {
                $0.revocation.deviceIDs
            }
            for password in listed { #expect(revoked.contains(password.id)) }
            #expect(try await hub.services.appPasswords.list(account: account).isEmpty)
        }
    }

    @Test(
        "300 concurrent wrong app passwords for one account pass at most the account's budget, then 429",
        arguments: Backend.allCases)
    func guessingIsThrottled(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("ola")
            let signedIn = try await hub.signIn("ola")
            let real = try await Self.create(hub, signedIn, scopes: [.accountRead])
            try await hub.withRouter { client in
                let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                    for index in 0..<300 {
                        group.addTask {
                            let guess = "gha_" + String(repeating: "A", count: 40) + String(format: "%03d", index)
                            return Int(
                                try await client.execute(
                                    uri: "/api/v1/account", method: .get, headers: Self.basic("ola", guess)
                                ).status.code)
                        }
                    }
                    var all: [Int] = []
                    for try await status in group { all.append(status) }
                    return all
                }
                #expect(statuses.allSatisfy { $0 == 401 || $0 == 429 }, "\(Set(statuses))")
                #expect(statuses.filter { $0 == 401 }.count <= ThrottlePolicy.perAccount.freeAttempts)
                // The real one is held up too while the budget is spent: guessing cannot be told from using.
                let held = try await client.execute(
                    uri: "/api/v1/account", method: .get, headers: Self.basic("ola", real))
                #expect(held.status == .tooManyRequests)
            }
            let refused = try await hub.audit(account.id).filter { $0.detail == "app password refused" }.count
            #expect(refused <= ThrottlePolicy.perAccount.freeAttempts)
        }
    }

    @Test("An unknown account and a wrong app password answer alike")
    func noEnumeration() async throws {
        try await withHub(.sqlite) { hub in
            try await hub.makeAccount("pat")
            try await hub.withRouter { client in
                let known = try await client.execute(
                    uri: "/api/v1/account", method: .get,
                    headers: Self.basic("pat", "gha_" + String(repeating: "B", count: 43)))
                let unknown = try await client.execute(
                    uri: "/api/v1/account", method: .get,
                    headers: Self.basic("nobody", "gha_" + String(repeating: "B", count: 43)))
                #expect(known.status == .unauthorized && unknown.status == .unauthorized)
                // The same error (the request id aside).
                let knownError = JSON.object(known)["error"] as? [String: Any]
                let unknownError = JSON.object(unknown)["error"] as? [String: Any]
                #expect(knownError?["code"] as? String == unknownError?["code"] as? String)
                #expect(knownError?["message"] as? String == unknownError?["message"] as? String)
                let garbage = try await client.execute(
                    uri: "/api/v1/account", method: .get, headers: [.authorization: "Basic %%%not-base64"])
                #expect(garbage.status == .unauthorized)
            }
        }
    }
}
