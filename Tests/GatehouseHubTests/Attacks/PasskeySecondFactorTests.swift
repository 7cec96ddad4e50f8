import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import GatehouseHub

/// A passkey as the second step of a password sign-in, and security mails that name the credential used. On both
/// databases, through the API, with the software authenticator.
@Suite("Attacks: passkey as second factor")
struct PasskeySecondFactorTests {
    /// Password step through the API; returns the challenge and the methods offered.
    static func passwordStep(_ client: any TestClientProtocol, _ name: String) async throws
        -> (challenge: String, methods: [String])
    {
        let response = try await client.execute(
            uri: "/api/v1/sessions", method: .post, headers: JSON.headers,
            body: JSON.body([
                "identifier": name, "password": TestHub.password,
                "device": ["name": "tablet", "client_identifier": "tablet-1"],
            ]))
        let body = JSON.object(response)
        guard let challenge = body["challenge"] as? String else {
            throw TestFailure("no second step: \(String(buffer: response.body))")
        }
        return (challenge, body["methods"] as? [String] ?? [])
    }

    static func options(_ client: any TestClientProtocol, challenge: String) async throws -> TestResponse {
        try await client.execute(
            uri: "/api/v1/sessions/second-factor/passkey/options", method: .post, headers: JSON.headers,
            body: JSON.body(["challenge": challenge]))
    }

    static func finish(
        _ client: any TestClientProtocol, challenge: String, ceremony: String, credential: [String: Any]
    ) async throws -> TestResponse {
        try await client.execute(
            uri: "/api/v1/sessions/second-factor/passkey", method: .post, headers: JSON.headers,
            body: JSON.body(["challenge": challenge, "challenge_id": ceremony, "credential": credential]))
    }

    static func ceremony(_ response: TestResponse) throws -> (id: String, publicKey: [String: Any]) {
        let body = JSON.object(response)
        guard response.status == .ok, let id = body["challenge_id"] as? String,
            let publicKey = body["public_key"] as? [String: Any]
        else { throw TestFailure("no ceremony: \(String(buffer: response.body))") }
        return (id, publicKey)
    }

    @Test(
        "password then passkey signs in; the mails name the passkey and the device that added it",
        arguments: Backend.allCases)
    func passwordThenPasskeySignsIn(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("alice")
            let token = try await hub.signIn("alice").token.value
            let passkey = TestPasskey()
            try await hub.withRouter { client in
                let added = try await PasskeyTests.addPasskey(client, token: token, passkey, name: "Phone")
                #expect(added.status == .created)
            }
            try await ConcurrentGuessingTests.enableTwoFactor(hub, account)
            hub.clock.advance(60)
            try await hub.withRouter { client in
                let (challenge, methods) = try await Self.passwordStep(client, "alice")
                #expect(methods == ["totp", "recovery_code", "passkey"])
                let (id, options) = try Self.ceremony(try await Self.options(client, challenge: challenge))
                let allowed = (options["allowCredentials"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
                #expect(allowed == [passkey.credentialIdText])
                let done = try await Self.finish(
                    client, challenge: challenge, ceremony: id, credential: try passkey.assert(options))
                #expect(done.status == .created, "\(String(buffer: done.body))")
                #expect((JSON.object(done)["token"] as? String)?.hasPrefix("ghd_") == true)
                // The sign-in challenge is spent: the same answer again gets nothing.
                let again = try await Self.finish(
                    client, challenge: challenge, ceremony: id, credential: try passkey.assert(options))
                #expect(again.status == .unauthorized)
            }
            let mail = try await hub.mail(to: "alice@example.com")
            let addedMail = try #require(mail.first { $0.subject.contains("A passkey was added") })
            #expect(addedMail.text.contains("Made from alice (tests, Linux) at "))
            #expect(addedMail.text.contains(", confirmed with the password.\n"))
            #expect(
                mail.contains {
                    $0.subject.contains("New sign-in")
                        && $0.text.contains("It signed in with the password and the passkey \u{201C}Phone\u{201D}.")
                })
            let twoFactorOn = try #require(mail.first { $0.subject.contains("Two-factor sign-in turned on") })
            #expect(!twoFactorOn.text.contains("Made from"), "an operator-side change names no device")
        }
    }

