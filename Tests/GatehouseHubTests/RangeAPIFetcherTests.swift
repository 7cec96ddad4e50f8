import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PasswordCheck
import Testing

@testable import GatehouseHub

@Suite("The range API's HTTP client (AsyncHTTPClient) against a live server")
struct RangeAPIFetcherTests {
    static let padding = HTTPField.Name("Add-Padding")!

    static func rangeService() -> Router<BasicRequestContext> {
        let router = Router()
        // Answers a range, echoing the padding header so the test sees it was sent.
        router.get("/range/:prefix") { request, context in
            let prefix = context.parameters.get("prefix") ?? ""
            return "\(prefix)0000000000000000000000000000000000:\(request.headers[Self.padding] ?? "none")\r\n"
        }
        // Twice the largest answer the fetcher reads.
        router.get("/huge/range/:prefix") { _, _ in String(repeating: "A", count: 2 << 20) }
        return router
    }

    @Test func readsAnAnswerWithItsHeadersAndRefusesAnOversizedOne() async throws {
        let app = Application(router: Self.rangeService())
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let base = "http://127.0.0.1:\(port)"
            let fetcher = RangeAPIFetcher()

            let answer = try await fetcher.get(URL(string: base + "/range/5BAA6")!, headers: ["Add-Padding": "true"])
            #expect(answer.status == 200)
            #expect(String(decoding: answer.body, as: UTF8.self) == "5BAA60000000000000000000000000000000000:true\r\n")
            #expect(try await fetcher.get(URL(string: base + "/nothing")!, headers: [:]).status == 404)

            await #expect(throws: (any Error).self) {
                _ = try await fetcher.get(URL(string: base + "/huge/range/5BAA6")!, headers: [:])
            }
            // Through the range client: an oversized answer is a failed request, which fail-closed reports.
            let closed = PwnedRangeClient(
                baseURL: URL(string: base + "/huge")!, failureMode: .failClosed, fetcher: fetcher)
            await #expect(throws: PwnedRangeClient.RangeError.self) {
                _ = try await closed.isBreached(password: "password")
            }
        }
    }
}
