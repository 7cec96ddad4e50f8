import Foundation
import Testing

@testable import SMTPClient

/// Delivery through a real SMTP server (aiosmtpd), checked by reading what it stored with Python's email package.
@Suite("SMTP delivery to a live server")
struct SMTPClientDeliveryTests {
    static let user = "mailer"
    static let password = "s3cret pässword"

    func message(
        subject: String = "Hello",
        text: String? = "Hello there.\n",
        html: String? = nil,
        to: [MailAddress] = [MailAddress("alice@example.org", displayName: "Alice")],
        encoding: MailMessage.BodyEncoding = .quotedPrintable
    ) -> MailMessage {
        MailMessage(
            from: MailAddress("no-reply@gatehouse.test", displayName: "Gatehouse"),
            to: to,
            subject: subject,
            textBody: text,
            htmlBody: html,
            bodyEncoding: encoding
        )
    }

    func plainConfiguration(port: Int) -> SMTPConfiguration {
        SMTPConfiguration(host: "127.0.0.1", port: port, security: .none, timeout: .seconds(10))
    }

    func tlsConfiguration(
        port: Int,
        security: SMTPConfiguration.Security,
        certificate: TestCertificate,
        mechanisms: [SMTPConfiguration.AuthenticationMechanism] = [.plain, .login]
    ) -> SMTPConfiguration {
        SMTPConfiguration(
            host: "localhost",
            port: port,
            security: security,
            username: Self.user,
            password: Self.password,
            authenticationMechanisms: mechanisms,
            timeout: .seconds(10),
            tls: SMTPTLSOptions(verification: .customCA(pemFile: certificate.certificate))
        )
    }

    @Test("plain SMTP delivers the message unchanged")
    func plainDelivery() async throws {
        let sink = try SMTPSink.start()
        let client = try SMTPClient(configuration: plainConfiguration(port: sink.port))
        let sent = message(subject: "Verify your email", text: "Your code is 123456.\nThanks.\n")
        try await client.send(sent)

        let received = try sink.received()
        try #require(received.count == 1)
        #expect(received[0].mailFrom == "no-reply@gatehouse.test")
        #expect(received[0].recipients == ["alice@example.org"])
        #expect(received[0].usedTLS == false)
        let parsed = try ParsedMail.parse(received[0].file)
        #expect(parsed.subject == "Verify your email")
        #expect(parsed.text == "Your code is 123456.\nThanks.\n")
        #expect(parsed.from == "Gatehouse <no-reply@gatehouse.test>")
        #expect(parsed.to == "Alice <alice@example.org>")
        #expect(parsed.messageID == "<\(sent.messageID)>")
        #expect(parsed.defects.isEmpty)
    }

    @Test(
        "STARTTLS, then AUTH with each mechanism",
        arguments: [
            SMTPConfiguration.AuthenticationMechanism.plain, .login,
        ])
    func startTLSWithAuthentication(mechanism: SMTPConfiguration.AuthenticationMechanism) async throws {
        let certificate = try TestCertificate.make()
        let sink = try SMTPSink.start(
            certificate.sinkArguments + [
                "--require-starttls", "--auth-user", Self.user, "--auth-password", Self.password,
                "--auth-mechanisms", mechanism.rawValue,
            ]
        )
        let client = try SMTPClient(
            configuration: tlsConfiguration(port: sink.port, security: .startTLS, certificate: certificate)
        )
        try await client.verifyConnection()
        try await client.send(message())

        let received = try sink.received()
        try #require(received.count == 1)
        #expect(received[0].usedTLS)
        #expect(received[0].authUser == Self.user)
    }

    @Test("implicit TLS with AUTH")
    func implicitTLS() async throws {
        let certificate = try TestCertificate.make()
        let sink = try SMTPSink.start(
            certificate.sinkArguments + ["--implicit-tls", "--auth-user", Self.user, "--auth-password", Self.password]
        )
        let configuration = tlsConfiguration(port: sink.port, security: .implicitTLS, certificate: certificate)
        try await SMTPClient(configuration: configuration).send(message())

        let received = try sink.received()
        try #require(received.count == 1)
        #expect(received[0].usedTLS)
        #expect(received[0].authUser == Self.user)
    }

    @Test("To, Cc and Bcc all reach the envelope; Bcc stays out of the header")
    func multipleRecipients() async throws {
        let sink = try SMTPSink.start()
        var mail = message(to: [MailAddress("a@example.org"), MailAddress("b@example.org", displayName: "Bee, B.")])
        mail.cc = [MailAddress("c@example.org")]
        mail.bcc = [MailAddress("hidden@example.org")]
        try await SMTPClient(configuration: plainConfiguration(port: sink.port)).send(mail)

        let received = try sink.received()
        try #require(received.count == 1)
        #expect(received[0].recipients == ["a@example.org", "b@example.org", "c@example.org", "hidden@example.org"])
        let parsed = try ParsedMail.parse(received[0].file)
        #expect(parsed.to == "a@example.org, \"Bee, B.\" <b@example.org>")
        #expect(parsed.cc == "c@example.org")
        #expect(parsed.bcc == nil)
        #expect(!String(decoding: received[0].raw, as: UTF8.self).contains("hidden"))
    }