    @Test(
        "a passkey-alone sign-in and a recovery-code sign-in are named as such in the new-sign-in mail",
        arguments: Backend.allCases)
    func mailsNameTheCredentialUsed(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("bob")
            let token = try await hub.signIn("bob").token.value
            let passkey = TestPasskey()
            try await hub.withRouter { client in
                try await PasskeyTests.addPasskey(client, token: token, passkey, name: "Laptop key")
                let (id, options) = try await PasskeyTests.signInOptions(client)
                let signedIn = try await PasskeyTests.finishSignIn(
                    client, challengeID: id, credential: try passkey.assert(options))
                #expect(signedIn.status == .created)
            }
            var mail = try await hub.mail(to: "bob@example.com")
            #expect(
                mail.contains {
                    $0.subject.contains("New sign-in")
                        && $0.text.contains("It signed in with the passkey \u{201C}Laptop key\u{201D}.")
                })

            let codes = try await hub.services.twoFactor.regenerateRecoveryCodesForTest(hub, account)
            hub.clock.advance(60)
            try await hub.withRouter { client in
                let (challenge, _) = try await Self.passwordStep(client, "bob")
                let answered = try await client.execute(
                    uri: "/api/v1/sessions/second-factor", method: .post, headers: JSON.headers,
                    body: JSON.body(["challenge": challenge, "code": codes[0]]))
                #expect(answered.status == .created, "\(String(buffer: answered.body))")
            }
            mail = try await hub.mail(to: "bob@example.com")
            #expect(
                mail.contains {
                    $0.subject.contains("New sign-in")
                        && $0.text.contains("It signed in with the password and a recovery code.")
                })
        }
    }

    @Test(
        "a passkey second step needs the password's challenge, the account's own passkey and its own ceremony",
        arguments: Backend.allCases)
    func secondStepIsBoundToItsChallengeAndAccount(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let alice = try await hub.makeAccount("alice")
            let mallory = try await hub.makeAccount("mallory")
            let aliceKey = TestPasskey()
            let malloryKey = TestPasskey()
            let aliceToken = try await hub.signIn("alice").token.value
            let malloryToken = try await hub.signIn("mallory").token.value
            try await hub.withRouter { client in
                try await PasskeyTests.addPasskey(client, token: aliceToken, aliceKey)
                try await PasskeyTests.addPasskey(client, token: malloryToken, malloryKey)
            }
            try await ConcurrentGuessingTests.enableTwoFactor(hub, alice)
            try await ConcurrentGuessingTests.enableTwoFactor(hub, mallory)
            hub.clock.advance(60)
            try await hub.withRouter { client in
                // Without a live password challenge, no options (and no credential ids) at all.
                let blind = try await Self.options(client, challenge: "ghc_" + String(repeating: "A", count: 43))
                #expect(blind.status == .unauthorized)

                let (aliceChallenge, _) = try await Self.passwordStep(client, "alice")
                let (malloryChallenge, _) = try await Self.passwordStep(client, "mallory")
                // Mallory's own passkey, on a ceremony for her own sign-in, cannot finish Alice's sign-in.
                let (malloryCeremony, malloryOptions) = try Self.ceremony(
                    try await Self.options(client, challenge: malloryChallenge))
                let crossed = try await Self.finish(
                    client, challenge: aliceChallenge, ceremony: malloryCeremony,
                    credential: try malloryKey.assert(malloryOptions))
                #expect(crossed.status == .unauthorized)
                // Nor does Mallory's passkey on a ceremony issued for Alice's challenge.
                let (aliceCeremony, aliceOptions) = try Self.ceremony(
                    try await Self.options(client, challenge: aliceChallenge))
                let foreignKey = try await Self.finish(
                    client, challenge: aliceChallenge, ceremony: aliceCeremony,
                    credential: try malloryKey.assert(aliceOptions))
                #expect(foreignKey.status == .unauthorized)
                // Alice's passkey on a fresh ceremony still works: the failures above spent attempts, not the challenge.
                let (fresh, freshOptions) = try Self.ceremony(try await Self.options(client, challenge: aliceChallenge))
                let done = try await Self.finish(
                    client, challenge: aliceChallenge, ceremony: fresh, credential: try aliceKey.assert(freshOptions))
                #expect(done.status == .created, "\(String(buffer: done.body))")
            }
            let failures = try await hub.audit(alice.id).filter { $0.kind == AuditEvent.Kind.signInFailed.rawValue }
            #expect(failures.count >= 1)
        }
    }
}

extension TwoFactorService {
    /// Turns two-factor sign-in on for a test account and returns its recovery codes.
    func regenerateRecoveryCodesForTest(_ hub: TestHub, _ account: Account) async throws -> [String] {
        let enrollment = try await beginEnrollment(account: account)
        let totp = TOTP(secret: try #require(Base32.decode(enrollment.secretBase32)))
        return try await confirmEnrollment(
            account: account, code: totp.code(step: totp.step(at: hub.clock.now())),
            caller: Caller(ipAddress: "192.0.2.1"))
    }
}
