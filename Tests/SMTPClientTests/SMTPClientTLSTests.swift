import Foundation
import Testing

@testable import SMTPClient

/// Certificate checking: on by default, and a certificate that does not verify stops the session before AUTH.
@Suite("SMTP TLS verification")
struct SMTPClientTLSTests {
    let mail = MailMessage(
        from: MailAddress("no-reply@gatehouse.test"),
        to: [MailAddress("alice@example.org")],
        subject: "Hi",
        textBody: "Hi.\n"
    )

    func send(port: Int, security: SMTPConfiguration.Security, tls: SMTPTLSOptions) async throws(SMTPError) {
        let configuration = SMTPConfiguration(
            host: "localhost", port: port, security: security, username: "mailer", password: "pw",
            timeout: .seconds(10), tls: tls
        )
        try await SMTPClient(configuration: configuration).send(mail)
    }

    func sinkArguments(_ certificate: TestCertificate, implicit: Bool) -> [String] {
        certificate.sinkArguments + ["--auth-user", "mailer", "--auth-password", "pw"]
            + (implicit ? ["--implicit-tls"] : [])
    }

    @Test("a self-signed certificate fails against the system roots", arguments: [false, true])
    func untrustedCertificate(implicit: Bool) async throws {
        let certificate = try TestCertificate.make()
        let sink = try SMTPSink.start(sinkArguments(certificate, implicit: implicit))
        await #expect {
            try await send(port: sink.port, security: implicit ? .implicitTLS : .startTLS, tls: SMTPTLSOptions())
        } throws: { error in
            guard let error = error as? SMTPError, case .tlsFailed = error else { return false }
            return true
        }
        #expect(try sink.received().isEmpty)
    }

    @Test("a trusted certificate for another host name fails", arguments: [false, true])
    func wrongHostName(implicit: Bool) async throws {
        // No IP entry: NIOSSL accepts a certificate whose IP entry matches the peer address, whatever the name.
        let certificate = try TestCertificate.make(names: ["mail.other.example"], includesLoopbackIP: false)
        let sink = try SMTPSink.start(sinkArguments(certificate, implicit: implicit))
        await #expect {
            try await send(
                port: sink.port,
                security: implicit ? .implicitTLS : .startTLS,
                tls: SMTPTLSOptions(verification: .customCA(pemFile: certificate.certificate))
            )
        } throws: { error in
            guard let error = error as? SMTPError, case .tlsFailed = error else { return false }
            return error.isTransient
        }
        #expect(try sink.received().isEmpty)
    }

    @Test("verification can be turned off explicitly")
    func verificationDisabled() async throws {
        let certificate = try TestCertificate.make(names: ["mail.other.example"])
        let sink = try SMTPSink.start(sinkArguments(certificate, implicit: false))
        try await send(port: sink.port, security: .startTLS, tls: SMTPTLSOptions(verification: .disabled))
        #expect(try sink.received().count == 1)
    }

    @Test("an unreadable CA file is a configuration error")
    func missingCAFile() {
        let configuration = SMTPConfiguration(
            host: "localhost", security: .startTLS,
            tls: SMTPTLSOptions(verification: .customCA(pemFile: "/nonexistent/ca.pem"))
        )
        #expect {
            _ = try SMTPClient(configuration: configuration)
        } throws: { error in
            guard let error = error as? SMTPError, case .invalidConfiguration = error else { return false }
            return !error.isTransient
        }
    }
}
