import Foundation
import GatehouseCore
import Testing

@testable import GatehouseHub

/// "This wasn't me": the link every security mail carries locks the account, once, and only the mailbox's owner
/// with the account's second factor gets it back.
@Suite("Household: \"This wasn't me\"")
struct LockdownTests {
    static let intruder = "203.0.113.66"

    /// The lock link in the newest mail to `address` whose subject contains `subject`.
    static func lockLink(_ hub: TestHub, _ address: String, subject: String) async throws -> String {
        for message in try await hub.mail(to: address).reversed() where message.subject.contains(subject) {
            if let range = message.text.range(of: "/not-me?token=") {
                return String(
                    message.text[range.upperBound...].prefix {
                        $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-"
                    })
            }
        }
        throw TestFailure("no lock link mailed to \(address) with subject '\(subject)'")
    }

    @Test("security mails carry a lock link; other mails do not", arguments: Backend.allCases)
    func securityMailsCarryTheLink(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("amy")
            _ = try await hub.signIn("amy")
            let link = try await Self.lockLink(hub, account.email, subject: "New sign-in")
            #expect(link.hasPrefix("ghx1."))
            // The verification mail of a sign-up is not about something done to an account.
            _ = try await hub.services.accounts.register(
                username: "ben", email: "ben@example.com", password: TestHub.password, caller: Caller(ipAddress: "x"),
                role: .user)
            let verification = try await hub.mail(to: "ben@example.com")
            #expect(!verification.isEmpty)
            #expect(verification.allSatisfy { !$0.text.contains("/not-me") })
            // No link is stored: the outbox bodies are sealed and nothing else holds it.
            let dump = try await hub.store.autocommit.dueMail(now: hub.clock.now().addingTimeInterval(1e6), limit: 1000)
            #expect(dump.allSatisfy { !$0.textBody.contains(link) && !$0.htmlBody.contains(link) })
        }
    }

    @Test(
        "the link from a new-sign-in mail locks the account and signs the intruder out at once",
        arguments: Backend.allCases)
    func lockSignsOutEverywhere(backend: Backend) async throws {
        try await withHub(backend) { hub in
            var admin = try #require(
                try await hub.services.accounts.register(
                    username: "root", email: "root@example.com", password: TestHub.password,
                    caller: Caller(ipAddress: "operator"), role: .admin))
            admin.isEmailVerified = true
            try await hub.store.autocommit.updateAccount(admin)
            let account = try await hub.makeAccount("cleo")
            let own = try await hub.signIn("cleo")
            let stolen = try await hub.signIn("cleo", address: Self.intruder)
            #expect(
                try await hub.services.devices.authenticate(token: stolen.token.value, ipAddress: Self.intruder) != nil)
            let link = try await Self.lockLink(hub, account.email, subject: "New sign-in")

            let signedOut = try await hub.services.lockdown.lock(token: link, caller: Caller(ipAddress: "192.0.2.10"))
            #expect(signedOut == 2)
            // At once: the very next request with either credential fails.
            #expect(
                try await hub.services.devices.authenticate(token: stolen.token.value, ipAddress: Self.intruder) == nil)
            #expect(try await hub.services.devices.authenticate(token: own.token.value, ipAddress: "192.0.2.10") == nil)
            // The right password no longer signs in, not even from a known device.
            await #expect(throws: SignInService.Error.passwordResetRequired) {
                _ = try await hub.signIn("cleo", address: Self.intruder)
            }
            await #expect(throws: SignInService.Error.passwordResetRequired) {
                _ = try await hub.signIn("cleo", known: own.knownDeviceToken.value)
            }
            // The owner is told what to do; the admins are told; the log says it.
            let mails = try await hub.mail(to: account.email).map(\.subject)
            #expect(mails.contains("Your account is locked"))
            #expect(mails.contains { $0.contains("reset") || $0.contains("Reset") })
            #expect(try await hub.mail(to: admin.email).contains { $0.subject == "An account was locked by its owner" })
            #expect(try await hub.audit(account.id).contains { $0.kind == AuditEvent.Kind.accountLocked.rawValue })
        }
    }

    @Test("a link works once, even when 100 uses arrive at once", arguments: Backend.allCases)
    func singleUseUnderConcurrency(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("dora")
            _ = try await hub.signIn("dora")
            let link = try await Self.lockLink(hub, account.email, subject: "New sign-in")
            let lockdown = hub.services.lockdown
            let outcomes = await concurrently(0..<100, refusals: LockdownService.Error.self) { index in
                _ = try await lockdown.lock(token: link, caller: Caller(ipAddress: "192.0.2.\(index)"))
                return "locked"
            }
            #expect(outcomes.filter { $0 == "locked" }.count == 1)
            #expect(outcomes.filter { $0 == "link_used" }.count == 99, "\(Set(outcomes))")
            let locks = try await hub.audit(account.id).filter { $0.kind == AuditEvent.Kind.accountLocked.rawValue }
            #expect(locks.count == 1)
        }
    }

    @Test("forged, altered, expired and other accounts' links are refused alike", arguments: Backend.allCases)
    func forgedLinksAreRefused(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("eve")
            let other = try await hub.makeAccount("fay")
            _ = try await hub.signIn("eve")
            let link = try await Self.lockLink(hub, account.email, subject: "New sign-in")
            let parts = link.split(separator: ".").map(String.init)
            // Point the payload at another account, keeping the MAC: refused.
            let payload = String(decoding: try #require(Encoding.bytes(base64URL: parts[1])), as: UTF8.self)
            let retargeted = payload.replacingOccurrences(of: account.id, with: other.id)
            let forged = parts[0] + "." + Encoding.base64URL(Array(retargeted.utf8)) + "." + parts[2]
            // A fresh signer (another hub's keyring) makes well-formed links this hub refuses.
            let foreign = LockLinkSigner(secret: Array(repeating: 7, count: 32)).token(
                accountID: other.id, now: hub.clock.now())
            for bad in [
                forged, foreign, link + "x", String(link.dropLast()), "", "ghx1..", String(repeating: "a", count: 5000),
            ] {
                await #expect(throws: LockdownService.Error.invalidLink) {
                    _ = try await hub.services.lockdown.lock(token: bad, caller: Caller(ipAddress: Self.intruder))
                }
            }
            hub.clock.advance(LockLinkSigner.lifetime + 1)
            await #expect(throws: LockdownService.Error.invalidLink) {
                _ = try await hub.services.lockdown.lock(token: link, caller: Caller(ipAddress: "192.0.2.10"))
            }
            #expect(try await hub.store.autocommit.lockedAt(accountID: account.id) == nil)
            #expect(try await hub.store.autocommit.lockedAt(accountID: other.id) == nil)
        }
    }

    @Test("a locked account with two-factor sign-in is reset only with its second factor", arguments: Backend.allCases)
    func resetNeedsTheSecondFactor(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("gus")
            let totp = try await ConcurrentGuessingTests.enableTwoFactor(hub, account)
            let recoveryCodes = try await hub.services.twoFactor.regenerateRecoveryCodes(
                account: account, device: try await Self.someDevice(hub, account, totp), caller: Caller(ipAddress: "x"))
            let link = try await Self.lockLink(hub, account.email, subject: "Two-factor")
            try await hub.services.lockdown.lock(token: link, caller: Caller(ipAddress: "192.0.2.10"))
            let reset = try await hub.token(in: account.email, subject: "eset", prefix: "ghr")
            let caller = Caller(ipAddress: "192.0.2.10")
            // The mailbox alone is not enough.
            await #expect(throws: RequestError.self) {
                try await hub.services.recovery.confirmReset(
                    token: reset, newPassword: "a brand new passphrase 77", caller: caller)
            }
            await #expect(throws: RequestError.self) {
                try await hub.services.recovery.confirmReset(
                    token: reset, newPassword: "a brand new passphrase 77", caller: caller, recoveryCode: "000000")
            }
            #expect(try await hub.store.autocommit.lockedAt(accountID: account.id) != nil)
            // With a recovery code it works, lifts the lock, and the new password signs in (with the code step).
            try await hub.services.recovery.confirmReset(
                token: reset, newPassword: "a brand new passphrase 77", caller: caller, recoveryCode: recoveryCodes[0])
            #expect(try await hub.store.autocommit.lockedAt(accountID: account.id) == nil)
            let outcome = try await hub.services.signIn.signIn(
                identifier: "gus", password: "a brand new passphrase 77", info: TestHub.info("gus"), kind: .api,
                caller: caller)
            guard case .secondFactorRequired = outcome else {
                Issue.record("expected the second step after the reset")
                return
            }
            #expect(try await hub.audit(account.id).contains { $0.kind == AuditEvent.Kind.accountUnlocked.rawValue })
        }
    }

    @Test("a locked account without a second factor is reset with the mailed link", arguments: Backend.allCases)
    func resetWithoutSecondFactor(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("hal")
            _ = try await hub.signIn("hal")
            try await hub.services.lockdown.lock(
                token: try await Self.lockLink(hub, account.email, subject: "New sign-in"),
                caller: Caller(ipAddress: "192.0.2.10"))
            let reset = try await hub.token(in: account.email, subject: "eset", prefix: "ghr")
            try await hub.services.recovery.confirmReset(
                token: reset, newPassword: "another fresh passphrase 5", caller: Caller(ipAddress: "192.0.2.10"))
            #expect(try await hub.store.autocommit.lockedAt(accountID: account.id) == nil)
            let outcome = try await hub.services.signIn.signIn(
                identifier: "hal", password: "another fresh passphrase 5", info: TestHub.info("hal"), kind: .api,
                caller: Caller(ipAddress: "192.0.2.10"))
            guard case .signedIn = outcome else {
                Issue.record("expected a sign-in after the reset")
                return
            }
        }
    }

    /// A device of `account` (two-factor on) that signed in with a code just now, for calls needing a device.
    static func someDevice(_ hub: TestHub, _ account: Account, _ totp: TOTP) async throws -> Device {
        let outcome = try await hub.services.signIn.signIn(
            identifier: account.username, password: TestHub.password, info: TestHub.info(account.username), kind: .api,
            caller: Caller(ipAddress: "192.0.2.10"))
        guard case .secondFactorRequired(let challenge, _) = outcome else { throw TestFailure("no second step") }
        hub.clock.advance(30)
        let signedIn = try await hub.services.signIn.completeSecondFactor(
            challenge: challenge, code: totp.code(step: totp.step(at: hub.clock.now())),
            caller: Caller(ipAddress: "192.0.2.10"))
        return signedIn.device
    }
}
