import Foundation
import GatehouseCore
import Synchronization
import Testing

@testable import GatehouseHub

/// Limits that must hold when an attacker sends hundreds of guesses at once, on both databases: each attempt is
/// reserved atomically before it is evaluated.
@Suite("Attacks: concurrent guessing")
struct ConcurrentGuessingTests {
    /// A second factor for `account`, confirmed with the current code; returns nothing (the code is not needed:
    /// every guess below is wrong).
    @discardableResult
    static func enableTwoFactor(_ hub: TestHub, _ account: Account) async throws -> TOTP {
        let enrollment = try await hub.services.twoFactor.beginEnrollment(account: account)
        let totp = TOTP(secret: try #require(Base32.decode(enrollment.secretBase32)))
        let code = totp.code(step: totp.step(at: hub.clock.now()))
        _ = try await hub.services.twoFactor.confirmEnrollment(
            account: account, code: code, caller: Caller(ipAddress: "192.0.2.1"))
        return totp
    }

    /// A six-digit code; the tests below skip any that happens to be valid in the drift window.
    static func wrongCode(_ index: Int) -> String {
        String(format: "%06d", (index * 7_919 + 13) % 1_000_000)
    }

    static func failedCodes(_ hub: TestHub, _ account: Account) async throws -> Int {
        try await hub.audit(account.id).filter { $0.kind == AuditEvent.Kind.twoFactorFailed.rawValue }.count
    }

    @Test(
        "500 concurrent wrong codes against one challenge evaluate at most the per-challenge budget",
        arguments: Backend.allCases)
    func concurrentWrongCodesAgainstOneChallenge(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("carol")
            let totp = try await Self.enableTwoFactor(hub, account)
            let challenge = try await hub.services.twoFactor.issueChallenge(
                account: account, info: TestHub.info("thief"), kind: .api, caller: Caller(ipAddress: "198.51.100.1"))
            hub.clock.advance(120)
            let signIn = hub.services.signIn
            let step = totp.step(at: hub.clock.now())
            let valid = Set((step - 1...step + 1).map { totp.code(step: $0) })
            let guesses = (0..<500).filter { !valid.contains(Self.wrongCode($0)) }
            let outcomes = await concurrently(guesses, refusals: SignInService.Error.self) { index in
                _ = try await signIn.completeSecondFactor(
                    challenge: challenge, code: Self.wrongCode(index),
                    caller: Caller(ipAddress: "198.51.100.\(index % 250)"))
                return "signed-in"
            }
            #expect(!outcomes.contains("signed-in"))
            #expect(!outcomes.contains { $0.hasPrefix("other") })
            let evaluated = try await Self.failedCodes(hub, account)
            #expect(evaluated <= hub.environment.settings.challengeAttempts, "evaluated \(evaluated) codes")
            #expect(outcomes.filter { $0 == "invalid_code" }.count == evaluated)
        }
    }

