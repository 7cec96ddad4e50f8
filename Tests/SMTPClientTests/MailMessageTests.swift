import Foundation
import Testing

@testable import SMTPClient

@Suite("MailMessage rendering")
struct MailMessageTests {
    func message(subject: String = "Hi", from: MailAddress = MailAddress("a@example.org")) -> MailMessage {
        MailMessage(from: from, to: [MailAddress("b@example.org")], subject: subject, textBody: "Body\n")
    }

    func rendered(_ message: MailMessage) throws -> String {
        String(decoding: try message.render(), as: UTF8.self)
    }

    @Test(
        "line breaks in any header value are rejected",
        arguments: [
            "Hi\r\nBcc: victim@example.org", "Hi\nX-Evil: 1", "Hi\rX", "Hi\u{0}",
        ])
    func headerInjection(value: String) {
        #expect(throws: MailMessage.Error.headerInjection("Subject")) {
            try message(subject: value).render()
        }
        var extra = message()
        extra.extraHeaders = [MailMessage.Header("X-Phrase", value)]
        #expect(throws: MailMessage.Error.headerInjection("X-Phrase")) {
            try extra.render()
        }
        #expect(throws: MailMessage.Error.self) {
            try message(from: MailAddress("a@example.org", displayName: value)).render()
        }
        var id = message()
        id.messageID = "x@y>\(value)"
        #expect(throws: MailMessage.Error.self) {
            try id.render()
        }
    }

    @Test(
        "malformed addresses are rejected",
        arguments: [
            "no-at-sign", "a@b@", "a b@example.org", "a@exa mple.org", "<a@example.org>",
            "a@example.org>\r\nRCPT TO:<x@y>",
            "ünï@example.org", "a..b@example.org", "@example.org", "a@",
        ])
    func invalidAddress(address: String) {
        #expect(throws: MailMessage.Error.invalidAddress(address)) {
            try message(from: MailAddress(address)).render()
        }
    }

    @Test(
        "extra headers cannot replace the ones the renderer writes",
        arguments: [
            "From", "to", "BCC", "Subject", "Date", "Content-Type", "MIME-Version", "Message-ID", "Bad Name", "Colon:",
        ])
    func reservedHeaders(name: String) {
        var mail = message()
        mail.extraHeaders = [MailMessage.Header(name, "x")]
        #expect(throws: MailMessage.Error.invalidHeaderName(name)) {
            try mail.render()
        }
    }

    @Test(
        "Date is RFC 5322 in UTC",
        arguments: [
            (0.0, "Thu, 1 Jan 1970 00:00:00 +0000"),
            (951_827_696.0, "Tue, 29 Feb 2000 12:34:56 +0000"),
            (1_764_423_907.9, "Sat, 29 Nov 2025 13:45:07 +0000"),
            (4_133_980_799.0, "Fri, 31 Dec 2100 23:59:59 +0000"),
        ])
    func date(seconds: Double, expected: String) throws {
        #expect(MailDate.format(Date(timeIntervalSince1970: seconds)) == expected)
        var mail = message()
        mail.date = Date(timeIntervalSince1970: seconds)
        #expect(try rendered(mail).hasPrefix("Date: \(expected)\r\n"))
    }

    @Test("every line ends with CRLF and none is longer than 78 characters")
    func lineEndingsAndLengths() throws {
        var mail = message(subject: String(repeating: "word ", count: 40) + String(repeating: "é", count: 100))
        mail.textBody = String(repeating: "x", count: 500) + "\nshort\r\nold mac\rend\n"
        mail.htmlBody = "<p>" + String(repeating: "ü", count: 300) + "</p>"
        let bytes = try mail.render()
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasSuffix("\r\n"))
        for (index, byte) in bytes.enumerated() where byte == 0x0A {
            #expect(index > 0 && bytes[index - 1] == 0x0D)
        }
        for (index, byte) in bytes.enumerated() where byte == 0x0D {
            #expect(index + 1 < bytes.count && bytes[index + 1] == 0x0A)
        }
        #expect(text.components(separatedBy: "\r\n").filter { $0.utf8.count > 78 } == [])
    }

    @Test("an ASCII subject stays readable")
    func asciiSubject() throws {
        #expect(
            try rendered(message(subject: "Your password was changed")).contains(
                "\r\nSubject: Your password was changed\r\n"))
    }

    @Test("text that looks like an encoded word is encoded, so it reads back literally")
    func encodedWordLookalike() throws {
        let text = try rendered(message(subject: "=?UTF-8?B?SGk=?="))
        #expect(!text.contains("Subject: =?UTF-8?B?SGk=?=\r\n"))
    }

    @Test("encoded words stay within 75 characters and split between characters")
    func encodedWordLimits() {
        let words = MIMEEncoding.encodedWords(String(repeating: "🔐é", count: 40))
        #expect(words.count > 1)
        for word in words {
            #expect(word.utf8.count <= 75)
            let payload = word.dropFirst("=?UTF-8?B?".count).dropLast(2)
            let decoded = Data(base64Encoded: String(payload)).map { String(data: $0, encoding: .utf8) }
            #expect((decoded ?? nil)?.isEmpty == false, "each word must decode to UTF-8 on its own")
        }
    }

    @Test("quoted-printable escapes '=', non-ASCII and trailing whitespace")
    func quotedPrintable() {
        #expect(MIMEEncoding.quotedPrintable("a=b é \nx\t") == "a=3Db =C3=A9=20\r\nx=09")
        let long = MIMEEncoding.quotedPrintable(String(repeating: "a", count: 100))
        #expect(long == String(repeating: "a", count: 75) + "=\r\n" + String(repeating: "a", count: 25))
    }

    @Test("the envelope lists To, Cc and Bcc; the null sender is allowed")
    func envelope() throws {
        var mail = message()
        mail.cc = [MailAddress("c@example.org")]
        mail.bcc = [MailAddress("d@example.org")]
        #expect(
            mail.envelope
                == SMTPEnvelope(
                    sender: "a@example.org",
                    recipients: [
                        "b@example.org", "c@example.org", "d@example.org",
                    ]))
        #expect(throws: Never.self) {
            try SMTPEnvelope(sender: "", recipients: ["b@example.org"]).validate()
        }
        #expect(throws: SMTPError.invalidMessage("no recipients")) {
            try SMTPEnvelope(sender: "a@example.org", recipients: []).validate()
        }
    }

    @Test("two renders of one message are identical")
    func stableRendering() throws {
        var mail = message()
        mail.htmlBody = "<p>x</p>"
        let first = try rendered(mail)
        let second = try rendered(mail)
        let withoutBoundary = { (text: String) in
            text.replacingOccurrences(of: #"=_gatehouse_[0-9a-f]+"#, with: "B", options: .regularExpression)
        }
        #expect(withoutBoundary(first) == withoutBoundary(second))
    }
}
