import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import GatehouseHub

/// One request id through the answer, the error body and the log lines (`--log-format json`).
@Suite("Request id and JSON logs")
struct RequestIDTests {
    @Test("an error body carries the request id of its X-Request-Id header")
    func errorBodyCarriesTheRequestID() async throws {
        try await withHub(.sqlite) { hub in
            try await hub.withRouter { client in
                let response = try await client.execute(
                    uri: "/api/v1/sessions", method: .post, headers: JSON.headers,
                    body: JSON.body(["identifier": "nobody", "password": "not-the-password"]))
                #expect(response.status == .unauthorized)
                let error = JSON.object(response)["error"] as? [String: Any]
                let header = try #require(response.headers[HTTPField.Name("X-Request-Id")!])
                #expect(error?["request_id"] as? String == header)
                #expect(!JSON.sansRequestID(response).contains(header))
            }
        }
    }

    @Test("a JSON log line is one object with time, level, message and the request id from the metadata")
    func jsonLogLines() throws {
        let pipe = Pipe()
        var logger = Logger(
            label: "test",
            factory: { JSONLogHandler(label: $0, output: JSONLogOutput(handle: pipe.fileHandleForWriting)) })
        logger[metadataKey: "request_id"] = "req-123"
        logger.info("hub \"ready\"\nsecond line", metadata: ["port": "8080"])
        logger.debug("not shown at info")
        try pipe.fileHandleForWriting.close()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let lines = text.split(separator: "\n")
        #expect(lines.count == 1, "one line per entry, even with a newline in the message: \(text)")
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: String])
        #expect(object["message"] == "hub \"ready\"\nsecond line")
        #expect(object["level"] == "info")
        #expect(object["request_id"] == "req-123")
        #expect(object["port"] == "8080")
        #expect(object["label"] == "test")
        #expect(object["time"]?.hasSuffix("Z") == true)
    }
}
