import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import GatehouseHub

/// HSTS: the hub that terminates TLS itself (`--tls-cert`) sends the short policy on every answer, errors included;
/// behind an https proxy the long one; on plain HTTP none. The handshake itself is e2e/test_tls.py.
@Suite("Strict-Transport-Security")
struct StrictTransportSecurityTests {
    static let hsts = HTTPField.Name("Strict-Transport-Security")!

    static func policy(ownTLS: Bool, path: String, headers: HTTPFields = [:]) async throws -> String? {
        let router = Router(context: HubRequestContext.self)
        router.add(middleware: HubErrorMiddleware(pages: nil, ownTLS: ownTLS))
        router.get("/healthz") { _, _ in "ok" }
        let app = Application(router: router)
        return try await app.test(.router) { client in
            try await client.execute(uri: path, method: .get, headers: headers) { response in
                response.headers[hsts]
            }
        }
    }

    @Test func ownTLSSendsTheShortPolicyEverywhere() async throws {
        #expect(try await Self.policy(ownTLS: true, path: "/healthz") == "max-age=86400")
        #expect(try await Self.policy(ownTLS: true, path: "/api/v1/nowhere") == "max-age=86400")
    }

    @Test func behindAnHTTPSProxyTheLongPolicyStays() async throws {
        let forwarded: HTTPFields = [HTTPField.Name("X-Forwarded-Proto")!: "https"]
        #expect(
            try await Self.policy(ownTLS: false, path: "/healthz", headers: forwarded)
                == "max-age=63072000; includeSubDomains")
        #expect(try await Self.policy(ownTLS: true, path: "/healthz", headers: forwarded) == "max-age=86400")
        #expect(try await Self.policy(ownTLS: false, path: "/healthz") == nil)
    }
}