    @Test("lines starting with a dot survive, including a lone dot")
    func dotStuffing() async throws {
        let sink = try SMTPSink.start()
        let text = ".hidden line\n.\n..two dots\nmiddle . dot\n.\n"
        try await SMTPClient(configuration: plainConfiguration(port: sink.port)).send(message(text: text))

        let received = try sink.received()
        try #require(received.count == 1)
        #expect(try ParsedMail.parse(received[0].file).text == text)
    }

    @Test("raw message bytes arrive byte for byte, with line endings made CRLF")
    func rawMessage() async throws {
        let sink = try SMTPSink.start()
        let raw = "Subject: raw\r\nFrom: a@example.org\r\n\r\n.\r\nbare LF\nbare CR\rend"
        let outgoing = SMTPOutgoingMessage(
            envelope: SMTPEnvelope(sender: "a@example.org", recipients: ["b@example.org"]),
            data: Array(raw.utf8)
        )
        try await SMTPClient(configuration: plainConfiguration(port: sink.port)).send(outgoing)

        let received = try sink.received()
        try #require(received.count == 1)
        let expected = "Subject: raw\r\nFrom: a@example.org\r\n\r\n.\r\nbare LF\r\nbare CR\r\nend\r\n"
        #expect(String(decoding: received[0].raw, as: UTF8.self) == expected)
    }

    @Test(
        "non-ASCII subject, names and bodies round-trip",
        arguments: [
            MailMessage.BodyEncoding.quotedPrintable, .base64,
        ])
    func nonASCIIRoundTrip(encoding: MailMessage.BodyEncoding) async throws {
        let sink = try SMTPSink.start()
        let subject =
            "Réinitialisez votre mot de passe — 密码重置 🔐 Ünïcödé test with a long enough subject to fold"
        let text =
            "Grüße aus Köln! Привет 👋\nA line with trailing space \n= sign and tab\t\n"
            + String(repeating: "long line é ", count: 20) + "\n"
        let html = "<p>Bonjour <b>Zoë</b> — 你好</p>\n"
        var mail = message(
            subject: subject,
            text: text,
            html: html,
            to: [MailAddress("zoe@example.org", displayName: "Zoë Müller")],
            encoding: encoding
        )
        mail.extraHeaders = [MailMessage.Header("X-Gatehouse-Phrase", "blue café")]
        try await SMTPClient(configuration: plainConfiguration(port: sink.port)).send(mail)

        let received = try sink.received()
        try #require(received.count == 1)
        #expect(received[0].raw.allSatisfy { $0 < 0x80 }, "the message must be 7-bit clean")
        let parsed = try ParsedMail.parse(received[0].file)
        #expect(parsed.subject == subject)
        #expect(parsed.text == text)
        #expect(parsed.html == html)
        #expect(parsed.to == "Zoë Müller <zoe@example.org>")
        #expect(parsed.defects.isEmpty)
        #expect(parsed.maximumLineLength <= 78)
    }

    @Test("several messages over one connection")
    func batchOverOneConnection() async throws {
        let sink = try SMTPSink.start()
        let client = try SMTPClient(configuration: plainConfiguration(port: sink.port))
        let messages = (1...5).map { message(subject: "Batch \($0)") }
        let results = await client.send(messages)
        #expect(results.allSatisfy { (try? $0.get()) != nil })
        let subjects = try sink.received().map { try ParsedMail.parse($0.file).subject }
        #expect(Set(subjects) == Set((1...5).map { "Batch \($0)" }))
    }

    @Test("credentials over plain text only when explicitly allowed")
    func insecureAuthentication() async throws {
        let refused = SMTPConfiguration(
            host: "127.0.0.1", port: 2525, security: .none, username: Self.user, password: Self.password
        )
        #expect(throws: SMTPError.insecureAuthenticationRefused) {
            _ = try SMTPClient(configuration: refused)
        }

        let sink = try SMTPSink.start(
            ["--auth-user", Self.user, "--auth-password", Self.password, "--auth-allow-plaintext"]
        )
        var allowed = refused
        allowed.port = sink.port
        allowed.allowsInsecureAuthentication = true
        try await SMTPClient(configuration: allowed).send(message())
        #expect(try sink.received().first?.authUser == Self.user)
    }
}
