import NIOCore
import Testing

@testable import SMTPClient

@Suite("SMTP reply parsing and DATA encoding")
struct SMTPProtocolTests {
    func parse(_ lines: [String]) throws(SMTPError) -> [SMTPReply] {
        var parser = SMTPReplyParser()
        var replies: [SMTPReply] = []
        for line in lines {
            if let reply = try parser.consume(line: Array(line.utf8)) {
                replies.append(reply)
            }
        }
        return replies
    }

    @Test("multi-line replies are assembled")
    func multiLine() throws {
        let replies = try parse(["250-sink.test", "250-SIZE 1000", "250-AUTH PLAIN LOGIN", "250 HELP", "354 go ahead"])
        #expect(
            replies == [
                SMTPReply(code: 250, lines: ["sink.test", "SIZE 1000", "AUTH PLAIN LOGIN", "HELP"]),
                SMTPReply(code: 354, lines: ["go ahead"]),
            ])
        let capabilities = SMTPServerCapabilities(ehloReply: replies[0])
        #expect(capabilities.sizeLimit == 1000)
        #expect(capabilities.authenticationMechanisms == ["PLAIN", "LOGIN"])
        #expect(!capabilities.supportsStartTLS)
    }

    @Test("a bare code is a complete reply")
    func bareCode() throws {
        #expect(try parse(["220"]) == [SMTPReply(code: 220, lines: [""])])
    }

    @Test(
        "malformed replies are protocol violations",
        arguments: [
            ["hello"], ["25"], ["250x"], ["650 no"], ["199 no"], ["250-a", "251 b"],
        ])
    func malformed(lines: [String]) {
        #expect(throws: SMTPError.self) {
            try parse(lines)
        }
    }

    @Test("old-style AUTH=LOGIN is understood")
    func oldStyleAuth() {
        let capabilities = SMTPServerCapabilities(ehloReply: SMTPReply(code: 250, lines: ["x", "AUTH=LOGIN"]))
        #expect(capabilities.authenticationMechanisms == ["LOGIN"])
    }

    func encode(_ text: String) -> String {
        var buffer = ByteBuffer()
        SMTPDataEncoder.encode(Array(text.utf8), into: &buffer)
        return String(buffer: buffer)
    }

    @Test(
        "DATA content is dot-stuffed, CRLF-normalised and terminated",
        arguments: [
            ("a\r\n.b\r\n", "a\r\n..b\r\n.\r\n"),
            (".\r\n", "..\r\n.\r\n"),
            ("a\n.\nb", "a\r\n..\r\nb\r\n.\r\n"),
            ("a\r.\rb\r", "a\r\n..\r\nb\r\n.\r\n"),
            ("x.y\r\n..z", "x.y\r\n...z\r\n.\r\n"),
            ("", ".\r\n"),
        ])
    func dataEncoding(input: String, expected: String) {
        #expect(encode(input) == expected)
    }
}

@Suite("SMTP configuration")
struct SMTPConfigurationTests {
    @Test("the description never shows the password")
    func redactedDescription() {
        let configuration = SMTPConfiguration(host: "mail.example.org", username: "hub", password: "hunter2-secret")
        #expect(!configuration.description.contains("hunter2"))
        #expect(!String(reflecting: configuration).contains("hunter2"))
        #expect(configuration.description.contains("hub"))
        #expect(configuration.port == 587)
    }

    @Test(
        "an invalid HELO name or port is refused at once",
        arguments: [
            SMTPConfiguration(host: "h", port: 0, security: .none),
            SMTPConfiguration(host: "h", security: .none, heloName: "bad name\r\nRSET"),
        ])
    func invalidConfiguration(configuration: SMTPConfiguration) {
        #expect(throws: SMTPError.self) {
            _ = try SMTPClient(configuration: configuration)
        }
    }
}
