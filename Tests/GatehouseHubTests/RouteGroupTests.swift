import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import GatehouseHub

/// Every route of every API group, in process: hostile input gets a 4xx JSON error in the one envelope, never a
/// 500; signed-in routes refuse a missing or unknown credential alike; page forms refuse a missing CSRF token.
@Suite("Route groups: the error envelope, authentication and CSRF on every route")
struct RouteGroupTests {
    /// The path with each `{name}` filled in.
    static func concrete(_ path: String, with value: String) -> String {
        path.replacingOccurrences(of: #"\{[^}]+\}"#, with: value, options: .regularExpression)
    }

    /// A 4xx answer in the envelope every error uses: `{"error": {"code", "message", "request_id"}}` as JSON.
    /// The OAuth endpoints answer as RFC 6749 section 5.2 says instead: `{"error": code, "error_description"}`.
    static func isEnvelope(_ response: TestResponse, oauth: Bool = false) -> Bool {
        guard response.headers[.contentType]?.hasPrefix("application/json") == true else { return false }
        if oauth { return JSON.object(response)["error"] is String }
        guard let error = JSON.object(response)["error"] as? [String: Any] else { return false }
        return error["code"] is String && error["message"] is String && error["request_id"] is String
    }

    static func routes(_ hub: TestHub) -> [(method: String, path: String)] {
        HubApplication.apiRoutes(services: hub.services)
    }

    @Test(
        "malformed, oversized and wrongly typed bodies get a 4xx JSON error on every API route, signed in or not",
        arguments: Backend.allCases)
    func hostileBodies(backend: Backend) async throws {
        try await withHub(backend) { hub in
            try await hub.makeAccount("alice")
            let routes = Self.routes(hub)
            #expect(routes.count > 60)
            let bodies: [(String, ByteBuffer)] = [
                ("truncated JSON", ByteBuffer(string: #"{"identifier": "#)),
                ("wrong types", ByteBuffer(string: #"{"identifier": 7, "password": [], "sections": "x", "name": {}}"#)),
                ("not UTF-8", ByteBuffer(bytes: [0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])),
                ("2 MB", ByteBuffer(repeating: UInt8(ascii: "a"), count: 2_000_000)),
            ]
            try await hub.withRouter { client in
                var failures: [String] = []
                for (index, route) in routes.enumerated() {
                    // A fresh device per route: a route that signs out must not spoil the next ones.
                    let signedIn = try await hub.signIn("alice", address: "198.51.100.\(index % 250 + 1)")
                    for (name, body) in bodies {
                        for token in [nil, signedIn.token.value] {
                            var headers: HTTPFields = [.contentType: "application/json"]
                            if let token { headers[.authorization] = "Bearer " + token }
                            let method = HTTPRequest.Method(route.method.uppercased())!
                            let response = try await client.execute(
                                uri: Self.concrete(route.path, with: "x"), method: method, headers: headers,
                                body: method == .get ? nil : body)
                            let who = token == nil ? "anonymous" : "signed in"
                            if response.status.code >= 500 {
                                failures.append("\(route.method) \(route.path) \(name) \(who): \(response.status.code)")
                            } else if response.status.code >= 400,
                                !Self.isEnvelope(response, oauth: route.path.hasPrefix("/oauth/"))
                            {
                                failures.append("\(route.method) \(route.path) \(name) \(who): not the envelope")
                            }
                        }
                    }
                }
                #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
            }
        }
    }

    @Test(
        "signed-in routes refuse a missing credential, and answer a revoked one exactly as one that never existed",
        arguments: Backend.allCases)
    func authenticationIsUniform(backend: Backend) async throws {
        try await withHub(backend) { hub in
            try await hub.makeAccount("alice")
            let revoked = try await hub.signIn("alice")
            _ = try await hub.services.devices.signOutAll(
                of: revoked.account, keepingCurrent: false, caller: Caller(ipAddress: "192.0.2.1"))
            try await hub.withRouter { client in
                func send(_ methodName: String, _ path: String, _ credential: String?) async throws -> TestResponse {
                    var headers = JSON.headers
                    if let credential { headers[.authorization] = credential }
                    let method = HTTPRequest.Method(methodName.uppercased())!
                    return try await client.execute(
                        uri: Self.concrete(path, with: "x"), method: method, headers: headers,
                        body: method == .get ? nil : JSON.body([:]))
                }
                // The signed-in routes: those that answer 401 without any credential.
                var signedInRoutes: [(String, String)] = []
                for route in Self.routes(hub)
                where try await send(route.method, route.path, nil).status == .unauthorized {
                    signedInRoutes.append((route.method, route.path))
                }
                #expect(signedInRoutes.count > 30)
                let neverExisted = "Bearer ghd_" + String(repeating: "A", count: 43)
                for (method, path) in signedInRoutes {
                    var answers: [String] = []
                    for credential in [
                        nil, "Bearer nonsense", "Basic !!!", neverExisted, "Bearer " + revoked.token.value,
                    ] {
                        let response = try await send(method, path, credential)
                        #expect(response.status == .unauthorized, "\(method) \(path) with \(credential ?? "none")")
                        #expect(Self.isEnvelope(response), "\(method) \(path) with \(credential ?? "none")")
                        answers.append(JSON.sansRequestID(response))
                    }
                    #expect(answers[3] == answers[4], "\(method) \(path): a revoked credential is told apart")
                }
            }
        }
    }

    @Test("page forms refuse a POST without the CSRF token, signed in or not", arguments: Backend.allCases)
    func pagesNeedCSRF(backend: Backend) async throws {
        try await withHub(backend) { hub in
            try await hub.makeAccount("alice")
            let forms = [
                "/sign-up", "/sign-in", "/sign-in/code", "/sign-out", "/forgot-password", "/reset-password", "/not-me",
                "/verify-email", "/account/security/password", "/account/security/2fa/disable",
                "/account/security/devices/sign-out-all", "/account/security/app-passwords", "/account/confirm",
                "/join", "/setup", "/link", "/recover", "/admin/incidents", "/account/invitations",
            ]
            try await hub.withRouter { client in
                for path in forms {
                    let response = try await client.execute(
                        uri: path, method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                        body: ByteBuffer(string: "identifier=alice&password=\(TestHub.password)"))
                    #expect(response.status.code < 500, "\(path): \(response.status.code)")
                    // Refused (403), or sent to sign in first (a redirect): never done (2xx).
                    #expect(
                        response.status == .forbidden || (300..<400).contains(response.status.code),
                        "\(path): \(response.status.code)")
                }
            }
            // Nothing happened: no device was made by the form sign-in without a token.
            #expect(
                try await hub.services.devices.devices(
                    of: try #require(try await hub.services.accounts.find(identifier: "alice"))
                ).isEmpty)
        }
    }
}
