import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import GatehouseCore
@testable import GatehouseHub

/// The media servers' own routes run behind ``ServerAuthenticator``: a `ghs_` credential of a claimed server, and
/// nothing else, reaches them.
@Suite("Servers: the server authenticator")
struct ServerAuthenticatorTests {
    static let credential = "ghs_" + String(repeating: "Q", count: 43)

    /// A server `den` claimed by `owner`, whose credential is ``credential``.
    static func claim(_ hub: TestHub, owner: Account) async throws {
        let digest = ServerService.keyedCredentialDigest(Digest.sha256Hex(credential), hub.environment)
        try await hub.store.autocommit.insertClaim(
            ServerClaim(
                codeDigest: "code-den", name: "den", version: "1.0.0", platform: "linux", url: "http://den.test",
                credentialDigest: digest, expiresAt: hub.clock.now().addingTimeInterval(600)))
        _ = try await hub.store.autocommit.completeClaim(
            codeDigest: "code-den", serverID: "den", ownerID: owner.id, at: hub.clock.now())
    }

    static func errorCode(_ response: TestResponse) -> String? {
        (JSON.object(response)["error"] as? [String: Any])?["code"] as? String
    }

    @Test(
        "the server's credential reaches its routes; no credential, a device's, another scheme or a replaced one is 401",
        arguments: Backend.allCases)
    func onlyTheServersCredential(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let owner = try await hub.makeAccount("omar")
            try await Self.claim(hub, owner: owner)
            let device = try await hub.signIn("omar")
            try await hub.withRouter { client in
                try await client.execute(
                    uri: "/api/v1/servers/me", method: .get, headers: [.authorization: "Bearer " + Self.credential]
                ) {
                    #expect($0.status == .ok)
                    #expect(JSON.object($0)["server_id"] as? String == "den")
                }
                var headers = JSON.bearer(Self.credential)
                try await client.execute(
                    uri: "/api/v1/servers/me/heartbeat", method: .post, headers: headers,
                    body: JSON.body(["version": "1.0.1", "platform": "linux"])
                ) { #expect($0.status == .noContent) }
                #expect(try await hub.store.autocommit.server(id: "den")?.version == "1.0.1")

                let refused: [HTTPFields] = [
                    [:], JSON.bearer(device.token.value), [.authorization: "Basic " + Self.credential],
                    [.authorization: "bearer"],
                ]
                for headers in refused {
                    try await client.execute(uri: "/api/v1/servers/me", method: .get, headers: headers) {
                        #expect($0.status == .unauthorized)
                        #expect(Self.errorCode($0) == "invalid_server_credential")
                    }
                }
                // A replaced credential (the server was claimed again) no longer reaches anything.
                let digest = ServerService.keyedCredentialDigest(Digest.sha256Hex(Self.credential), hub.environment)
                try await hub.store.autocommit.replaceServerCredentialDigest(
                    serverID: "den", from: digest, to: "replaced")
                headers = JSON.bearer(Self.credential)
                try await client.execute(uri: "/api/v1/servers/me/revocations", method: .get, headers: headers) {
                    #expect($0.status == .unauthorized)
                }
            }
        }
    }
}
