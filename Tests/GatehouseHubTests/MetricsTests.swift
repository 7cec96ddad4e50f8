import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import GatehouseHub

/// `/metrics`: what it counts, who may read it, and that the dashboard shipped in the repository uses exactly the
/// names the hub exposes.
@Suite("Metrics")
struct MetricsTests {
    static let token = String(repeating: "m", count: 40)

    /// The value of the sample `name{labels}` in a text exposition, or nil.
    static func sample(_ text: String, _ series: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    static func scrape(_ client: any TestClientProtocol) async throws -> String {
        var headers = HTTPFields()
        headers[.authorization] = "Bearer " + token
        let response = try await client.execute(uri: "/metrics", method: .get, headers: headers)
        #expect(response.status == .ok)
        #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
        return String(buffer: response.body)
    }

    @Test(
        "sign-ins are counted by method and outcome, requests by route group and status class",
        arguments: Backend.allCases)
    func signInsAndRequestsAreCounted(backend: Backend) async throws {
        try await withHub(backend, configure: { $0.metricsToken = Self.token }) { hub in
            try await hub.makeAccount("alice")
            try await hub.withRouter { client in
                for password in [
                    TestHub.password, TestHub.password, "wrong-password-1", "wrong-password-2", "wrong-password-3",
                ] {
                    _ = try await client.execute(
                        uri: "/api/v1/sessions", method: .post, headers: JSON.headers,
                        body: JSON.body(["identifier": "alice", "password": password]))
                }
                _ = try await client.execute(uri: "/healthz", method: .get)
                let text = try await Self.scrape(client)
                #expect(Self.sample(text, #"gatehouse_signins_total{method="password",outcome="success"}"#) == 2)
                #expect(Self.sample(text, #"gatehouse_signins_total{method="password",outcome="failure"}"#) == 3)
                #expect(Self.sample(text, #"gatehouse_signins_total{method="passkey",outcome="success"}"#) == 0)
                #expect(Self.sample(text, #"gatehouse_http_requests_total{group="api_sessions",status="2xx"}"#) == 2)
                #expect(Self.sample(text, #"gatehouse_http_requests_total{group="api_sessions",status="4xx"}"#) == 3)
                #expect(Self.sample(text, #"gatehouse_http_requests_total{group="health",status="2xx"}"#) == 1)
                #expect(Self.sample(text, #"gatehouse_http_request_duration_seconds_count{group="api_sessions"}"#) == 5)
                // Two password checks per sign-in attempt at most went through the hashing pool, and waited there.
                #expect((Self.sample(text, "gatehouse_hash_wait_seconds_count") ?? 0) >= 5)
                #expect(Self.sample(text, "gatehouse_hash_rejected_total") == 0)
                // Each sign-in queued a new-sign-in mail (none delivered in-process).
                #expect(Self.sample(text, "gatehouse_outbox_backlog") ?? 0 >= 2)
                // Nothing secret or personal is a label.
                #expect(!text.contains("alice"))
                #expect(!text.contains(TestHub.password))
            }
        }
    }

    @Test(
        "/metrics on the public port answers 404 without the bearer token, and does not exist when metrics are off",
        arguments: Backend.allCases)
    func metricsNeedTheToken(backend: Backend) async throws {
        try await withHub(backend, configure: { $0.metricsToken = Self.token }) { hub in
            try await hub.withRouter { client in
                let anonymous = try await client.execute(uri: "/metrics", method: .get)
                #expect(anonymous.status == .notFound)
                var wrong = HTTPFields()
                wrong[.authorization] = "Bearer " + String(repeating: "x", count: 40)
                let guessed = try await client.execute(uri: "/metrics", method: .get, headers: wrong)
                #expect(guessed.status == .notFound)
            }
        }
        try await withHub(backend) { hub in
            #expect(hub.runtime.metricsEndpoint == nil)
            try await hub.withRouter { client in
                var headers = HTTPFields()
                headers[.authorization] = "Bearer " + Self.token
                let response = try await client.execute(uri: "/metrics", method: .get, headers: headers)
                #expect(response.status == .notFound)
            }
        }
    }

    @Test("route groups are a fixed set: no client-chosen path becomes a label")
    func routeGroupsAreBounded() {
        for path in [
            "/api/v1/sessions", "/api/v1/account/passkeys", "/api/v1/\(UUID().uuidString)/x", "/oauth/token",
            "/static/app.css", "/healthz", "/anything/\(UUID().uuidString)", "/api/v1/",
        ] {
            #expect(HubMetrics.routeGroups.contains(MetricsMiddleware.group(of: path)), "\(path)")
        }
        #expect(MetricsMiddleware.group(of: "/api/v1/sessions/passkey") == "api_sessions")
        #expect(MetricsMiddleware.group(of: "/api/v1/nope") == "api_other")
    }

    @Test("the Grafana dashboard uses exactly the metric names the hub exposes")
    func dashboardMatchesTheMetrics() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("ops/grafana-dashboard.json"), encoding: .utf8)
        _ = try JSONSerialization.jsonObject(with: Data(text.utf8))
        let pattern = try NSRegularExpression(pattern: "gatehouse_[a-z_]+")
        var used = Set<String>()
        for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            var name = String(text[Range(match.range, in: text)!])
            for suffix in ["_bucket", "_sum", "_count"]
            where name.hasSuffix(suffix) && !HubMetrics.Name.all.contains(name) {
                name = String(name.dropLast(suffix.count))
            }
            used.insert(name)
        }
        #expect(used == Set(HubMetrics.Name.all), "dashboard: \(used.sorted()), hub: \(HubMetrics.Name.all.sorted())")
    }
}
