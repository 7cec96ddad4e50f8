import Foundation
import Testing

@testable import PasswordCheck

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

@Suite("Range API client against a local server")
struct PwnedRangeClientTests {
    /// The module links no HTTP client; these tests bring their own (the hub uses AsyncHTTPClient, covered end to end
    /// by e2e/test_password_policy.py's range API tests).
    private let fetcher = TestFetcher()

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
        let client = PwnedRangeClient(baseURL: server.baseURL, failureMode: .failClosed, fetcher: fetcher)
        #expect(try await client.isBreached(password: "password"))
        #expect(try await !client.isBreached(password: "padded-entry"))
        #expect(try await !client.isBreached(password: "a passphrase no one has leaked yet"))
    }

    @Test("Server errors: fail-open allows, fail-closed throws")
    func serverError() async throws {
        let server = try makeServer()
        defer { server.stop() }
        let broken = server.baseURL.appendingPathComponent("broken")
        let open = PwnedRangeClient(baseURL: broken, failureMode: .failOpen, fetcher: fetcher)
        #expect(try await !open.isBreached(password: "password"))
        let closed = PwnedRangeClient(baseURL: broken, failureMode: .failClosed, fetcher: fetcher)
        await #expect(throws: PwnedRangeClient.RangeError.self) {
            try await closed.isBreached(password: "password")
        }
    }

    @Test("Unreachable service: fail-open allows, fail-closed throws")
    func unreachable() async throws {
        let server = try makeServer()
        let base = server.baseURL
        server.stop()
        let open = PwnedRangeClient(baseURL: base, failureMode: .failOpen, fetcher: TestFetcher(timeout: 2))
        #expect(try await !open.isBreached(password: "password"))
        let closed = PwnedRangeClient(
            baseURL: base, failureMode: .failClosed, fetcher: TestFetcher(timeout: 2))
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
            baseURL: server.baseURL.appendingPathComponent("broken"), failureMode: .failClosed, fetcher: fetcher)
        let policy = PasswordPolicy(breachSource: closed)
        let problems = await policy.check(password: "plum orchard ceiling lantern")
        #expect(problems.map(\.code) == [.breachCheckUnavailable])
        let found = await PasswordPolicy(breachSource: PwnedRangeClient(baseURL: server.baseURL, fetcher: fetcher))
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

/// ``HTTPFetching`` on Foundation's `URLSession`, for these tests only.
private struct TestFetcher: HTTPFetching {
    var timeout: TimeInterval = 5

    struct NotHTTP: Error {}

    func get(_ url: URL, headers: [String: String]) async throws -> HTTPFetchResponse {
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        for (name, value) in headers {
            request.setValue(value, forHTTPHeaderField: name)
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw NotHTTP() }
        return HTTPFetchResponse(status: http.statusCode, body: Array(data))
    }
}
