import Foundation
import Testing

@testable import PasswordCheck

@Suite("Range API client against a local server")
struct PwnedRangeClientTests {
    private func split(_ password: String) -> (prefix: String, suffix: String) {
        let hex = SHA1.hexString(SHA1.hash(password))
        return (String(hex.prefix(5)), String(hex.dropFirst(5)))
    }

    /// A server that knows "password" (count 3,861,493), lists "padded-entry" only as padding (count 0), and pads
    /// every range with a few made-up zero-count suffixes.
    private func makeServer() throws -> RangeServer {
        var ranges: [String: [String]] = [:]
        let breached = split("password")
        let padded = split("padded-entry")
        let filler = (0..<3).map { String(format: "%035X", $0 * 7919) + ":0" }
        ranges[breached.prefix, default: filler].append(breached.suffix + ":3861493")
        ranges[padded.prefix, default: filler].append(padded.suffix + ":0")
        return try RangeServer(ranges: ranges)
    }

    @Test("A breached password is found; a padded entry and an unknown password are not")
    func findsBreachedIgnoresPadding() async throws {
        let server = try makeServer()
        defer { server.stop() }
        let client = PwnedRangeClient(baseURL: server.baseURL, failureMode: .failClosed)
        #expect(try await client.isBreached(password: "password"))
        #expect(try await !client.isBreached(password: "padded-entry"))
        #expect(try await !client.isBreached(password: "a passphrase no one has leaked yet"))
    }

    @Test("Server errors: fail-open allows, fail-closed throws")
    func serverError() async throws {
        let server = try makeServer()
        defer { server.stop() }
        let broken = server.baseURL.appendingPathComponent("broken")
        let open = PwnedRangeClient(baseURL: broken, failureMode: .failOpen)
        #expect(try await !open.isBreached(password: "password"))
        let closed = PwnedRangeClient(baseURL: broken, failureMode: .failClosed)
        await #expect(throws: PwnedRangeClient.RangeError.self) {
            try await closed.isBreached(password: "password")
        }
    }

    @Test("Unreachable service: fail-open allows, fail-closed throws")
    func unreachable() async throws {
        let server = try makeServer()
        let base = server.baseURL
        server.stop()
        let open = PwnedRangeClient(baseURL: base, failureMode: .failOpen, fetcher: URLSessionFetcher(timeout: 2))
        #expect(try await !open.isBreached(password: "password"))
        let closed = PwnedRangeClient(
            baseURL: base, failureMode: .failClosed, fetcher: URLSessionFetcher(timeout: 2))
        await #expect(throws: PwnedRangeClient.RangeError.self) {
            try await closed.isBreached(password: "password")
        }
    }

    @Test("Only the five-character prefix is sent, with the padding header")
    func sendsOnlyThePrefix() async throws {
        let recorder = RecordingFetcher()
        let client = PwnedRangeClient(baseURL: URL(fileURLWithPath: "/unused"), fetcher: recorder)
        _ = try await client.isBreached(password: "password")
        let requests = await recorder.requests
        #expect(requests.count == 1)
        #expect(requests.first?.url.lastPathComponent == "5BAA6")
        #expect(requests.first?.headers["Add-Padding"] == "true")
    }

    @Test("Policy maps a fail-closed outage to breach_check_unavailable")
    func policyReportsOutage() async throws {
        let server = try makeServer()
        defer { server.stop() }
        let closed = PwnedRangeClient(
            baseURL: server.baseURL.appendingPathComponent("broken"), failureMode: .failClosed)
        let policy = PasswordPolicy(breachSource: closed)
        let problems = await policy.check(password: "plum orchard ceiling lantern")
        #expect(problems.map(\.code) == [.breachCheckUnavailable])
        let found = await PasswordPolicy(breachSource: PwnedRangeClient(baseURL: server.baseURL))
            .check(password: "password", context: PasswordContext())
        #expect(found.map(\.code).contains(.breached))
    }
}

private actor RecordingFetcher: HTTPFetching {
    var requests: [(url: URL, headers: [String: String])] = []

    func get(_ url: URL, headers: [String: String]) async throws -> HTTPFetchResponse {
        requests.append((url, headers))
        return HTTPFetchResponse(status: 200, body: Array("ABC:1\r\n".utf8))
    }
}
