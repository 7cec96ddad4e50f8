import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import GatehouseHub

/// A credential-stuffing wave: a breach list replayed over many accounts from many addresses, each staying under its
/// own per-account and per-address limits. The hub notices the rise, alerts the operators once, holds up unknown
/// devices, and lets the owners' known devices through.
@Suite("Attacks: a credential-stuffing wave")
struct StuffingWaveTests {
    @Test(
        "1,000 accounts from 200 addresses: the operators are alerted once, the owner's known device signs in",
        arguments: Backend.allCases)
    func waveIsNoticedAndKnownDevicesPass(backend: Backend) async throws {
        try await withHub(backend, configure: { $0.metricsToken = MetricsTests.token }) { hub in
            var admin = try await hub.makeAccount("root")
            admin.role = .admin
            try await hub.store.autocommit.updateAccount(admin)
            // The operator's browser, signed in before the wave.
            guard
                case .signedIn(let browser) = try await hub.services.signIn.signIn(
                    identifier: "root", password: TestHub.password, info: TestHub.info("root"), kind: .browser,
                    caller: Caller(ipAddress: "192.0.2.200"))
            else { throw TestFailure("the operator did not sign in") }
            let operatorSession = browser.token.value
            let names = (0..<1_000).map { "victim\($0)" }
            for name in names { try await hub.makeAccount(name) }
            // The owner of victim7 signed in from their TV last week: the TV holds the known-device secret.
            let owner = try await hub.signIn("victim7", address: "203.0.113.9")
            let signIn = hub.services.signIn
            // The replayed breach list: one guess per account, spread over 200 addresses, 50 at a time.
            var outcomes: [String: Int] = [:]
            for chunk in stride(from: 0, to: names.count, by: 50) {
                let results = await withTaskGroup(of: String.self) { group in
                    for index in chunk..<min(chunk + 50, names.count) {
                        group.addTask {
                            do {
                                _ = try await signIn.signIn(
                                    identifier: names[index], password: "breach-list-\(index)",
                                    info: TestHub.info("bot"), kind: .api,
                                    caller: Caller(ipAddress: "198.51.100.\(index % 200 + 1)"))
                                return "signed-in"
                            } catch let error as SignInService.Error {
                                return error.code
                            } catch {
                                return "other"
                            }
                        }
                    }
                    var all: [String] = []
                    for await result in group { all.append(result) }
                    return all
                }
                for result in results { outcomes[result, default: 0] += 1 }
            }
            #expect(outcomes["signed-in"] == nil)
            #expect(outcomes["other"] == nil)
            // Past the threshold (600 a minute) the rest are held up without a password check.
            #expect((outcomes["too_many_attempts"] ?? 0) >= 300, "\(outcomes)")
            #expect(hub.hasher.verified <= 700, "\(hub.hasher.verified) password checks")

            // During the wave: an unknown device is held up, the owner's known device signs in.
            await #expect(throws: SignInService.Error.self) {
                _ = try await hub.signIn("victim8", address: "192.0.2.77")
            }
            let again = try await hub.signIn("victim7", address: "203.0.113.9", known: owner.knownDeviceToken.value)
            #expect(again.account.username == "victim7")

            // The operators were told once, by mail, in the log and in the metrics.
            var alerts: [(subject: String, text: String)] = []
            for _ in 0..<50 {
                alerts = try await hub.mail(to: "root@example.com").filter {
                    $0.subject.contains("credential-stuffing wave")
                }
                if !alerts.isEmpty { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(alerts.count == 1)
            #expect(alerts.first?.text.contains("sign-ins from unknown devices failed in the last minute") == true)
            let log = try await hub.store.autocommit.auditEvents(chain: AuditEvent.systemChain, limit: 10_000)
            #expect(log.filter { $0.kind == AuditEvent.Kind.stuffingWave.rawValue }.count == 1)
            try await hub.withRouter { client in
                let text = try await MetricsTests.scrape(client)
                #expect(MetricsTests.sample(text, "gatehouse_stuffing_waves_total") == 1)
                #expect(
                    (MetricsTests.sample(text, #"gatehouse_signins_total{method="password",outcome="throttled"}"#) ?? 0)
                        >= 300)
                // The operators' page shows the wave.
                var headers = HTTPFields()
                headers[.cookie] = "__Host-gh_session=" + operatorSession
                let page = try await client.execute(uri: "/admin", method: .get, headers: headers)
                #expect(page.status == .ok)
                #expect(String(buffer: page.body).contains("Credential-stuffing wave:"))
            }
        }
    }
}
