import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import GatehouseHub

/// Canary accounts: a stolen copy of the database used against the hub raises the alarm, and the copy alone
/// cannot tell the canaries from real accounts.
@Suite("Attacks: a stolen database used against the hub")
struct CanaryTests {
    @Test(
        "a sign-in with a canary's name alerts the admins at once and answers like any wrong password",
        arguments: Backend.allCases)
    func canarySignInAlertsTheOperators(backend: Backend) async throws {
        try await withHub(backend, configure: { $0.metricsToken = MetricsTests.token }) { hub in
            var admin = try await hub.makeAccount("root")
            admin.role = .admin
            try await hub.store.autocommit.updateAccount(admin)
            try await hub.makeAccount("alice")
            let canaries = try await CanaryService(environment: hub.environment).create(count: 3, domain: "example.net")
            #expect(canaries.count == 3)
            let canary = try #require(canaries.first)
            try await hub.withRouter { client in
                func attempt(_ name: String) async throws -> TestResponse {
                    try await client.execute(
                        uri: "/api/v1/sessions", method: .post, headers: JSON.headers,
                        body: JSON.body(["identifier": name, "password": "breach-list-password-1"]))
                }
                let onCanary = try await attempt(canary.username)
                let onReal = try await attempt("alice")
                #expect(onCanary.status == .unauthorized)
                #expect(JSON.sansRequestID(onCanary) == JSON.sansRequestID(onReal))
                _ = try await attempt(canary.email)  // the same canary again: no second alert within 10 minutes
                let reset = try await client.execute(
                    uri: "/api/v1/password-reset", method: .post, headers: JSON.headers,
                    body: JSON.body(["identifier": canaries[1].username]))
                #expect(reset.status == .accepted)
                var text = ""
                for _ in 0..<50 {
                    text = try await MetricsTests.scrape(client)
                    if MetricsTests.sample(text, "gatehouse_canary_alerts_total") == 2 { break }
                    try await Task.sleep(for: .milliseconds(100))
                }
                #expect(MetricsTests.sample(text, "gatehouse_canary_alerts_total") == 2)
            }
            let alerts = try await hub.mail(to: "root@example.com").filter {
                $0.subject == "Alert: a canary account was used"
            }
            #expect(alerts.count == 2)
            #expect(alerts.contains { $0.text.contains("sign-in on the canary account \(canary.username)") })
            #expect(
                alerts.contains { $0.text.contains("password reset on the canary account \(canaries[1].username)") })
            #expect(try await hub.mail(to: "alice@example.com").allSatisfy { !$0.subject.contains("canary") })
            let log = try await hub.store.autocommit.auditEvents(chain: AuditEvent.systemChain, limit: 100)
            #expect(log.filter { $0.kind == AuditEvent.Kind.canaryTripped.rawValue }.count == 2)
            // The canary's own sign-in failed like any: nothing tells it apart from outside.
            #expect(try await hub.mail(to: canary.email).isEmpty)
        }
    }

    @Test(
        "a copy of the database cannot tell canaries from accounts: only keyed digests mark them",
        arguments: Backend.allCases)
    func canariesAreHiddenInTheDatabase(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let canaries = try await CanaryService(environment: hub.environment).create(count: 5, domain: "example.net")
            let digests = try await hub.store.autocommit.canaryDigests()
            #expect(digests.count == 5)
            for canary in canaries {
                #expect(digests.allSatisfy { !$0.contains(canary.id) && !$0.contains(canary.username) })
                // Unkeyed guesses do not match: the digest needs the keyring.
                #expect(!digests.contains(Digest.sha256Hex("canary:" + canary.id)))
                let stored = try #require(try await hub.store.autocommit.account(id: canary.id))
                #expect(stored.isEmailVerified && stored.role == .user)
                #expect(
                    try await hub.store.autocommit.passwordHash(accountID: canary.id)?.hasPrefix("$argon2id$") == true)
            }
            let listed = try await CanaryService(environment: hub.environment).canaries(
                among: try await hub.store.autocommit.searchAccounts("", limit: 100))
            #expect(Set(listed.map(\.id)) == Set(canaries.map(\.id)))
        }
    }
}
