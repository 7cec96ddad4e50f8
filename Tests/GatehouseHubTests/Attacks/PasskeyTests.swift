import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import WebAuthn

@testable import GatehouseHub

/// Passkeys through the API, on both databases, with a software authenticator. Each spec is named after the attack
/// it stops.
@Suite("Attacks: passkeys")
struct PasskeyTests {
    static let genericFailure = "invalid_credentials"

    /// Adds `passkey` to the signed-in device's account through the API; returns the finishing answer.
    @discardableResult
    static func addPasskey(
        _ client: any TestClientProtocol, token: String, _ passkey: TestPasskey, name: String = "Laptop",
        origin: String = TestPasskey.origin
    ) async throws -> TestResponse {
        let options = try await client.execute(
            uri: "/api/v1/account/passkeys/options", method: .post, headers: JSON.bearer(token), body: JSON.body([:]))
        guard options.status == .ok else { return options }
        let ceremony = JSON.object(options)
        guard let id = ceremony["challenge_id"] as? String, let publicKey = ceremony["public_key"] as? [String: Any]
        else { throw TestFailure("no ceremony in \(String(buffer: options.body))") }
        return try await client.execute(
            uri: "/api/v1/account/passkeys", method: .post, headers: JSON.bearer(token),
            body: JSON.body([
                "challenge_id": id, "name": name, "credential": try passkey.register(publicKey, origin: origin),
            ]))
    }

    /// A sign-in ceremony's options.
    static func signInOptions(_ client: any TestClientProtocol) async throws -> (id: String, publicKey: [String: Any]) {
        let response = try await client.execute(
            uri: "/api/v1/sessions/passkey/options", method: .post, headers: JSON.headers, body: JSON.body([:]))
        let ceremony = JSON.object(response)
        guard response.status == .ok, let id = ceremony["challenge_id"] as? String,
            let publicKey = ceremony["public_key"] as? [String: Any]
        else { throw TestFailure("no sign-in ceremony: \(String(buffer: response.body))") }
        return (id, publicKey)
    }

    static func finishSignIn(_ client: any TestClientProtocol, challengeID: String, credential: [String: Any])
        async throws -> TestResponse
    {
        try await client.execute(
            uri: "/api/v1/sessions/passkey", method: .post, headers: JSON.headers,
            body: JSON.body(["challenge_id": challengeID, "credential": credential, "device": ["name": "phone"]]))
    }

    static func errorCode(_ response: TestResponse) -> String? {
        (JSON.object(response)["error"] as? [String: Any])?["code"] as? String
    }

