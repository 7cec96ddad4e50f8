import Foundation
import GatehouseCore
import Testing

@testable import GatehouseHub

/// What a sign-in attempt leaves in the throttle: every attempt is reserved before the password is checked, and a
/// right password gives the attempts back on every way out of the password step (a completed sign-in, a second
/// step, a forced reset, a mailed code), while a held-up account gives the address its attempt back.
@Suite("Sign-in budgets: what an attempt leaves counted")
struct SignInBudgetTests {
    static func failures(_ hub: TestHub, _ key: String) async throws -> Int {
        try await hub.store.autocommit.throttleState(key: key)?.failures ?? 0
    }

    static func guessWrong(_ hub: TestHub, _ name: String, from address: String, times: Int) async throws {
        for _ in 0..<times {
            await #expect(throws: SignInService.Error.invalidCredentials) {
                _ = try await hub.services.signIn.signIn(
                    identifier: name, password: "not-the-password-1", info: TestHub.info("guesser"), kind: .api,
                    caller: Caller(ipAddress: address))
            }
        }
    }

    /// How a right password ends for `account` from `address`.
    static func rightPassword(_ hub: TestHub, _ name: String, from address: String) async throws -> String {
        do {
            switch try await hub.services.signIn.signIn(
                identifier: name, password: TestHub.password, info: TestHub.info(name), kind: .api,
                caller: Caller(ipAddress: address))
            {
            case .signedIn: return "signed-in"
            case .secondFactorRequired(_, let methods): return "second-step " + methods.joined(separator: ",")
            }
        } catch let error as SignInService.Error {
            return error.code
        }
    }

    @Test(
        "a right password clears the account's failures and refunds the address's attempt, however the step ends",
        arguments: Backend.allCases)
    func rightPasswordGivesAttemptsBack(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let plain = try await hub.makeAccount("plain")
            let twoFactor = try await hub.makeAccount("twofactor")
            try await ConcurrentGuessingTests.enableTwoFactor(hub, twoFactor)
            var reset = try await hub.makeAccount("reset")
            reset.isResetRequired = true
            try await hub.store.autocommit.updateAccount(reset)
            let cases: [(Account, String, String)] = [
                (plain, "203.0.113.1", "signed-in"),
                (twoFactor, "203.0.113.2", "second-step totp,recovery_code"),
                (reset, "203.0.113.3", "password_reset_required"),
            ]
            for (account, address, expected) in cases {
                try await Self.guessWrong(hub, account.username, from: address, times: 3)
                let accountKey = HubEnvironment.accountThrottleKey(accountID: account.id, identifier: account.username)
                let addressKey = "ip:" + Caller(ipAddress: address).addressKey
                #expect(try await Self.failures(hub, accountKey) == 3)
                #expect(try await Self.failures(hub, addressKey) == 3)
                #expect(try await Self.rightPassword(hub, account.username, from: address) == expected)
                #expect(try await Self.failures(hub, accountKey) == 0, "\(account.username)")
                #expect(try await Self.failures(hub, "id:" + account.username) == 0, "\(account.username)")
                #expect(try await Self.failures(hub, addressKey) == 3, "\(account.username)")
            }
        }
    }

    @Test(
        "with device verification on, a right password from a new client asks for the mailed code and gives the attempts back",
        arguments: Backend.allCases)
    func mailedCodeStepGivesAttemptsBack(backend: Backend) async throws {
        try await withHub(backend, settings: AccountSettings(deviceVerification: true)) { hub in
            let account = try await hub.makeAccount("erin")
            try await Self.guessWrong(hub, "erin", from: "203.0.113.4", times: 2)
            #expect(try await Self.rightPassword(hub, "erin", from: "203.0.113.4") == "second-step email_code")
            let accountKey = HubEnvironment.accountThrottleKey(accountID: account.id, identifier: "erin")
            #expect(try await Self.failures(hub, accountKey) == 0)
            #expect(try await Self.failures(hub, "ip:" + Caller(ipAddress: "203.0.113.4").addressKey) == 2)
        }
    }

    @Test(
        "an account held up by its failures is held up before any hashing and gives the address its attempt back",
        arguments: Backend.allCases)
    func heldUpAccountRefundsTheAddress(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("frank")
            // Five failures from five addresses: the account's free tries are used up, each address has one.
            for index in 0..<5 { try await Self.guessWrong(hub, "frank", from: "198.51.100.\(index + 1)", times: 1) }
            let fresh = "198.51.100.77"
            let addressKey = "ip:" + Caller(ipAddress: fresh).addressKey
            let verifiedBefore = hub.hasher.verified
            for _ in 0..<3 {
                #expect(try await Self.rightPassword(hub, "frank", from: fresh) == "too_many_attempts")
            }
            // Held up before any hashing, and the fresh address was charged nothing for it.
            #expect(hub.hasher.verified == verifiedBefore)
            #expect(try await Self.failures(hub, addressKey) == 0)
            let accountKey = HubEnvironment.accountThrottleKey(accountID: account.id, identifier: "frank")
            #expect(try await Self.failures(hub, accountKey) == 5)
            // Once the delay has passed, the right password signs in and clears the account's failures.
            hub.clock.advance(2)
            #expect(try await Self.rightPassword(hub, "frank", from: fresh) == "signed-in")
            #expect(try await Self.failures(hub, accountKey) == 0)
            #expect(try await Self.failures(hub, addressKey) == 0)
        }
    }

    @Test(
        "rounds of 20 concurrent right-password sign-ins from one address, 5 to each of 4 accounts (both budgets full): all sign in",
        arguments: Backend.allCases)
    func concurrentRightPasswordsFromOneAddress(backend: Backend) async throws {
        try await withHub(backend) { hub in
            var accounts: [Account] = []
            for index in 0..<4 { accounts.append(try await hub.makeAccount("gina\(index)")) }
            let signIn = hub.services.signIn
            // Each attempt reserves the address's row, then the account's, in one transaction, while the attempts
            // that got the password right give both back in the transaction that creates their device. Rows taken
            // in two orders would deadlock on PostgreSQL; every attempt here is within both budgets (20 in flight
            // per address, 5 per account), so each must sign in.
            for round in 0..<10 {
                let outcomes = await concurrently(0..<20) { index in
                    let outcome = try await signIn.signIn(
                        identifier: "gina\(index % 4)", password: TestHub.password,
                        info: TestHub.info("tv\(round)-\(index)"), kind: .api,
                        caller: Caller(ipAddress: "203.0.113.50"))
                    guard case .signedIn = outcome else { return "second step" }
                    return "signed-in"
                }
                #expect(outcomes == Array(repeating: "signed-in", count: 20), "round \(round): \(Set(outcomes))")
            }
            for account in accounts {
                let key = HubEnvironment.accountThrottleKey(accountID: account.id, identifier: account.username)
                #expect(try await Self.failures(hub, key) == 0)
            }
            #expect(try await Self.failures(hub, "ip:" + Caller(ipAddress: "203.0.113.50").addressKey) == 0)
        }
    }

    @Test(
        "guesses against a username hold up the account, but its e-mail address answers as any unknown one: no 429 tells the two belong together",
        arguments: Backend.allCases)
    func accountBudgetDoesNotLinkIdentifiers(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("hana")
            // The owner's TV signs in with an app password.
            let appSecret = try await AppPasswordTests.create(hub, try await hub.signIn("hana"), scopes: [.accountRead])
            try await Self.guessWrong(hub, "hana", from: "198.51.100.1", times: 5)
            let verified = hub.hasher.verified
            let dummies = hub.hasher.dummies
            // The username the guesses named is held up in the open.
            #expect(try await Self.rightPassword(hub, "hana", from: "198.51.100.2") == "too_many_attempts")
            // Its e-mail address, never guessed against, even with the right password, and an address that names
            // no account: the same answer, the same dummy hash each, and the password is never checked.
            for (identifier, address) in [("hana@example.com", "198.51.100.3"), ("nobody@example.com", "198.51.100.4")]
            {
                #expect(try await Self.rightPassword(hub, identifier, from: address) == "invalid_credentials")
            }
            #expect(hub.hasher.verified == verified)
            #expect(hub.hasher.dummies == dummies + 2)
            // App passwords: a wrong one is refused (nil: the caller's 401), no 429 either; the owner's real one
            // keeps working while the account is held, and gives back only what it took.
            let apps = hub.services.appPasswords
            #expect(
                try await apps.authenticate(
                    identifier: "hana@example.com", secret: "gha_" + String(repeating: "a", count: 43),
                    caller: Caller(ipAddress: "198.51.100.5")) == nil)
            #expect(
                try await apps.authenticate(
                    identifier: "hana@example.com", secret: appSecret, caller: Caller(ipAddress: "198.51.100.6"))
                    != nil)
            // The account's budget was not spent by the held tries; once its delay has passed, the owner signs in.
            let accountKey = HubEnvironment.accountThrottleKey(accountID: account.id, identifier: "hana")
            #expect(try await Self.failures(hub, accountKey) == 5)
            hub.clock.advance(2)
            #expect(try await Self.rightPassword(hub, "hana@example.com", from: "198.51.100.3") == "signed-in")
            #expect(try await Self.failures(hub, accountKey) == 0)
        }
    }
}
