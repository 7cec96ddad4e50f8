import Foundation
import Testing

@testable import GatehouseCore
@testable import GatehouseHub

/// Requests an outsider can repeat cheaply must not fill tables, mailboxes or guess a live code.
@Suite("Attacks: floods")
struct FloodTests {
    static func claimRequest(_ index: Int) -> ServerService.ClaimRequest {
        ServerService.ClaimRequest(
            name: "box \(index)", version: "1.0.0", platform: "Linux", url: "http://192.0.2.5:32400",
            credentialDigest: Digest.sha256Hex("ghs_\(index)"))
    }

    @Test("a flood of claim requests from one address is throttled", arguments: Backend.allCases)
    func claimRequestFloodIsThrottled(backend: Backend) async throws {
        try await withHub(backend) { hub in
            var throttled = 0
            for index in 0..<30 {
                do {
                    _ = try await hub.services.servers.requestClaim(
                        Self.claimRequest(index), caller: Caller(ipAddress: "203.0.113.40"))
                } catch SignInService.Error.throttled {
                    throttled += 1
                }
            }
            #expect(throttled == 30 - ServerService.claimRequestPolicy.freeAttempts)
            // Another address is not held up.
            _ = try await hub.services.servers.requestClaim(
                Self.claimRequest(99), caller: Caller(ipAddress: "203.0.113.41"))
        }
    }

    @Test(
        "guessing claim codes is throttled per account, and the live code is never found", arguments: Backend.allCases)
    func claimCodeGuessingIsThrottled(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("rhea")
            let device = try await hub.signIn("rhea").device
            let (live, _) = try await hub.services.servers.requestClaim(
                Self.claimRequest(1), caller: Caller(ipAddress: "192.0.2.5"))
            var outcomes: [String: Int] = [:]
            for index in 0..<40 {
                let guess = String(format: "%08d", index * 7_919)
                guard guess != live else { continue }
                do {
                    _ = try await hub.services.servers.claim(
                        code: guess, by: account, device: device, caller: Caller(ipAddress: "198.51.100.\(index)"))
                    outcomes["claimed", default: 0] += 1
                } catch let error as any PublicError {
                    outcomes[error.code, default: 0] += 1
                }
            }
            #expect(outcomes["claimed"] == nil)
            #expect(outcomes["too_many_attempts", default: 0] >= 40 - ServerService.claimAttemptPolicy.freeAttempts)
        }
    }

    @Test("reset requests from one address are bounded, whatever accounts they name", arguments: Backend.allCases)
    func resetRequestFloodIsBounded(backend: Backend) async throws {
        try await withHub(backend) { hub in
            for index in 0..<3 { try await hub.makeAccount("user\(index)") }
            for index in 0..<40 {
                try await hub.services.recovery.processResetRequest(
                    identifier: "user\(index % 3)", caller: Caller(ipAddress: "203.0.113.77"))
            }
            var resets = 0
            for index in 0..<3 {
                resets += try await hub.mail(to: "user\(index)@example.com").filter { $0.subject.contains("Reset") }
                    .count
            }
            // 20 requests an hour per address reach the lookup; each account gets at most 5 mails an hour.
            #expect(resets <= 15)
            #expect(resets >= 3)
        }
    }
}