    @Test("a passkey registers and signs in alone: the same answer as a password sign-in", arguments: Backend.allCases)
    func passkeyRegistersAndSignsInWithoutAPassword(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("alice")
            let token = try await hub.signIn("alice").token.value
            let passkey = TestPasskey()
            try await hub.withRouter { client in
                let added = try await Self.addPasskey(client, token: token, passkey)
                #expect(added.status == .created, "\(String(buffer: added.body))")
                #expect(JSON.object(added)["id"] as? String == passkey.credentialIdText)

                let listed = try await client.execute(
                    uri: "/api/v1/account/passkeys", method: .get, headers: JSON.bearer(token))
                let list =
                    (try? JSONSerialization.jsonObject(with: Data(listed.body.readableBytesView))) as? [[String: Any]]
                #expect(list?.count == 1)
                #expect(list?.first?["name"] as? String == "Laptop")

                let (id, options) = try await Self.signInOptions(client)
                #expect((options["allowCredentials"] as? [Any])?.isEmpty == true)
                #expect(options["userVerification"] as? String == "required")
                let signedIn = try await Self.finishSignIn(
                    client, challengeID: id, credential: try passkey.assert(options))
                #expect(signedIn.status == .created, "\(String(buffer: signedIn.body))")
                let body = JSON.object(signedIn)
                #expect((body["token"] as? String)?.hasPrefix("ghd_") == true)
                #expect((body["known_device_token"] as? String)?.hasPrefix("ghk_") == true)
                #expect((body["account"] as? [String: Any])?["id"] as? String == account.id)

                // The new credential works.
                if let newToken = body["token"] as? String {
                    let me = try await client.execute(
                        uri: "/api/v1/account", method: .get, headers: JSON.bearer(newToken))
                    #expect(me.status == .ok)
                }
            }
            let mail = try await hub.mail(to: "alice@example.com")
            #expect(mail.contains { $0.subject.contains("A passkey was added") })
            #expect(mail.filter { $0.subject.contains("New sign-in") }.count >= 1)
            let log = try await hub.audit(account.id)
            #expect(log.contains { $0.kind == "passkey.added" })
            #expect(log.contains { $0.kind == "signin.succeeded" })
        }
    }

    @Test("a captured assertion replayed is refused with the generic 401", arguments: Backend.allCases)
    func replayedAssertionIsRefused(backend: Backend) async throws {
        try await withHub(backend) { hub in
            try await hub.makeAccount("alice")
            let token = try await hub.signIn("alice").token.value
            let passkey = TestPasskey()
            try await hub.withRouter { client in
                try await Self.addPasskey(client, token: token, passkey)
                let (id, options) = try await Self.signInOptions(client)
                let assertion = try passkey.assert(options)
                let first = try await Self.finishSignIn(client, challengeID: id, credential: assertion)
                #expect(first.status == .created)
                let replay = try await Self.finishSignIn(client, challengeID: id, credential: assertion)
                #expect(replay.status == .unauthorized)
                #expect(Self.errorCode(replay) == Self.genericFailure)
                // Against a fresh challenge, the old assertion's signature covers the wrong challenge.
                let (freshID, _) = try await Self.signInOptions(client)
                let onFresh = try await Self.finishSignIn(client, challengeID: freshID, credential: assertion)
                #expect(onFresh.status == .unauthorized)
                #expect(Self.errorCode(onFresh) == Self.genericFailure)
            }
        }
    }

    @Test(
        "a challenge is single use: a second, freshly signed answer to a used challenge is refused",
        arguments: Backend.allCases)
    func challengeReuseIsRefused(backend: Backend) async throws {
        try await withHub(backend) { hub in
            try await hub.makeAccount("alice")
            let token = try await hub.signIn("alice").token.value
            let passkey = TestPasskey()
            try await hub.withRouter { client in
                try await Self.addPasskey(client, token: token, passkey)
                let (id, options) = try await Self.signInOptions(client)
                #expect(
                    try await Self.finishSignIn(client, challengeID: id, credential: passkey.assert(options)).status
                        == .created)
                let again = try await Self.finishSignIn(client, challengeID: id, credential: passkey.assert(options))
                #expect(again.status == .unauthorized)
                #expect(Self.errorCode(again) == Self.genericFailure)

                // A registration challenge is single use too, and is not a sign-in challenge.
                let regOptions = try await client.execute(
                    uri: "/api/v1/account/passkeys/options", method: .post, headers: JSON.bearer(token),
                    body: JSON.body([:]))
                let ceremony = JSON.object(regOptions)
                let regID = ceremony["challenge_id"] as? String ?? ""
                let publicKey = ceremony["public_key"] as? [String: Any] ?? [:]
                let crossPurpose = try await Self.finishSignIn(
                    client, challengeID: regID, credential: passkey.assert(publicKey))
                #expect(crossPurpose.status == .unauthorized)
                let second = TestPasskey()
                let used = try await client.execute(
                    uri: "/api/v1/account/passkeys", method: .post, headers: JSON.bearer(token),
                    body: JSON.body(["challenge_id": regID, "name": "x", "credential": try second.register(publicKey)]))
                #expect(
                    used.status == .created, "the cross-purpose try must not consume it: \(String(buffer: used.body))")
                let reused = try await client.execute(
                    uri: "/api/v1/account/passkeys", method: .post, headers: JSON.bearer(token),
                    body: JSON.body([
                        "challenge_id": regID, "name": "y", "credential": try TestPasskey().register(publicKey),
                    ]))
                #expect(reused.status == .badRequest)
                #expect(Self.errorCode(reused) == "invalid_challenge")
            }
            // An expired challenge is refused.
            try await hub.withRouter { client in
                let (id, options) = try await Self.signInOptions(client)
                hub.clock.advance(PasskeyService.challengeLifetime + 1)
                let late = try await Self.finishSignIn(
                    client, challengeID: id, credential: TestPasskey().assert(options))
                #expect(late.status == .unauthorized)
            }
        }
    }

    @Test(
        "a phishing origin gets nothing: assertions and registrations from another origin are refused",
        arguments: Backend.allCases)
    func wrongOriginIsRefused(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("alice")
            let token = try await hub.signIn("alice").token.value
            let passkey = TestPasskey()
            try await hub.withRouter { client in
                let phished = try await Self.addPasskey(
                    client, token: token, TestPasskey(), origin: "http://hub.test.evil.example")
                #expect(phished.status == .badRequest)
                #expect(Self.errorCode(phished) == "passkey_refused")

                try await Self.addPasskey(client, token: token, passkey)
                let (id, options) = try await Self.signInOptions(client)
                let response = try await Self.finishSignIn(
                    client, challengeID: id, credential: passkey.assert(options, origin: "https://evil.example"))
                #expect(response.status == .unauthorized)
                #expect(Self.errorCode(response) == Self.genericFailure)
            }
            let log = try await hub.audit(account.id)
            #expect(log.contains { $0.kind == "signin.failed" && $0.detail.contains("origin") })
        }
    }

    @Test("an unknown passkey and a bad signature answer exactly like a wrong password", arguments: Backend.allCases)
    func unknownPasskeyLooksLikeAWrongPassword(backend: Backend) async throws {
        try await withHub(backend) { hub in
            try await hub.makeAccount("alice")
            try await hub.withRouter { client in
                let wrongPassword = try await client.execute(
                    uri: "/api/v1/sessions", method: .post, headers: JSON.headers,
                    body: JSON.body(["identifier": "alice", "password": "not-the-password"]))
                let (id, options) = try await Self.signInOptions(client)
                let unknown = try await Self.finishSignIn(
                    client, challengeID: id, credential: TestPasskey().assert(options))
                #expect(unknown.status == wrongPassword.status)
                #expect(JSON.sansRequestID(unknown) == JSON.sansRequestID(wrongPassword))
                let garbage = try await client.execute(
                    uri: "/api/v1/sessions/passkey", method: .post, headers: JSON.headers,
                    body: JSON.body([
                        "challenge_id": "ghw_nope",
                        "credential": [
                            "id": "!!", "rawId": "!!", "type": "public-key",
                            "response": ["clientDataJSON": "", "authenticatorData": "", "signature": ""],
                        ],
                    ]))
                #expect(garbage.status == .unauthorized)
                let malformed = try await client.execute(
                    uri: "/api/v1/sessions/passkey", method: .post, headers: JSON.headers,
                    body: JSON.body(["challenge_id": 3]))
                #expect(malformed.status.code < 500)
            }
        }
    }

    @Test("another account's passkey cannot re-authenticate a stolen session", arguments: Backend.allCases)
    func anotherAccountsPasskeyCannotReauthenticate(backend: Backend) async throws {
        try await withHub(backend) { hub in
            try await hub.makeAccount("alice")
            let bob = try await hub.makeAccount("bob")
            let aliceToken = try await hub.signIn("alice").token.value
            let bobToken = try await hub.signIn("bob").token.value
            let alicePasskey = TestPasskey()
            let bobPasskey = TestPasskey()
            try await hub.withRouter { client in
                try await Self.addPasskey(client, token: aliceToken, alicePasskey)
                try await Self.addPasskey(client, token: bobToken, bobPasskey)
            }
            // Bob's session goes stale; an attacker holding Alice's passkey tries to lift it into sudo mode.
            hub.clock.advance(hub.environment.settings.reauthenticationWindow + 60)
            try await hub.withRouter { client in
                let optionsResponse = try await client.execute(
                    uri: "/api/v1/session/reauthenticate/passkey/options", method: .post,
                    headers: JSON.bearer(bobToken),
                    body: JSON.body([:]))
                #expect(optionsResponse.status == .ok)
                let ceremony = JSON.object(optionsResponse)
                let id = ceremony["challenge_id"] as? String ?? ""
                let options = ceremony["public_key"] as? [String: Any] ?? [:]
                let allowed = (options["allowCredentials"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
                #expect(allowed == [bobPasskey.credentialIdText])
                let foreign = try await client.execute(
                    uri: "/api/v1/session/reauthenticate/passkey", method: .post, headers: JSON.bearer(bobToken),
                    body: JSON.body(["challenge_id": id, "credential": try alicePasskey.assert(options)]))
                #expect(foreign.status == .unauthorized)
                #expect(Self.errorCode(foreign) == Self.genericFailure)
                // Still no sudo mode for Bob's device.
                let stillLocked = try await Self.addPasskey(client, token: bobToken, TestPasskey())
                #expect(stillLocked.status == .forbidden)

                // Alice's own challenge cannot be spent on Bob's device either, and Bob's own passkey works.
                let ownResponse = try await client.execute(
                    uri: "/api/v1/session/reauthenticate/passkey/options", method: .post,
                    headers: JSON.bearer(bobToken), body: JSON.body([:]))
                let ownCeremony = JSON.object(ownResponse)
                let ownID = ownCeremony["challenge_id"] as? String ?? ""
                let ownOptions = ownCeremony["public_key"] as? [String: Any] ?? [:]
                let own = try await client.execute(
                    uri: "/api/v1/session/reauthenticate/passkey", method: .post, headers: JSON.bearer(bobToken),
                    body: JSON.body(["challenge_id": ownID, "credential": try bobPasskey.assert(ownOptions)]))
                #expect(own.status == .ok, "\(String(buffer: own.body))")
                let unlocked = try await Self.addPasskey(client, token: bobToken, TestPasskey(), name: "Second")
                #expect(unlocked.status == .created)
            }
            let log = try await hub.audit(bob.id)
            #expect(log.contains { $0.kind == "signin.failed" && $0.detail.contains("another account") })
            #expect(log.contains { $0.kind == "sudo.granted" })
        }
    }

    @Test(
        "a cloned passkey (its counter going backwards) is logged and mailed to the owner", arguments: Backend.allCases)
    func signCountRegressionIsFlagged(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("alice")
            let token = try await hub.signIn("alice").token.value
            let passkey = TestPasskey()
            try await hub.withRouter { client in
                try await Self.addPasskey(client, token: token, passkey)
                var (id, options) = try await Self.signInOptions(client)
                #expect(
                    try await Self.finishSignIn(client, challengeID: id, credential: passkey.assert(options, count: 10))
                        .status == .created)
                (id, options) = try await Self.signInOptions(client)
                let clone = try await Self.finishSignIn(
                    client, challengeID: id, credential: passkey.assert(options, count: 4))
                #expect(clone.status == .created)
            }
            let log = try await hub.audit(account.id)
            #expect(log.contains { $0.kind == "passkey.possible_clone" && $0.detail.contains("counter 4 after 10") })
            let mail = try await hub.mail(to: "alice@example.com")
            #expect(mail.contains { $0.subject.contains("may have been copied") })
            // The stored counter is not lowered by the clone.
            let stored = try await hub.store.autocommit.passkey(credentialID: passkey.credentialIdText)
            #expect(stored?.signCount == 10)
        }
    }

    @Test(
        "a copied database holds only public keys: no form of the authenticator's private key is stored",
        arguments: Backend.allCases)
    func databaseHoldsOnlyPublicKeys(backend: Backend) async throws {
        try await withHub(backend) { hub in
            try await hub.makeAccount("alice")
            let token = try await hub.signIn("alice").token.value
            let passkey = TestPasskey()
            try await hub.withRouter { client in
                try await Self.addPasskey(client, token: token, passkey)
                let (id, options) = try await Self.signInOptions(client)
                #expect(
                    try await Self.finishSignIn(client, challengeID: id, credential: passkey.assert(options)).status
                        == .created)
            }
            let rows = try await hub.store.rawRows("SELECT * FROM passkeys")
            #expect(rows.count == 1)
            let dump = rows.joined(separator: "\n")
            for form in passkey.privateKeyForms { #expect(!dump.contains(form)) }
            // Not even the raw scalar in any column's decoded bytes.
            let raw = passkey.rawPrivateKey
            for cell in rows.flatMap({ $0.split(separator: "|").map(String.init) }) {
                for bytes in [Array(cell.utf8), Encoding.bytes(base64URL: cell) ?? []] where bytes.count >= raw.count {
                    #expect(!Self.contains(bytes, raw))
                }
            }
            #expect(dump.contains(passkey.credentialIdText))
        }
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        for start in 0...(haystack.count - needle.count) where Array(haystack[start..<start + needle.count]) == needle {
            return true
        }
        return false
    }

    @Test("a passkey-only account refuses its right password exactly like a wrong one", arguments: Backend.allCases)
    func passkeyOnlyAccountRefusesPasswordLikeAWrongPassword(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("alice")
            let token = try await hub.signIn("alice").token.value
            let passkey = TestPasskey()
            try await hub.withRouter { client in
                let early = try await client.execute(
                    uri: "/api/v1/account/passkey-only", method: .put, headers: JSON.bearer(token),
                    body: JSON.body(["enabled": true]))
                #expect(early.status == .conflict, "no passkey yet")
                try await Self.addPasskey(client, token: token, passkey)
                let on = try await client.execute(
                    uri: "/api/v1/account/passkey-only", method: .put, headers: JSON.bearer(token),
                    body: JSON.body(["enabled": true]))
                #expect(on.status == .ok)
                let right = try await client.execute(
                    uri: "/api/v1/sessions", method: .post, headers: JSON.headers,
                    body: JSON.body(["identifier": "alice", "password": TestHub.password]))
                let wrong = try await client.execute(
                    uri: "/api/v1/sessions", method: .post, headers: JSON.headers,
                    body: JSON.body(["identifier": "alice", "password": "not-the-password"]))
                #expect(right.status == .unauthorized)
                #expect(JSON.sansRequestID(right) == JSON.sansRequestID(wrong))
                // Its last passkey stays.
                let remove = try await client.execute(
                    uri: "/api/v1/account/passkeys/\(passkey.credentialIdText)", method: .delete,
                    headers: JSON.bearer(token))
                #expect(remove.status == .conflict)
                // The passkey still signs in.
                let (id, options) = try await Self.signInOptions(client)
                #expect(
                    try await Self.finishSignIn(client, challengeID: id, credential: passkey.assert(options)).status
                        == .created)
            }
            let log = try await hub.audit(account.id)
            #expect(log.contains { $0.kind == "signin.failed" && $0.detail.contains("passkey required") })
        }
    }

    @Test(
        "with --admin-credential passkey an admin's password does not sign in; a passkey does",
        arguments: Backend.allCases)
    func adminsMustSignInWithAPasskey(backend: Backend) async throws {
        try await withHub(backend, configure: { $0.adminsNeedPasskey = true }) { hub in
            guard
                var admin = try await hub.services.accounts.register(
                    username: "root", email: "root@example.com", password: TestHub.password,
                    caller: Caller(ipAddress: "operator"), role: .admin)
            else { throw TestFailure("no admin") }
            admin.isEmailVerified = true
            try await hub.store.autocommit.updateAccount(admin)
            try await hub.makeAccount("alice")
            try await hub.withRouter { client in
                let right = try await client.execute(
                    uri: "/api/v1/sessions", method: .post, headers: JSON.headers,
                    body: JSON.body(["identifier": "root", "password": TestHub.password]))
                let wrong = try await client.execute(
                    uri: "/api/v1/sessions", method: .post, headers: JSON.headers,
                    body: JSON.body(["identifier": "root", "password": "not-the-password"]))
                #expect(right.status == .unauthorized)
                #expect(JSON.sansRequestID(right) == JSON.sansRequestID(wrong))
                // People who are not admins still use passwords.
                let alice = try await client.execute(
                    uri: "/api/v1/sessions", method: .post, headers: JSON.headers,
                    body: JSON.body(["identifier": "alice", "password": TestHub.password]))
                #expect(alice.status == .created)
            }
            // An admin enrolled a passkey (through the operator path here) signs in with it.
            let passkey = TestPasskey()
            let device = Device(
                id: "d", accountID: admin.id, kind: .api, info: TestHub.info("root"), ipAddress: "x",
                createdAt: hub.clock.now(), lastSeenAt: hub.clock.now(), reauthenticatedAt: hub.clock.now())
            let ceremony = try await hub.services.passkeys.registrationOptions(account: admin, device: device)
            let options = try TestPasskey.dictionary(ceremony.options)
            let credential = try JSONDecoder().decode(
                RegistrationResponseJSON.self,
                from: JSONSerialization.data(withJSONObject: try passkey.register(options)))
            _ = try await hub.services.passkeys.register(
                account: admin, device: device, challengeID: ceremony.challengeID, name: "Key",
                credential: credential, caller: Caller(ipAddress: "operator"))
            try await hub.withRouter { client in
                let (id, options) = try await Self.signInOptions(client)
                let response = try await Self.finishSignIn(client, challengeID: id, credential: passkey.assert(options))
                #expect(response.status == .created)
                #expect(((JSON.object(response)["account"] as? [String: Any])?["role"] as? String) == "admin")
            }
        }
    }

    @Test(
        "a hijacked stale session cannot add or remove passkeys without re-authenticating", arguments: Backend.allCases)
    func passkeyChangesNeedRecentReauthentication(backend: Backend) async throws {
        try await withHub(backend) { hub in
            try await hub.makeAccount("alice")
            let token = try await hub.signIn("alice").token.value
            let passkey = TestPasskey()
            try await hub.withRouter { client in
                try await Self.addPasskey(client, token: token, passkey)
            }
            hub.clock.advance(hub.environment.settings.reauthenticationWindow + 60)
            try await hub.withRouter { client in
                let add = try await Self.addPasskey(client, token: token, TestPasskey())
                #expect(add.status == .forbidden)
                let remove = try await client.execute(
                    uri: "/api/v1/account/passkeys/\(passkey.credentialIdText)", method: .delete,
                    headers: JSON.bearer(token))
                #expect(remove.status == .forbidden)
                let reauth = try await client.execute(
                    uri: "/api/v1/session/reauthenticate", method: .post, headers: JSON.bearer(token),
                    body: JSON.body(["password": TestHub.password]))
                #expect(reauth.status == .ok)
                let removed = try await client.execute(
                    uri: "/api/v1/account/passkeys/\(passkey.credentialIdText)", method: .delete,
                    headers: JSON.bearer(token))
                #expect(removed.status == .noContent)
                let (id, options) = try await Self.signInOptions(client)
                let gone = try await Self.finishSignIn(client, challengeID: id, credential: passkey.assert(options))
                #expect(gone.status == .unauthorized)
            }
            let mail = try await hub.mail(to: "alice@example.com")
            #expect(mail.contains { $0.subject.contains("A passkey was removed") })
        }
    }
}

