import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOHTTP1
import Testing

@testable import GatehouseHub

@Suite("Client address behind proxies; malformed bodies")
struct ClientAddressMiddlewareTests {
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    /// A router that answers with the client address the middleware worked out and its throttle key.
    static func whoAmI(trustedProxies: [IPNetwork]) -> Router<HubRequestContext> {
        let router = Router(context: HubRequestContext.self)
        router.add(middleware: ClientAddressMiddleware(trustedProxies: trustedProxies))
        router.get("/whoami") { _, context in
            "\(context.clientAddress) \(Caller(ipAddress: context.clientAddress).addressKey)"
        }
        return router
    }

    @Test func spoofedLeftmostForwardedHopIsIgnoredBehindATrustedProxy() async throws {
        let app = Application(router: Self.whoAmI(trustedProxies: [try IPNetwork("127.0.0.1/32")]))
        try await app.test(.live) { client in
            try await client.execute(
                uri: "/whoami", method: .get, headers: [Self.forwardedFor: "203.0.113.9, 198.51.100.7"]
            ) { response in
                #expect(String(buffer: response.body) == "198.51.100.7 198.51.100.7")
            }
            try await client.execute(
                uri: "/whoami", method: .get, headers: [Self.forwardedFor: "203.0.113.9, 2001:DB8:1:2:0::9"]
            ) { response in
                #expect(String(buffer: response.body) == "2001:db8:1:2::9 2001:db8:1:2::/64")
            }
            try await client.execute(uri: "/whoami", method: .get, headers: [Self.forwardedFor: "not-an-address"]) {
                response in
                #expect(String(buffer: response.body) == "127.0.0.1 127.0.0.1")
            }
        }
    }

    @Test func forwardedForIsIgnoredWithoutTrustedProxies() async throws {
        for proxies in [[], [try IPNetwork("10.0.0.0/8")]] {
            let app = Application(router: Self.whoAmI(trustedProxies: proxies))
            try await app.test(.live) { client in
                try await client.execute(
                    uri: "/whoami", method: .get, headers: [Self.forwardedFor: "198.51.100.7"]
                ) { response in
                    #expect(String(buffer: response.body) == "127.0.0.1 127.0.0.1")
                }
            }
        }
    }

    /// NIO's parser error used to become `500 internal_error`.
    @Test func parserErrorFromABodyIsA400WithTheJSONEnvelope() async throws {
        let router = Router(context: HubRequestContext.self)
        router.add(middleware: HubErrorMiddleware(pages: nil))
        router.post("/api/v1/sessions") { _, _ -> Response in throw HTTPParserError.invalidChunkSize }
        let app = Application(router: router)
        try await app.test(.router) { client in
            try await client.execute(uri: "/api/v1/sessions", method: .post) { response in
                #expect(response.status == .badRequest)
                #expect(response.headers[.connection] == "close")
                let body =
                    try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
                let error = body?["error"] as? [String: Any]
                #expect(error?["code"] as? String == "malformed_body")
            }
        }
    }

    @Test func nulInJSONIsFoundOnlyWhereItIsANul() {
        #expect(BodyReader.containsNUL(json: Data(#"{"a": "x\u0000"}"#.utf8)))
        #expect(BodyReader.containsNUL(json: Data([0x7b, 0x00, 0x7d])))
        #expect(!BodyReader.containsNUL(json: Data(#"{"a": "x\\u0000"}"#.utf8)))
        #expect(!BodyReader.containsNUL(json: Data(#"{"a": "x\u0001\\"}"#.utf8)))
        #expect(!BodyReader.containsNUL(json: Data(#"{"a": "\"}"#.utf8)))
    }

    /// The whole hub in process: NUL and invalid UTF-8 in JSON bodies are 400s, on every route that reads one.
    @Test func nulAndInvalidUTF8InJSONAreRefusedBeforeAnyService() async throws {
        try await withHub { client in
            let bodies: [(String, [UInt8])] = [
                ("invalid_character", Array(#"{"identifier": "a\u0000", "password": "p"}"#.utf8)),
                ("invalid_character", Array(#"{"username": "a", "email": "a@b.c", "password": "p\u0000"}"#.utf8)),
                ("invalid_utf8", [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]),
            ]
            for path in ["/api/v1/sessions", "/api/v1/password-reset", "/api/v1/accounts"] {
                for (code, body) in bodies {
                    try await client.execute(
                        uri: path, method: .post, headers: [.contentType: "application/json"],
                        body: ByteBuffer(bytes: body)
                    ) { response in
                        #expect(response.status == .badRequest, "\(path)")
                        #expect(String(buffer: response.body).contains("\"\(code)\""), "\(path)")
                    }
                }
            }
        }
    }

    /// Behind a trusted proxy, 21+ failed sign-ins with `X-Forwarded-For: 203.0.113.9, 198.51.100.7` throttle
    /// 198.51.100.7, not the spoofable 203.0.113.9 and not everyone behind the proxy.
    @Test func spoofedForwardedForDoesNotEscapeTheThrottle() async throws {
        try await withHub(trustedProxies: [try IPNetwork("127.0.0.1/32")]) { client in
            func signIn(_ forwarded: String, _ identifier: String, _ password: String) async throws
                -> HTTPResponse
                .Status
            {
                let body = #"{"identifier": "\#(identifier)", "password": "\#(password)"}"#
                return try await client.execute(
                    uri: "/api/v1/sessions", method: .post,
                    headers: [.contentType: "application/json", Self.forwardedFor: forwarded],
                    body: ByteBuffer(string: body)
                ) { $0.status }
            }
            let account =
                #"{"username": "victim", "email": "victim@example.com", "password": "violet-kestrel-harbour-42"}"#
            try await client.execute(
                uri: "/api/v1/accounts", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: account)
            ) { #expect($0.status == .accepted) }
            var statuses: [HTTPResponse.Status] = []
            for attempt in 0..<25 {
                statuses.append(try await signIn("203.0.113.9, 198.51.100.7", "nobody\(attempt)", "wrong"))
            }
            #expect(statuses.first == .unauthorized)
            #expect(statuses.last == .tooManyRequests)
            #expect(try await signIn("198.51.100.8, 198.51.100.7", "nobody-x", "wrong") == .tooManyRequests)
            #expect(try await signIn("203.0.113.9, 198.51.100.8", "victim", "violet-kestrel-harbour-42") == .created)
            #expect(
                try await signIn("203.0.113.9, 198.51.100.7", "victim", "violet-kestrel-harbour-42") == .tooManyRequests
            )
        }
    }

    /// A live hub (real sockets, so the peer address is real) on the in-process harness: its manual clock never
    /// moves, so throttle delays cannot run out while a slow machine works through the requests.
    func withHub(
        trustedProxies: [IPNetwork] = [], _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        try await GatehouseHubTests.withHub(.sqlite, configure: { $0.trustedProxies = trustedProxies }) { hub in
            let app = Application(router: HubApplication.makeRouter(runtime: hub.runtime))
            try await app.test(.live, body)
        }
    }
}
