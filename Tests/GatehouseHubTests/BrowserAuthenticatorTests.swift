import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import GatehouseHub

/// The pages' authenticator: the session cookie is looked up once, in middleware, and every page reads the result.
@Suite("Pages: the browser authenticator")
struct BrowserAuthenticatorTests {
    static func cookie(_ token: String) -> HTTPFields {
        [.cookie: "\(BrowserSession.sessionCookie)=\(token)"]
    }

    /// A browser sign-in's credential (what the sign-in page puts in the session cookie).
    static func browserSignIn(_ hub: TestHub, _ name: String) async throws -> SignedIn {
        let outcome = try await hub.services.signIn.signIn(
            identifier: name, password: TestHub.password, info: TestHub.info(name), kind: .browser,
            caller: Caller(ipAddress: "192.0.2.10"), knownDeviceToken: nil)
        guard case .signedIn(let signedIn) = outcome else { throw TestFailure("second factor asked for \(name)") }
        return signedIn
    }

    static func csrf(in page: String) throws -> String {
        let marker = #"name="csrf" value=""#
        let start = try #require(page.range(of: marker)).upperBound
        return String(page[start...].prefix { $0 != "\"" })
    }

    @Test(
        "a page sees the holder behind the cookie; no cookie, an API credential or a revoked one is signed out",
        arguments: Backend.allCases)
    func pagesSeeTheCookiesHolder(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("ines")
            let browser = try await Self.browserSignIn(hub, "ines")
            let api = try await hub.signIn("ines")
            try await hub.withRouter { client in
                try await client.execute(uri: "/account", method: .get, headers: Self.cookie(browser.token.value)) {
                    #expect($0.status == .ok)
                    let page = String(buffer: $0.body)
                    #expect(page.contains("ines@example.com"))
                    #expect(page.contains(#"action="/sign-out""#))
                }
                try await client.execute(uri: "/account", method: .get) {
                    #expect($0.status == .seeOther)
                    #expect($0.headers[.location] == "/sign-in")
                }
                // A device credential that is not a browser's is no session cookie.
                try await client.execute(uri: "/account", method: .get, headers: Self.cookie(api.token.value)) {
                    #expect($0.status == .seeOther)
                }
                // Assets are served without a lookup, to anyone.
                try await client.execute(uri: "/static/passkeys.js", method: .get) { #expect($0.status == .ok) }
                try await hub.services.devices.revoke(
                    deviceID: browser.device.id, of: account, caller: Caller(ipAddress: "192.0.2.10"))
                try await client.execute(uri: "/account", method: .get, headers: Self.cookie(browser.token.value)) {
                    #expect($0.status == .seeOther)
                }
            }
        }
    }

    @Test(
        "locking the account from this very browser draws the answer signed out (the session is looked up again)",
        arguments: Backend.allCases)
    func lockingRedrawsSignedOut(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("jude")
            let browser = try await Self.browserSignIn(hub, "jude")
            let link = try await LockdownTests.lockLink(hub, account.email, subject: "New sign-in")
            try await hub.withRouter { client in
                var csrf = ""
                try await client.execute(uri: "/account", method: .get, headers: Self.cookie(browser.token.value)) {
                    csrf = try Self.csrf(in: String(buffer: $0.body))
                }
                var headers = Self.cookie(browser.token.value)
                headers[.contentType] = "application/x-www-form-urlencoded"
                let form = "csrf=\(csrf)&token=\(link)"
                try await client.execute(
                    uri: "/not-me", method: .post, headers: headers, body: ByteBuffer(string: form)
                ) {
                    #expect($0.status == .ok)
                    let page = String(buffer: $0.body)
                    #expect(page.contains("Account locked"))
                    #expect(!page.contains(#"action="/sign-out""#))
                }
            }
        }
    }
}