@Suite("Attacks: passkey-only recovery")
struct PasskeyRecoveryTests {
    @Test("a mailbox thief cannot reset a passkey-only account with the mailed link alone", arguments: Backend.allCases)
    func passkeyOnlyResetNeedsARecoveryCode(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("alice")
            let token = try await hub.signIn("alice").token.value
            let enrollment = try await hub.services.twoFactor.beginEnrollment(account: account)
            let totp = TOTP(secret: try #require(Base32.decode(enrollment.secretBase32)))
            let codes = try await hub.services.twoFactor.confirmEnrollment(
                account: account, code: totp.code(step: totp.step(at: hub.clock.now())), caller: Caller(ipAddress: "x"))
            try await hub.withRouter { client in
                try await PasskeyTests.addPasskey(client, token: token, TestPasskey())
                let on = try await client.execute(
                    uri: "/api/v1/account/passkey-only", method: .put, headers: JSON.bearer(token),
                    body: JSON.body(["enabled": true]))
                #expect(on.status == .ok)
            }
            try await hub.services.recovery.processResetRequest(
                identifier: "alice", caller: Caller(ipAddress: "192.0.2.9"))
            let link = try await hub.token(in: "alice@example.com", subject: "Reset", prefix: "ghr")
            let newPassword = "quartz-fennel-harbour-77"
            try await hub.withRouter { client in
                let alone = try await client.execute(
                    uri: "/api/v1/password-reset/confirm", method: .post, headers: JSON.headers,
                    body: JSON.body(["token": link, "new_password": newPassword]))
                #expect(alone.status == .forbidden)
                #expect(PasskeyTests.errorCode(alone) == "recovery_code_required")
                let wrongCode = try await client.execute(
                    uri: "/api/v1/password-reset/confirm", method: .post, headers: JSON.headers,
                    body: JSON.body(["token": link, "new_password": newPassword, "recovery_code": "aaaaa-bbbbb"]))
                #expect(wrongCode.status == .forbidden)
                // Still passkey only: the old password is refused.
                #expect(try await hub.services.passkeys.isPasskeyOnly(account))
                let both = try await client.execute(
                    uri: "/api/v1/password-reset/confirm", method: .post, headers: JSON.headers,
                    body: JSON.body(["token": link, "new_password": newPassword, "recovery_code": codes[0]]))
                #expect(both.status == .ok, "\(String(buffer: both.body))")
                let signIn = try await client.execute(
                    uri: "/api/v1/sessions", method: .post, headers: JSON.headers,
                    body: JSON.body(["identifier": "alice", "password": newPassword]))
                #expect(signIn.status == .ok || signIn.status == .created)
            }
            #expect(try await hub.services.passkeys.isPasskeyOnly(account) == false)
        }
    }
}

