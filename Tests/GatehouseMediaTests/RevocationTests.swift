import Foundation
import GatehouseWire
import Hummingbird
import HummingbirdTesting
import Testing

@testable import GatehouseMedia

@Suite("Revocation state")
struct RevocationTests: Sendable {
    let library: TestLibrary
    let signer = TestSigner()

    init() throws {
        library = try TestLibrary()
    }

    func status(_ server: MediaServer, _ token: String) async throws -> (HTTPResponse.Status, String?) {
        try await makeApp(server).test(.router) { client in
            try await client.execute(uri: "/api/library/sections", method: .get, headers: bearer(token)) {
                ($0.status, $0.errorCode)
            }
        }
    }

    @Test("a revoked device is refused, other devices of the account are not")
    func device() async throws {
        let server = try await library.makeServer(signer: signer)
        let lost = signer.token(dev: "dev-lost")
        let kept = signer.token(dev: "dev-kept")
        #expect(try await status(server, lost).0 == .ok)
        server.revocations.apply(
            .init(accountID: "acct-owner", deviceIDs: ["dev-lost"], allDevices: false, at: nowMillis()))
        #expect(try await status(server, lost) == (.unauthorized, "token_revoked"))
        #expect(try await status(server, kept).0 == .ok)
        // Even a token issued later for the revoked device stays refused.
        let now = Int64(Date().timeIntervalSince1970)
        #expect(try await status(server, signer.token(dev: "dev-lost", iat: now + 5)).0 == .unauthorized)
    }

    @Test("signing out all devices refuses every older token of that account only")
    func allDevices() async throws {
        let server = try await library.makeServer(signer: signer)
        let now = Int64(Date().timeIntervalSince1970)
        let mine = signer.token(sub: "acct-owner", dev: "dev-a", iat: now - 10)
        let other = signer.token(sub: "acct-friend", dev: "dev-f", own: false, sec: ["Music"], iat: now - 10)
        server.revocations.apply(.init(accountID: "acct-owner", deviceIDs: [], allDevices: true, at: (now - 1) * 1000))
        #expect(try await status(server, mine) == (.unauthorized, "token_revoked"))
        #expect(try await status(server, other).0 == .ok)
        // A device that signs in afterwards gets a newer token, which is accepted.
        #expect(try await status(server, signer.token(sub: "acct-owner", dev: "dev-new", iat: now)).0 == .ok)
    }

    @Test("after a stream hello, every token issued before it is refused")
    func helloNotBefore() async throws {
        let server = try await library.makeServer(signer: signer)
        let now = Int64(Date().timeIntervalSince1970)
        let old = signer.token(dev: "dev-a", iat: now - 20)
        #expect(try await status(server, old).0 == .ok)
        #expect(!server.revocations.isLive)
        server.revocations.applyHello(at: (now - 5) * 1000 + 700)
        #expect(server.revocations.isLive)
        #expect(try await status(server, old) == (.unauthorized, "token_revoked"))
        #expect(try await status(server, signer.token(dev: "dev-a", iat: now - 6)).0 == .unauthorized)
        // iat has whole seconds: a token from the hello's own second is accepted, and any later one.
        #expect(try await status(server, signer.token(dev: "dev-a", iat: now - 5)).0 == .ok)
        #expect(try await status(server, signer.token(dev: "dev-a", iat: now)).0 == .ok)
        // An older hello never moves the bound back.
        server.revocations.applyHello(at: (now - 100) * 1000)
        #expect(try await status(server, old).0 == .unauthorized)
        // A closed stream is reported, and the bound it set stays.
        server.revocations.streamClosed()
        #expect(!server.revocations.isLive)
        #expect(try await status(server, old).0 == .unauthorized)
    }

    @Test("pruning forgets only revocations older than any acceptable token")
    func pruning() {
        let state = RevocationState()
        state.apply(.init(accountID: "a", deviceIDs: ["d-old"], allDevices: false, at: 1_000))
        state.apply(.init(accountID: "a", deviceIDs: ["d-new"], allDevices: false, at: 9_000_000))
        state.prune(before: 5_000)
        #expect(!state.isRevoked(accountID: "a", deviceID: "d-old", issuedAt: 10_000))
        #expect(state.isRevoked(accountID: "a", deviceID: "d-new", issuedAt: 10_000))
    }

    @Test("a share taken back is a revocation naming one server: that server acts on it, any other ignores it")
    func serverScoped() throws {
        let text =
            #"{"account_id": "acct-friend", "device_ids": [], "all_devices": true, "at": 5000, "server_id": "srv-a"}"#
        let event = try JSONDecoder().decode(RevocationEvent.self, from: Data(text.utf8))
        #expect(event.serverID == "srv-a" && event.allDevices)
        #expect(event.applies(to: "srv-a"))
        #expect(!event.applies(to: "srv-b"))
        #expect(!event.applies(to: nil))
        // An event from an older hub (no server_id) applies everywhere, as before.
        let plain = try JSONDecoder().decode(
            RevocationEvent.self, from: Data(#"{"account_id": "a", "all_devices": true, "at": 1}"#.utf8))
        #expect(plain.serverID == nil && plain.applies(to: "srv-b"))
        // Applied on the named server: the friend's older tokens go, newer ones and other accounts stay.
        let state = RevocationState()
        state.apply(event)
        #expect(state.isRevoked(accountID: "acct-friend", deviceID: "d", issuedAt: 4))
        #expect(!state.isRevoked(accountID: "acct-friend", deviceID: "d", issuedAt: 6))
        #expect(!state.isRevoked(accountID: "acct-owner", deviceID: "o", issuedAt: 4))
    }

    func nowMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
}

@Suite("Server-sent events parsing")
struct ServerSentEventParserTests {
    @Test func events() throws {
        var parser = ServerSentEventParser()
        let text =
            ": ping\r\nevent: hello\r\ndata: {\"at\": 5}\r\n\r\n: ping\n\n"
            + "event: revocation\ndata: {\"a\":\ndata: 1}\n\n"
        var events: [ServerSentEventParser.Event] = []
        // Feed one byte at a time: chunk boundaries may fall anywhere.
        for byte in Array(text.utf8) {
            events += try parser.feed([byte])
        }
        #expect(events == [.init(name: "hello", data: "{\"at\": 5}"), .init(name: "revocation", data: "{\"a\":\n1}")])
    }

    @Test func overlongLine() {
        var parser = ServerSentEventParser()
        #expect(throws: ServerSentEventParser.Failure.lineTooLong) {
            _ = try parser.feed(Array(repeating: UInt8(ascii: "x"), count: 70_000))
        }
    }
}
