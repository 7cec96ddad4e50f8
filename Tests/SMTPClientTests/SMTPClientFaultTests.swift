import Foundation
import Testing

@testable import SMTPClient

/// Failures as the outbox sees them: every one typed, transient or permanent as a retry decision needs.
@Suite("SMTP failures from a live server")
struct SMTPClientFaultTests {
    let mail = MailMessage(
        from: MailAddress("no-reply@gatehouse.test"),
        to: [MailAddress("alice@example.org")],
        subject: "Reset your password",
        textBody: "Line one.\n" + String(repeating: "Some content to send.\n", count: 200)
    )

    func client(port: Int, timeout: Duration = .seconds(10)) throws -> SMTPClient {
        try SMTPClient(
            configuration: SMTPConfiguration(host: "127.0.0.1", port: port, security: .none, timeout: timeout))
    }

    /// Sends `mail` and returns the error it must fail with.
    func failure(_ client: SMTPClient) async -> SMTPError? {
        do {
            try await client.send(mail)
            return nil
        } catch {
            return error
        }
    }

    @Test("4xx replies are transient", arguments: ["greeting:421", "mail:451", "rcpt:450", "data:451", "message:452"])
    func transientReplies(fault: String) async throws {
        let sink = try SMTPSink.start(["--fault", fault])
        let error = try #require(await failure(try client(port: sink.port)))
        #expect(error.isTransient)
        guard case .rejected(_, let reply) = error else {
            Issue.record("expected a rejection, got \(error)")
            return
        }
        #expect(reply.code == Int(fault.split(separator: ":")[1]))
        #expect(try sink.received().isEmpty)
    }

    @Test("5xx replies are permanent", arguments: ["greeting:554", "mail:550", "rcpt:550", "data:554", "message:554"])
    func permanentReplies(fault: String) async throws {
        let sink = try SMTPSink.start(["--fault", fault])
        let error = try #require(await failure(try client(port: sink.port)))
        #expect(!error.isTransient)
        #expect(try sink.received().isEmpty)
    }

    @Test("a server that refuses EHLO as unknown gets HELO")
    func heloFallback() async throws {
        let sink = try SMTPSink.start(["--fault", "ehlo:502"])
        try await client(port: sink.port).send(mail)
        #expect(try sink.received().count == 1)
    }

    @Test("a server that refuses EHLO for good is a permanent hello failure")
    func ehloRefused() async throws {
        let sink = try SMTPSink.start(["--fault", "ehlo:554"])
        let error = try #require(await failure(try client(port: sink.port)))
        #expect(error.stage == .hello)
        #expect(!error.isTransient)
    }

    @Test("the stage of a refusal is reported")
    func stageOfRefusal() async throws {
        let sink = try SMTPSink.start(["--fault", "rcpt:550"])
        let error = try #require(await failure(try client(port: sink.port)))
        #expect(error.stage == .recipient)
    }

    @Test("a connection dropped during DATA is transient", arguments: ["drop:mid-data", "drop:after-data"])
    func droppedConnection(fault: String) async throws {
        let sink = try SMTPSink.start(["--fault", fault])
        let error = try #require(await failure(try client(port: sink.port)))
        #expect(error.isTransient)
        guard case .connectionClosed = error else {
            Issue.record("expected connectionClosed, got \(error)")
            return
        }
        #expect(try sink.received().isEmpty)
    }

    @Test("a server that is down is transient")
    func serverDown() async throws {
        let sink = try SMTPSink.start()
        let port = sink.port
        sink.stop()
        let error = try #require(await failure(try client(port: port)))
        #expect(error.isTransient)
        guard case .connectionFailed = error else {
            Issue.record("expected connectionFailed, got \(error)")
            return
        }
    }

    @Test("a server that never answers times out, transiently")
    func silentServer() async throws {
        let (listener, port) = try SMTPSink.startSilentListener()
        defer { SMTPSink.end(listener) }
        let started = ContinuousClock.now
        let error = try #require(await failure(try client(port: port, timeout: .milliseconds(500))))
        #expect(error == .timedOut(.greeting))
        #expect(error.isTransient)
        // The listener holds the connection for 600 s and the error is the client's own timeout (a closed connection
        // would be another error); the bound leaves room for a loaded machine.
        #expect(ContinuousClock.now - started < .seconds(300))
    }

    @Test("after the server recovers, the retried message is delivered once")
    func recoveryAfterFaults() async throws {
        let sink = try SMTPSink.start(["--fault", "drop:mid-data", "--fault-count", "2"])
        let client = try client(port: sink.port)
        var attempts = 0
        while true {
            attempts += 1
            do {
                try await client.send(mail)
                break
            } catch {
                #expect(error.isTransient)
                try #require(attempts < 5)
            }
        }
        #expect(attempts == 3)
        #expect(try sink.received().count == 1)
    }

    @Test("in a batch, a refused message is skipped and the rest delivered over the same connection")
    func batchWithRefusal() async throws {
        let sink = try SMTPSink.start(["--fault", "rcpt:550", "--fault-count", "1"])
        let messages = (1...4).map { index in
            var message = mail
            message.subject = "Message \(index)"
            return message
        }
        let results = try await client(port: sink.port).send(messages)
        guard case .failure(let error) = results[0] else {
            Issue.record("the first message should have been refused")
            return
        }
        #expect(!error.isTransient)
        #expect(results.dropFirst().allSatisfy { (try? $0.get()) != nil })
        #expect(try sink.received().count == 3)
    }

    @Test("a batch cut by a dropped connection fails the rest transiently")
    func batchWithDrop() async throws {
        let sink = try SMTPSink.start(["--fault", "drop:mid-data", "--fault-count", "1"])
        let results = try await client(port: sink.port).send([mail, mail, mail])
        #expect(results.count == 3)
        for result in results {
            guard case .failure(let error) = result else {
                Issue.record("every message should fail with the connection")
                continue
            }
            #expect(error.isTransient)
        }
    }

    @Test("a wrong password is a permanent authentication refusal")
    func wrongPassword() async throws {
        let sink = try SMTPSink.start(["--auth-user", "mailer", "--auth-password", "right", "--auth-allow-plaintext"])
        let configuration = SMTPConfiguration(
            host: "127.0.0.1", port: sink.port, security: .none, username: "mailer", password: "wrong",
            allowsInsecureAuthentication: true
        )
        let error = try #require(await failure(try SMTPClient(configuration: configuration)))
        #expect(error.stage == .authentication)
        #expect(!error.isTransient)
        #expect(try sink.received().isEmpty)
    }

    @Test("STARTTLS required but not offered is an error, never plain text")
    func startTLSStripped() async throws {
        let sink = try SMTPSink.start()
        let configuration = SMTPConfiguration(host: "127.0.0.1", port: sink.port, security: .startTLS)
        let error = try #require(await failure(try SMTPClient(configuration: configuration)))
        #expect(error == .startTLSUnavailable)
        #expect(try sink.received().isEmpty)
    }
}