@Suite("Attacks: passkey persistence after a takeover")
struct PasskeyTakeoverTests {
    @Test("an intruder's passkey does not survive the owner undoing an e-mail takeover", arguments: Backend.allCases)
    func intrudersPasskeyDiesWithTheEmailRevert(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let victim = try await hub.makeAccount("gail")
            let stolen = try await hub.signIn("gail")
            let intruderKey = TestPasskey()
            try await hub.withRouter { client in
                let added = try await PasskeyTests.addPasskey(
                    client, token: stolen.token.value, intruderKey, name: "mine")
                #expect(added.status == .created)
            }
            let services = hub.services
            try await services.accounts.changeEmail(
                account: victim, device: stolen.device, password: TestHub.password, newEmail: "thief@evil.example",
                caller: Caller(ipAddress: "198.51.100.66", deviceID: stolen.device.id))
            let confirm = try await hub.token(in: "thief@evil.example", subject: "Confirm", prefix: "ghv")
            _ = try await services.accounts.verifyEmail(token: confirm, caller: Caller(ipAddress: "198.51.100.66"))
            let revert = try await hub.token(in: "gail@example.com", subject: "address was changed", prefix: "ghe")
            try await services.accounts.revertEmailChange(token: revert, caller: Caller(ipAddress: "192.0.2.7"))
            #expect(try await services.passkeys.passkeys(of: victim).isEmpty)
            try await hub.withRouter { client in
                let (id, options) = try await PasskeyTests.signInOptions(client)
                let response = try await PasskeyTests.finishSignIn(
                    client, challengeID: id, credential: intruderKey.assert(options))
                #expect(response.status == .unauthorized)
            }
        }
    }
}

