import Foundation
import GatehouseCore
import Testing

@testable import GatehouseHub

/// Device verification (GitHub's): with two-factor sign-in off, a right password from a client never seen on the
/// account is not enough; a code mailed to the account is needed too.
@Suite("Household: device verification")
struct DeviceVerificationTests {
    static let settings = AccountSettings(deviceVerification: true)

    /// The code in the newest sign-in-code mail to `address`.
    static func mailedCode(_ hub: TestHub, _ address: String) async throws -> String {
        guard let text = try await hub.mail(to: address).last(where: { $0.subject == "Your sign-in code" })?.text,
            let line = text.split(separator: "\n").first(where: { $0.count == 6 && $0.allSatisfy(\.isNumber) })
        else { throw TestFailure("no sign-in code mailed to \(address)") }
        return String(line)
    }

    static func passwordStep(_ hub: TestHub, _ name: String, address: String = "198.51.100.7", known: String? = nil)
        async throws -> SignInOutcome
    {
        try await hub.services.signIn.signIn(
            identifier: name, password: TestHub.password, info: TestHub.info(name), kind: .api,
            caller: Caller(ipAddress: address), knownDeviceToken: known)
    }

    @Test(
        "a never-seen client needs the mailed code; the device it makes is known afterwards",
        arguments: Backend.allCases)
    func neverSeenClientNeedsTheCode(backend: Backend) async throws {
        try await withHub(backend, settings: Self.settings) { hub in
            let account = try await hub.makeAccount("ivy")
            guard case .secondFactorRequired(let challenge, let methods) = try await Self.passwordStep(hub, "ivy")
            else {
                Issue.record("a new client signed in with the password alone")
                return
            }
            #expect(methods == ["email_code"])
            let code = try await Self.mailedCode(hub, account.email)
            #expect(code.count == 6 && code.allSatisfy(\.isNumber))
            // The mail names the device and carries the lock link.
            let mail = try #require(
                try await hub.mail(to: account.email).last { $0.subject.hasPrefix("Your sign-in code") })
            #expect(mail.text.contains("198.51.100.7") && mail.text.contains("/not-me?token=ghx1."))
            let signedIn = try await hub.services.signIn.completeSecondFactor(
                challenge: challenge, code: code, caller: Caller(ipAddress: "198.51.100.7"))
            #expect(signedIn.device.proof == Proof.passwordAndMailedCode.description)
            // Single use.
            await #expect(throws: SignInService.Error.invalidChallenge) {
                _ = try await hub.services.signIn.completeSecondFactor(
                    challenge: challenge, code: code, caller: Caller(ipAddress: "198.51.100.7"))
            }
            // From the device it made, the password alone is enough next time.
            guard case .signedIn = try await Self.passwordStep(hub, "ivy", known: signedIn.knownDeviceToken.value)
            else {
                Issue.record("a known device was asked for a mailed code")
                return
            }
            // The code is not stored in usable form: no token row holds its digits.
            let rows = try await hub.store.rawRows("SELECT payload FROM one_time_tokens")
            #expect(rows.allSatisfy { !$0.contains("\"" + code + "\"") && !$0.contains(":" + code) })
        }
    }

    @Test(
        "300 concurrent wrong codes evaluate at most the challenge's budget, and the right one is dead after",
        arguments: Backend.allCases)
    func concurrentWrongCodes(backend: Backend) async throws {
        try await withHub(backend, settings: Self.settings) { hub in
            let account = try await hub.makeAccount("jon")
            guard case .secondFactorRequired(let challenge, _) = try await Self.passwordStep(hub, "jon") else {
                Issue.record("no code asked")
                return
            }
            let code = try await Self.mailedCode(hub, account.email)
            let signIn = hub.services.signIn
            let guess: @Sendable (Int) -> String = { String(format: "%06d", ($0 * 7_919 + 11) % 1_000_000) }
            let outcomes = await concurrently(
                (0..<300).filter { guess($0) != code }, refusals: SignInService.Error.self
            ) {
                index in
                _ = try await signIn.completeSecondFactor(
                    challenge: challenge, code: guess(index), caller: Caller(ipAddress: "203.0.113.\(index % 200)"))
                return "signed-in"
            }
            #expect(!outcomes.contains("signed-in"))
            #expect(!outcomes.contains { $0.hasPrefix("other") })
            let evaluated = try await hub.audit(account.id).filter { $0.detail == "wrong mailed sign-in code" }.count
            #expect(evaluated <= hub.environment.settings.challengeAttempts, "evaluated \(evaluated)")
            #expect(evaluated >= 1)
            await #expect(throws: SignInService.Error.invalidChallenge) {
                _ = try await signIn.completeSecondFactor(
                    challenge: challenge, code: code, caller: Caller(ipAddress: "198.51.100.7"))
            }
        }
    }

    @Test("the code expires after 15 minutes", arguments: Backend.allCases)
    func codeExpires(backend: Backend) async throws {
        try await withHub(backend, settings: Self.settings) { hub in
            let account = try await hub.makeAccount("kim")
            guard case .secondFactorRequired(let challenge, _) = try await Self.passwordStep(hub, "kim") else {
                Issue.record("no code asked")
                return
            }
            let code = try await Self.mailedCode(hub, account.email)
            hub.clock.advance(15 * 60 + 1)
            await #expect(throws: SignInService.Error.invalidChallenge) {
                _ = try await hub.services.signIn.completeSecondFactor(
                    challenge: challenge, code: code, caller: Caller(ipAddress: "198.51.100.7"))
            }
        }
    }

    @Test("wrong passwords and unknown accounts get no code and the same answer", arguments: Backend.allCases)
    func revealsNothing(backend: Backend) async throws {
        try await withHub(backend, settings: Self.settings) { hub in
            let account = try await hub.makeAccount("lea")
            for identifier in ["lea", "nobody-here"] {
                await #expect(throws: SignInService.Error.invalidCredentials) {
                    _ = try await hub.services.signIn.signIn(
                        identifier: identifier, password: "not the password at all", info: TestHub.info("x"),
                        kind: .api, caller: Caller(ipAddress: "198.51.100.9"))
                }
            }
            #expect(try await hub.mail(to: account.email).allSatisfy { !$0.subject.hasPrefix("Your sign-in code") })
        }
    }

    @Test("accounts with two-factor sign-in get their second step, not a mailed code", arguments: Backend.allCases)
    func twoFactorAccountsAreNotMailed(backend: Backend) async throws {
        try await withHub(backend, settings: Self.settings) { hub in
            let account = try await hub.makeAccount("max")
            try await ConcurrentGuessingTests.enableTwoFactor(hub, account)
            guard case .secondFactorRequired(_, let methods) = try await Self.passwordStep(hub, "max") else {
                Issue.record("no second step")
                return
            }
            #expect(methods.contains("totp") && !methods.contains("email_code"))
        }
    }

    @Test("a right password alone cannot flood the owner's mailbox with codes", arguments: Backend.allCases)
    func mailFloodIsCapped(backend: Backend) async throws {
        try await withHub(backend, settings: Self.settings) { hub in
            let account = try await hub.makeAccount("ned")
            var throttled = 0
            for index in 0..<12 {
                do {
                    _ = try await Self.passwordStep(hub, "ned", address: "198.51.100.\(index)")
                } catch SignInService.Error.throttled {
                    throttled += 1
                }
            }
            let codes = try await hub.mail(to: account.email).filter { $0.subject.hasPrefix("Your sign-in code") }
            #expect(codes.count == 5)
            #expect(throttled == 7)
        }
    }

    @Test(
        "during a stuffing wave the hub asks unrecognised devices for the mailed code even where it is off",
        arguments: Backend.allCases)
    func waveTightensByItself(backend: Backend) async throws {
        // Device verification off (AccountSettings' default), a low breaker threshold.
        try await withHub(backend, stuffingThreshold: 10) { hub in
            try await hub.makeAccount("ola")
            guard case .signedIn = try await Self.passwordStep(hub, "ola", address: "198.51.100.1") else {
                Issue.record("asked for a code before any wave")
                return
            }
            for index in 0..<14 {
                _ = try? await hub.services.signIn.signIn(
                    identifier: "stuffed\(index)", password: "from a breach list \(index)", info: TestHub.info("bot"),
                    kind: .api, caller: Caller(ipAddress: "203.0.113.\(index)"))
            }
            #expect(hub.environment.breaker.isTightened(at: hub.clock.now()))
            hub.clock.advance(61)  // the breaker has closed again; the tightening lasts
            guard
                case .secondFactorRequired(_, let methods) = try await Self.passwordStep(
                    hub, "ola", address: "198.51.100.2")
            else {
                Issue.record("no mailed code during the wave")
                return
            }
            #expect(methods == ["email_code"])
            hub.clock.advance(1_800)
            guard case .signedIn = try await Self.passwordStep(hub, "ola", address: "198.51.100.3") else {
                Issue.record("still tightened half an hour after the wave")
                return
            }
        }
    }
}
