import Foundation
import GatehouseCore
import Hummingbird
import HummingbirdTesting
import Testing

@testable import GatehouseHub

/// What a stolen cookie, a curious outsider or a mail bomber gets from the account flows: nothing.
@Suite("Attacks: accounts")
struct AccountAbuseTests {
    @Test(
        "a stolen credential is no password oracle: 30 wrong re-authentications get 429 and are logged",
        arguments: Backend.allCases)
    func stolenCredentialCannotGuessThePassword(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("alice")
            let token = try await hub.signIn("alice").token.value
            let before = hub.hasher.verified
            try await hub.withRouter { client in
                var statuses: [Int] = []
                for index in 0..<30 {
                    let response = try await client.execute(
                        uri: "/api/v1/session/reauthenticate", method: .post, headers: JSON.bearer(token),
                        body: JSON.body(["password": "wrong-guess-\(index)"]))
                    statuses.append(Int(response.status.code))
                }
                #expect(statuses.prefix(5).allSatisfy { $0 == 401 }, "\(statuses)")
                #expect(statuses.suffix(25).allSatisfy { $0 == 429 }, "\(statuses)")
            }
            #expect(hub.hasher.verified - before <= ThrottlePolicy.perAccount.freeAttempts)
            let log = try await hub.audit(account.id)
            #expect(log.filter { $0.kind == "signin.failed" && $0.detail.contains("re-authentication") }.count == 5)
            #expect(log.contains { $0.kind == "signin.throttled" && $0.detail.contains("re-authentication") })
        }
    }

    @Test("with two-factor on, a wrong password and a wrong code get the same answer", arguments: Backend.allCases)
    func reauthenticationDoesNotTellPasswordFromCode(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("bea")
            let token = try await hub.signIn("bea").token.value
            _ = try await ConcurrentGuessingTests.enableTwoFactor(hub, account)
            try await hub.withRouter { client in
                let wrongPassword = try await client.execute(
                    uri: "/api/v1/session/reauthenticate", method: .post, headers: JSON.bearer(token),
                    body: JSON.body(["password": "nope", "code": "000000"]))
                let wrongCode = try await client.execute(
                    uri: "/api/v1/session/reauthenticate", method: .post, headers: JSON.bearer(token),
                    body: JSON.body(["password": TestHub.password, "code": "000000"]))
                #expect(wrongPassword.status == wrongCode.status)
                #expect(JSON.sansRequestID(wrongPassword) == JSON.sansRequestID(wrongCode))
            }
        }
    }

    @Test("sign-up tells no one who has an account: taken and free addresses answer alike", arguments: Backend.allCases)
    func signUpDoesNotEnumerateAccounts(backend: Backend) async throws {
        try await withHub(backend) { hub in
            try await hub.makeAccount("carla")
            try await hub.withRouter { client in
                let free = try await client.execute(
                    uri: "/api/v1/accounts", method: .post, headers: JSON.headers,
                    body: JSON.body(["username": "newbie", "email": "newbie@example.com", "password": TestHub.password])
                )
                let taken = try await client.execute(
                    uri: "/api/v1/accounts", method: .post, headers: JSON.headers,
                    body: JSON.body(["username": "other", "email": "carla@example.com", "password": TestHub.password]))
                let takenName = try await client.execute(
                    uri: "/api/v1/accounts", method: .post, headers: JSON.headers,
                    body: JSON.body(["username": "carla", "email": "fresh@example.com", "password": TestHub.password]))
                #expect(free.status == .accepted)
                #expect(taken.status == free.status && takenName.status == free.status)
                #expect(JSON.sansRequestID(taken) == JSON.sansRequestID(free))
                #expect(JSON.sansRequestID(takenName) == JSON.sansRequestID(free))
            }
            #expect(try await hub.mail(to: "carla@example.com").contains { $0.subject.contains("tried to create") })
            #expect(try await hub.mail(to: "fresh@example.com").contains { $0.subject.contains("another username") })
            #expect(try await hub.mail(to: "newbie@example.com").contains { $0.subject.contains("Confirm") })
        }
    }

    @Test("e-mail change answers alike whether or not the new address is taken", arguments: Backend.allCases)
    func emailChangeDoesNotEnumerateAccounts(backend: Backend) async throws {
        try await withHub(backend) { hub in
            try await hub.makeAccount("dina")
            try await hub.makeAccount("ezra")
            let token = try await hub.signIn("dina").token.value
            try await hub.withRouter { client in
                let taken = try await client.execute(
                    uri: "/api/v1/account/email", method: .post, headers: JSON.bearer(token),
                    body: JSON.body(["password": TestHub.password, "new_email": "ezra@example.com"]))
                let free = try await client.execute(
                    uri: "/api/v1/account/email", method: .post, headers: JSON.bearer(token),
                    body: JSON.body(["password": TestHub.password, "new_email": "dina2@example.com"]))
                #expect(taken.status == free.status)
                #expect(JSON.sansRequestID(taken) == JSON.sansRequestID(free))
            }
        }
    }

    @Test(
        "e-mail takeover drill: the change waits for the new address; the old one undoes it, signs out and forces a reset",
        arguments: Backend.allCases)
    func emailTakeoverIsUndoneByTheOldAddress(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let victim = try await hub.makeAccount("gail")
            let stolen = try await hub.signIn("gail")
            let services = hub.services
            try await services.accounts.changeEmail(
                account: victim, device: stolen.device, password: TestHub.password, newEmail: "thief@evil.example",
                caller: Caller(ipAddress: "198.51.100.66", deviceID: stolen.device.id))
            // Nothing changed yet: a reset still goes to the victim.
            #expect(try await hub.store.autocommit.account(id: victim.id)?.email == "gail@example.com")
            #expect(try await hub.mail(to: "gail@example.com").contains { $0.subject.contains("change of your email") })
            let confirm = try await hub.token(in: "thief@evil.example", subject: "Confirm", prefix: "ghv")
            _ = try await services.accounts.verifyEmail(token: confirm, caller: Caller(ipAddress: "198.51.100.66"))
            #expect(try await hub.store.autocommit.account(id: victim.id)?.email == "thief@evil.example")
            let revert = try await hub.token(in: "gail@example.com", subject: "address was changed", prefix: "ghe")
            try await services.accounts.revertEmailChange(token: revert, caller: Caller(ipAddress: "192.0.2.7"))
            let restored = try #require(try await hub.store.autocommit.account(id: victim.id))
            #expect(restored.email == "gail@example.com" && restored.isEmailVerified && restored.isResetRequired)
            #expect(try await services.devices.authenticate(token: stolen.token.value, ipAddress: "x") == nil)
            _ = try await hub.token(in: "gail@example.com", subject: "Reset", prefix: "ghr")
            // The link works once.
            await #expect(throws: AccountService.Error.self) {
                try await services.accounts.revertEmailChange(token: revert, caller: Caller(ipAddress: "192.0.2.7"))
            }
        }
    }

    @Test("a reset link mailed before a password change no longer works", arguments: Backend.allCases)
    func resetLinkDiesWithPasswordChange(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("hana")
            let signedIn = try await hub.signIn("hana")
            try await hub.services.recovery.processResetRequest(
                identifier: "hana", caller: Caller(ipAddress: "1.2.3.4"))
            let link = try await hub.token(in: "hana@example.com", subject: "Reset", prefix: "ghr")
            try await hub.services.accounts.changePassword(
                account: account, device: signedIn.device, currentPassword: TestHub.password,
                newPassword: "a-different-long-passphrase-77", signOutOtherDevices: true,
                caller: Caller(ipAddress: "192.0.2.1", deviceID: signedIn.device.id))
            #expect(!(try await hub.services.recovery.isValidResetToken(link)))
            await #expect(throws: AccountService.Error.self) {
                try await hub.services.recovery.confirmReset(
                    token: link, newPassword: "attacker-chosen-passphrase-1", caller: Caller(ipAddress: "1.2.3.4"))
            }
        }
    }

    @Test("resets go only to verified addresses", arguments: Backend.allCases)
    func resetNeverGoesToAnUnverifiedAddress(backend: Backend) async throws {
        try await withHub(backend) { hub in
            var account = try await hub.makeAccount("ivan")
            account.isEmailVerified = false
            try await hub.store.autocommit.updateAccount(account)
            try await hub.services.recovery.processResetRequest(
                identifier: "ivan", caller: Caller(ipAddress: "1.2.3.4"))
            #expect(!(try await hub.mail(to: "ivan@example.com").contains { $0.subject.contains("Reset") }))
        }
    }

    @Test("resend-verification cannot be used to bomb a mailbox", arguments: Backend.allCases)
    func resendVerificationIsThrottled(backend: Backend) async throws {
        try await withHub(backend) { hub in
            var account = try await hub.makeAccount("jay")
            account.isEmailVerified = false
            try await hub.store.autocommit.updateAccount(account)
            var throttled = 0
            for _ in 0..<20 {
                do {
                    try await hub.services.accounts.resendVerification(account: account, caller: Caller(ipAddress: "x"))
                } catch SignInService.Error.throttled {
                    throttled += 1
                }
            }
            #expect(throttled == 20 - AccountService.signUpMailPolicy.freeAttempts)
        }
    }

    @Test(
        "a copied client identifier does not make a device known; the server-issued secret does",
        arguments: Backend.allCases)
    func knownDeviceNeedsTheIssuedSecret(backend: Backend) async throws {
        try await withHub(backend) { hub in
            try await hub.makeAccount("kim")
            let owner = try await hub.signIn("kim")
            // An attacker spends the account's budget, reusing the owner's client identifier.
            for index in 0..<8 {
                _ = try? await hub.services.signIn.signIn(
                    identifier: "kim", password: "guess-\(index)", info: TestHub.info("kim"), kind: .api,
                    caller: Caller(ipAddress: "203.0.113.\(index)"))
            }
            await #expect(throws: SignInService.Error.self) {
                _ = try await hub.services.signIn.signIn(
                    identifier: "kim", password: TestHub.password, info: TestHub.info("kim"), kind: .api,
                    caller: Caller(ipAddress: "203.0.113.99"))
            }
            // The owner's device, with the secret the hub issued, signs in at once, and no new-sign-in mail goes out.
            let mailsBefore = try await hub.mail(to: "kim@example.com").filter { $0.subject.contains("New sign-in") }
            _ = try await hub.signIn("kim", address: "203.0.113.1", known: owner.knownDeviceToken.value)
            let mailsAfter = try await hub.mail(to: "kim@example.com").filter { $0.subject.contains("New sign-in") }
            #expect(mailsAfter.count == mailsBefore.count)
            // The API never shows client identifiers back.
            try await hub.withRouter { client in
                let response = try await client.execute(
                    uri: "/api/v1/devices", method: .get, headers: JSON.bearer(owner.token.value))
                #expect(!String(buffer: response.body).contains("client-kim"))
                #expect(!String(buffer: response.body).contains("client_identifier"))
            }
        }
    }

    @Test("the known-device secret dies with a password change", arguments: Backend.allCases)
    func knownDeviceSecretDiesWithPasswordChange(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("lena")
            let first = try await hub.signIn("lena")
            try await hub.services.accounts.changePassword(
                account: account, device: first.device, currentPassword: TestHub.password,
                newPassword: "another-long-passphrase-88", signOutOtherDevices: false,
                caller: Caller(ipAddress: "192.0.2.1", deviceID: first.device.id))
            #expect(
                !(try await hub.store.autocommit.isKnownDevice(
                    accountID: account.id, knownDigest: hub.environment.digest(first.knownDeviceToken.value))))
        }
    }

    @Test("device credentials expire after idle time and at their absolute limit", arguments: Backend.allCases)
    func deviceCredentialsExpire(backend: Backend) async throws {
        let lifetimes = DeviceLifetimes(browserIdle: 100, browserAbsolute: 1_000, appIdle: 200, appAbsolute: 500)
        try await withHub(backend, settings: AccountSettings(deviceLifetimes: lifetimes)) { hub in
            try await hub.makeAccount("moe")
            let token = try await hub.signIn("moe").token.value
            let devices = hub.services.devices
            for _ in 0..<4 {
                hub.clock.advance(110)
                #expect(try await devices.authenticate(token: token, ipAddress: "192.0.2.10") != nil)
            }
            hub.clock.advance(110)  // 550 s after sign-in: past the absolute limit of an app
            #expect(try await devices.authenticate(token: token, ipAddress: "192.0.2.10") == nil)
            let idle = try await hub.signIn("moe").token.value
            hub.clock.advance(201)
            #expect(try await devices.authenticate(token: idle, ipAddress: "192.0.2.10") == nil)
        }
    }

    @Test("admin changes need a recent re-authentication, not just an admin's cookie", arguments: Backend.allCases)
    func adminChangesNeedRecentReauthentication(backend: Backend) async throws {
        try await withHub(backend) { hub in
            var admin = try await hub.makeAccount("root")
            admin.role = .admin
            try await hub.store.autocommit.updateAccount(admin)
            let signedIn = try await hub.signIn("root")
            let authorization = AdminAuthorization(environment: hub.environment)
            #expect(throws: Never.self) { try authorization.authorizeChange(account: admin, device: signedIn.device) }
            hub.clock.advance(hub.environment.settings.reauthenticationWindow + 1)
            #expect(throws: AccountService.Error.reauthenticationRequired) {
                try authorization.authorizeChange(account: admin, device: signedIn.device)
            }
            let user = try await hub.makeAccount("plain")
            #expect(throws: RequestError.self) { try authorization.requireAdmin(user) }
        }
    }

    // The first admin now comes from the setup link only (--first-account-is-admin is a no-op): its race is
    // HouseholdTests.setupLink (20 racing completions, exactly one admin, with TOTP on).

    @Test(
        "a password beyond the byte limit is refused before any hashing (one grapheme can carry kilobytes)",
        arguments: [Backend.sqlite])
    func oversizedPasswordIsRefusedCheaply(backend: Backend) async throws {
        try await withHub(backend) { hub in
            try await hub.makeAccount("nia")
            let before = hub.hasher.verified
            let zalgo = "a" + String(repeating: "\u{0301}", count: 3_000)
            #expect(zalgo.count == 1)
            await #expect(throws: SignInService.Error.invalidCredentials) {
                _ = try await hub.services.signIn.signIn(
                    identifier: "nia", password: zalgo, info: TestHub.info("x"), kind: .api,
                    caller: Caller(ipAddress: "203.0.113.5"))
            }
            #expect(hub.hasher.verified == before)
        }
    }

    @Test("a copied database cannot confirm a guessed token: digests are keyed", arguments: Backend.allCases)
    func tokenDigestsAreKeyed(backend: Backend) async throws {
        try await withHub(backend) { hub in
            try await hub.makeAccount("olga")
            let signedIn = try await hub.signIn("olga")
            let plain = Digest.sha256Hex(signedIn.token.value)
            #expect(try await hub.store.autocommit.device(tokenDigest: plain) == nil)
            let keyed = hub.environment.digest(signedIn.token.value)
            #expect(keyed.hasPrefix("k1:") && keyed != "k1:" + plain)
            #expect(try await hub.store.autocommit.device(tokenDigest: keyed)?.id == signedIn.device.id)
        }
    }

    @Test("a flood from the owner's address never blocks the owner's known device", arguments: Backend.allCases)
    func addressFloodDoesNotBlockKnownDevice(backend: Backend) async throws {
        try await withHub(backend) { hub in
            try await hub.makeAccount("pia")
            let owner = try await hub.signIn("pia", address: "192.0.2.50")
            // Someone behind the same address (a shared NAT) burns the address's budget on other names.
            for index in 0..<40 {
                _ = try? await hub.services.signIn.signIn(
                    identifier: "nobody\(index)", password: "x", info: TestHub.info("bot"), kind: .api,
                    caller: Caller(ipAddress: "192.0.2.50"))
            }
            await #expect(throws: SignInService.Error.self) {
                _ = try await hub.services.signIn.signIn(
                    identifier: "pia", password: TestHub.password, info: TestHub.info("new"), kind: .api,
                    caller: Caller(ipAddress: "192.0.2.50"))
            }
            _ = try await hub.signIn("pia", address: "192.0.2.50", known: owner.knownDeviceToken.value)
        }
    }

    @Test(
        "a credential-stuffing wave over many accounts and addresses trips the hub-wide breaker; known devices pass",
        arguments: Backend.allCases)
    func stuffingWaveTripsTheBreaker(backend: Backend) async throws {
        try await withHub(backend, stuffingThreshold: 30) { hub in
            try await hub.makeAccount("quin")
            let owner = try await hub.signIn("quin")
            // One guess per account from one address each: no per-account or per-address limit is reached.
            for index in 0..<30 {
                _ = try? await hub.services.signIn.signIn(
                    identifier: "victim\(index)", password: "leaked-\(index)", info: TestHub.info("bot"), kind: .api,
                    caller: Caller(ipAddress: "198.18.\(index / 200).\(index % 200)"))
            }
            let before = hub.hasher.verified
            await #expect(throws: SignInService.Error.throttled(seconds: 30)) {
                _ = try await hub.services.signIn.signIn(
                    identifier: "quin", password: TestHub.password, info: TestHub.info("new"), kind: .api,
                    caller: Caller(ipAddress: "192.0.2.99"))
            }
            #expect(hub.hasher.verified == before)
            _ = try await hub.signIn("quin", address: "192.0.2.99", known: owner.knownDeviceToken.value)
            // The wave passes: a minute later unknown devices sign in again, for half an hour with a code mailed to the
            // account as well (the hub tightens by itself after a wave; see DeviceVerificationTests).
            hub.clock.advance(61)
            let outcome = try await hub.services.signIn.signIn(
                identifier: "quin", password: TestHub.password, info: TestHub.info("later"), kind: .api,
                caller: Caller(ipAddress: "192.0.2.98"))
            guard case .secondFactorRequired(let challenge, let methods) = outcome else {
                Issue.record("no mailed code right after a wave")
                return
            }
            #expect(methods == ["email_code"])
            let code = try await DeviceVerificationTests.mailedCode(hub, "quin@example.com")
            _ = try await hub.services.signIn.completeSecondFactor(
                challenge: challenge, code: code, caller: Caller(ipAddress: "192.0.2.98"))
            hub.clock.advance(1_800)
            _ = try await hub.signIn("quin", address: "192.0.2.97")
        }
    }

    @Test("an intruder cannot block the revert by registering the old address", arguments: Backend.allCases)
    func oldAddressIsHeldUntilTheRevertLinkExpires(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let victim = try await hub.makeAccount("ruth")
            let stolen = try await hub.signIn("ruth")
            let services = hub.services
            try await services.accounts.changeEmail(
                account: victim, device: stolen.device, password: TestHub.password, newEmail: "thief@evil.example",
                caller: Caller(ipAddress: "198.51.100.66", deviceID: stolen.device.id))
            let confirm = try await hub.token(in: "thief@evil.example", subject: "Confirm", prefix: "ghv")
            _ = try await services.accounts.verifyEmail(token: confirm, caller: Caller(ipAddress: "198.51.100.66"))
            // The freed address cannot be taken by a new account while the revert link lives...
            let squatter = try await services.accounts.register(
                username: "squatter", email: "ruth@example.com", password: TestHub.password,
                caller: Caller(ipAddress: "198.51.100.67"))
            #expect(squatter == nil)
            let revert = try await hub.token(in: "ruth@example.com", subject: "address was changed", prefix: "ghe")
            try await services.accounts.revertEmailChange(token: revert, caller: Caller(ipAddress: "192.0.2.7"))
            #expect(try await hub.store.autocommit.account(id: victim.id)?.email == "ruth@example.com")
        }
    }
}