@Suite("Attacks: passkey pages")
struct PasskeyPageTests {
    @Test(
        "another site cannot drive the pages' passkey ceremonies (origin and CSRF checked)", arguments: Backend.allCases
    )
    func crossSitePasskeyCeremoniesAreRefused(backend: Backend) async throws {
        try await withHub(backend) { hub in
            try await hub.withRouter { client in
                let form: HTTPFields = [
                    .contentType: "application/x-www-form-urlencoded", .origin: "https://evil.example",
                ]
                for path in ["/sign-in/passkey/options", "/sign-in/passkey"] {
                    let foreign = try await client.execute(
                        uri: path, method: .post, headers: form, body: ByteBuffer(string: "csrf=x"))
                    #expect(foreign.status == .forbidden, "\(path)")
                    let noToken = try await client.execute(
                        uri: path, method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                        body: ByteBuffer(string: "challenge_id=x"))
                    #expect(noToken.status == .forbidden, "\(path)")
                }
                let script = try await client.execute(uri: "/static/passkeys.js", method: .get)
                #expect(script.status == .ok)
                #expect(script.headers[.contentType]?.hasPrefix("text/javascript") == true)
            }
        }
    }
}

@Suite("Attacks: passkey challenge flood")
struct PasskeyChallengeFloodTests {
    @Test(
        "anonymous sign-in challenges cannot pile up: 20 live per address, expired ones purged",
        arguments: Backend.allCases)
    func signInChallengesAreBounded(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let caller = Caller(ipAddress: "203.0.113.5")
            for _ in 0..<60 { _ = try await hub.services.passkeys.signInOptions(caller: caller) }
            _ = try await hub.services.passkeys.signInOptions(caller: Caller(ipAddress: "203.0.113.6"))
            let live = try await hub.store.rawRows(
                "SELECT digest FROM one_time_tokens WHERE purpose = 'passkey_signin'")
            #expect(live.count == PasskeyService.liveSignInChallengesPerAddress + 1)
            hub.clock.advance(PasskeyService.challengeLifetime + 1)
            #expect(try await hub.services.passkeys.purgeExpiredChallenges() == live.count)
            let left = try await hub.store.rawRows(
                "SELECT digest FROM one_time_tokens WHERE purpose = 'passkey_signin'")
            #expect(left.isEmpty)
        }
    }
}