    @Test(
        "500 concurrent wrong codes across 20 challenges evaluate at most the per-account budget",
        arguments: Backend.allCases)
    func concurrentWrongCodesAcrossTwentyChallenges(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("dave")
            let totp = try await Self.enableTwoFactor(hub, account)
            hub.clock.advance(120)
            let step = totp.step(at: hub.clock.now())
            let valid = Set((step - 1...step + 1).map { totp.code(step: $0) })
            var challenges: [String] = []
            for index in 0..<20 {
                challenges.append(
                    try await hub.services.twoFactor.issueChallenge(
                        account: account, info: TestHub.info("thief\(index)"), kind: .api,
                        caller: Caller(ipAddress: "198.51.100.9")))
            }
            let signIn = hub.services.signIn
            let captured = challenges
            await withTaskGroup(of: Void.self) { group in
                for index in 0..<500 where !valid.contains(Self.wrongCode(index)) {
                    group.addTask {
                        _ = try? await signIn.completeSecondFactor(
                            challenge: captured[index % captured.count], code: Self.wrongCode(index),
                            caller: Caller(ipAddress: "198.51.100.\(index % 250)"))
                    }
                }
            }
            let evaluated = try await Self.failedCodes(hub, account)
            #expect(evaluated <= TwoFactorService.accountPolicy.freeAttempts, "evaluated \(evaluated) codes")
            // Only the newest few challenges stay live at all.
            let live = try await hub.store.autocommit.peekToken(
                purpose: .signInChallenge, digest: hub.environment.digest(captured[0]), now: hub.clock.now())
            #expect(live == nil)
        }
    }

    @Test("200 concurrent wrong passwords verify at most the per-account budget", arguments: Backend.allCases)
    func concurrentWrongPasswordsForOneAccount(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("erin")
            let before = hub.hasher.verified
            let signIn = hub.services.signIn
            let outcomes = await concurrently(0..<200, refusals: SignInService.Error.self) { index in
                _ = try await signIn.signIn(
                    identifier: index % 2 == 0 ? "erin" : "erin@example.com", password: "guess-\(index)",
                    info: TestHub.info("bot"), kind: .api,
                    caller: Caller(ipAddress: "203.0.113.\(index % 200)"))
                return "signed-in"
            }
            let verified = hub.hasher.verified - before
            #expect(verified <= ThrottlePolicy.perAccount.freeAttempts, "verified \(verified) passwords")
            #expect(!outcomes.contains("signed-in"))
            #expect(!outcomes.contains { $0.hasPrefix("other") })
            // Each identifier has a budget of its own (the attempts past it get 429), the account one for both:
            // the attempts past the account's are held, logged as such and never checked.
            let failures = try await hub.audit(account.id).filter { $0.kind == AuditEvent.Kind.signInFailed.rawValue }
            #expect(failures.filter { $0.detail == "wrong password" }.count == verified)
            #expect(failures.count <= 2 * ThrottlePolicy.perAccount.freeAttempts)
            // The owner's known device still signs in at once.
            hub.clock.advance(1)
            _ = hub
        }
    }

    @Test(
        "200 concurrent wrong re-authentications with a stolen credential verify at most the per-account budget",
        arguments: Backend.allCases)
    func concurrentWrongReauthentications(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("gina")
            let stolen = try await hub.signIn("gina")
            let before = hub.hasher.verified
            let signIn = hub.services.signIn
            let outcomes = await concurrently(0..<200, refusals: SignInService.Error.self) { index in
                try await signIn.reauthenticate(
                    account: stolen.account, device: stolen.device, password: "guess-\(index)", code: nil,
                    caller: Caller(ipAddress: "198.51.100.\(index % 200)", deviceID: stolen.device.id))
                return "confirmed"
            }
            let verified = hub.hasher.verified - before
            #expect(verified <= ThrottlePolicy.perAccount.freeAttempts, "verified \(verified) passwords")
            #expect(!outcomes.contains("confirmed"))
            #expect(
                !outcomes.contains { $0.hasPrefix("other") },
                "\(outcomes.filter { $0.hasPrefix("other") }.prefix(2))")
            let failures = try await hub.audit(account.id).filter {
                $0.kind == AuditEvent.Kind.signInFailed.rawValue && $0.detail.contains("re-authentication")
            }
            #expect(failures.count == verified)
        }
    }

    @Test(
        "200 concurrent claim-code guesses from one account are held to the claim budget", arguments: Backend.allCases)
    func concurrentClaimCodeGuesses(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("hank")
            let device = try await hub.signIn("hank").device
            let servers = hub.services.servers
            let outcomes = await concurrently(0..<200) { index in
                _ = try await servers.claim(
                    code: String(format: "%08d", index), by: account, device: device,
                    caller: Caller(ipAddress: "203.0.113.\(index % 200)"))
                return "claimed"
            }
            #expect(!outcomes.contains("claimed"))
            #expect(!outcomes.contains { $0.hasPrefix("other") })
            let evaluated = outcomes.filter { $0 != "too_many_attempts" }.count
            #expect(evaluated <= ServerService.claimAttemptPolicy.freeAttempts, "evaluated \(evaluated) codes")
        }
    }

    @Test(
        "200 requests racing a revocation: none succeeds after the revoking request answered",
        arguments: Backend.allCases)
    func requestsRacingARevocation(backend: Backend) async throws {
        try await withHub(backend) { hub in
            try await hub.makeAccount("frank")
            let signedIn = try await hub.signIn("frank")
            let token = signedIn.token.value
            let devices = hub.services.devices
            let revokedAt = RevocationMark()
            let late = await withTaskGroup(of: Bool.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        if index == 100 {
                            try? await devices.revoke(
                                deviceID: signedIn.device.id, of: signedIn.account, caller: Caller(ipAddress: "x"))
                            revokedAt.mark()
                            return false
                        }
                        let startedAfter = revokedAt.isMarked
                        let result = try? await devices.authenticate(token: token, ipAddress: "192.0.2.10")
                        return startedAfter && result != nil
                    }
                }
                var count = 0
                for await wasLate in group where wasLate { count += 1 }
                return count
            }
            #expect(late == 0)
            // And nothing read before the revocation was put back into the cache.
            #expect(try await devices.authenticate(token: token, ipAddress: "192.0.2.10") == nil)
        }
    }
}

/// A flag one task sets and others read.
final class RevocationMark: Sendable {
    private let flag = Mutex(false)
    func mark() { flag.withLock { $0 = true } }
    var isMarked: Bool { flag.withLock { $0 } }
}