@Suite("Attacks: passkey-only sudo mode")
struct PasskeyOnlySudoTests {
    @Test(
        "a stolen session plus a leaked password gets no sudo mode on a passkey-only account; the passkey does",
        arguments: Backend.allCases)
    func leakedPasswordGivesNoSudoOnPasskeyOnlyAccount(backend: Backend) async throws {
        try await withHub(backend) { hub in
            try await hub.makeAccount("alice")
            let token = try await hub.signIn("alice").token.value
            let passkey = TestPasskey()
            try await hub.withRouter { client in
                try await PasskeyTests.addPasskey(client, token: token, passkey)
                _ = try await client.execute(
                    uri: "/api/v1/account/passkey-only", method: .put, headers: JSON.bearer(token),
                    body: JSON.body(["enabled": true]))
            }
            hub.clock.advance(hub.environment.settings.reauthenticationWindow + 60)
            try await hub.withRouter { client in
                let right = try await client.execute(
                    uri: "/api/v1/session/reauthenticate", method: .post, headers: JSON.bearer(token),
                    body: JSON.body(["password": TestHub.password]))
                let wrong = try await client.execute(
                    uri: "/api/v1/session/reauthenticate", method: .post, headers: JSON.bearer(token),
                    body: JSON.body(["password": "not-the-password"]))
                #expect(right.status == .unauthorized)
                #expect(JSON.sansRequestID(right) == JSON.sansRequestID(wrong))
                let locked = try await client.execute(
                    uri: "/api/v1/account/passkey-only", method: .put, headers: JSON.bearer(token),
                    body: JSON.body(["enabled": false]))
                #expect(locked.status == .forbidden)
                let emailChange = try await client.execute(
                    uri: "/api/v1/account/email", method: .post, headers: JSON.bearer(token),
                    body: JSON.body(["password": TestHub.password, "new_email": "thief@evil.example"]))
                #expect(emailChange.status == .forbidden)
                #expect(PasskeyTests.errorCode(emailChange) == "reauthentication_required")

                let options = try await client.execute(
                    uri: "/api/v1/session/reauthenticate/passkey/options", method: .post, headers: JSON.bearer(token),
                    body: JSON.body([:]))
                let ceremony = JSON.object(options)
                let confirmed = try await client.execute(
                    uri: "/api/v1/session/reauthenticate/passkey", method: .post, headers: JSON.bearer(token),
                    body: JSON.body([
                        "challenge_id": ceremony["challenge_id"] as? String ?? "",
                        "credential": try passkey.assert(ceremony["public_key"] as? [String: Any] ?? [:]),
                    ]))
                #expect(confirmed.status == .ok)
                let off = try await client.execute(
                    uri: "/api/v1/account/passkey-only", method: .put, headers: JSON.bearer(token),
                    body: JSON.body(["enabled": false]))
                #expect(off.status == .ok)
            }
        }
    }
}
