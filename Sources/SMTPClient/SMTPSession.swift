import Foundation
import NIOCore

/// The command sequence of one connection: greeting, EHLO, STARTTLS, AUTH, then transactions.
final class SMTPSession {
    private let connection: SMTPConnection
    private let configuration: SMTPConfiguration
    private var capabilities = SMTPServerCapabilities.none
    private var isEncrypted: Bool

    init(connection: SMTPConnection, configuration: SMTPConfiguration) {
        self.connection = connection
        self.configuration = configuration
        self.isEncrypted = configuration.security == .implicitTLS
    }

    /// Reads the greeting, says hello, secures the connection and authenticates as configured.
    func start(tls: SMTPTLSContext?) async throws(SMTPError) {
        let greeting = try await connection.readReply(stage: .greeting)
        guard greeting.code == 220 else {
            throw .rejected(stage: .greeting, reply: greeting)
        }
        try await hello()
        if configuration.security == .startTLS, let tls {
            guard capabilities.supportsStartTLS else {
                throw .startTLSUnavailable
            }
            let reply = try await connection.command("STARTTLS", stage: .startTLS)
            guard reply.code == 220 else {
                throw .rejected(stage: .startTLS, reply: reply)
            }
            try await connection.startTLS(tls)
            isEncrypted = true
            // RFC 3207: everything learned before TLS is forgotten and asked again.
            try await hello()
        }
        if let username = configuration.username {
            try await authenticate(username: username, password: configuration.password ?? "")
        }
    }

    /// Runs MAIL, RCPT and DATA for one message.
    func deliver(_ message: SMTPOutgoingMessage) async throws(SMTPError) {
        try message.envelope.validate()
        var content = ByteBufferAllocator().buffer(capacity: message.data.count + 64)
        SMTPDataEncoder.encode(message.data, into: &content)
        let size = content.readableBytes - 3
        if let limit = capabilities.sizeLimit, size > limit {
            throw .messageTooLarge(size: size, limit: limit)
        }
        var mailFrom = "MAIL FROM:<\(message.envelope.sender)>"
        if capabilities.supportsSize {
            mailFrom += " SIZE=\(size)"
        }
        if capabilities.supports8BitMIME && SMTPDataEncoder.hasEightBitData(message.data) {
            mailFrom += " BODY=8BITMIME"
        }
        try await expectCompletion(mailFrom, stage: .mailFrom)
        for recipient in message.envelope.recipients {
            try await expectCompletion("RCPT TO:<\(recipient)>", stage: .recipient)
        }
        let dataReply = try await connection.command("DATA", stage: .data)
        guard dataReply.code == 354 else {
            throw .rejected(stage: .data, reply: dataReply)
        }
        let final = try await connection.send(content, stage: .messageBody)
        guard final.isPositiveCompletion else {
            throw .rejected(stage: .messageBody, reply: final)
        }
    }

    /// Whether the connection can carry the next message after `error` ended the last one.
    func canContinue(after error: SMTPError) -> Bool {
        switch error {
        case .rejected(_, let reply):
            // 421 means the server is closing the channel.
            reply.code != 421 && connection.isActive
        case .invalidMessage, .messageTooLarge:
            connection.isActive
        default:
            false
        }
    }

    /// Abandons the current transaction (RSET).
    func reset() async throws(SMTPError) {
        try await expectCompletion("RSET", stage: .reset)
    }

    /// Says goodbye and closes; failures no longer matter here.
    func quit() async {
        if connection.isActive {
            _ = try? await connection.command("QUIT", stage: .quit)
        }
        await connection.close()
    }

    private func hello() async throws(SMTPError) {
        let ehlo = try await connection.command("EHLO \(configuration.heloName)", stage: .hello)
        if ehlo.isPositiveCompletion {
            capabilities = SMTPServerCapabilities(ehloReply: ehlo)
            return
        }
        // 500/502: an old server that knows only HELO; anything else is a real refusal.
        guard ehlo.code == 500 || ehlo.code == 502 else {
            throw .rejected(stage: .hello, reply: ehlo)
        }
        try await expectCompletion("HELO \(configuration.heloName)", stage: .hello)
        capabilities = .none
    }

    private func authenticate(username: String, password: String) async throws(SMTPError) {
        guard isEncrypted || configuration.allowsInsecureAuthentication else {
            throw .insecureAuthenticationRefused
        }
        let offered = capabilities.authenticationMechanisms
        guard let mechanism = configuration.authenticationMechanisms.first(where: { offered.contains($0.rawValue) })
        else {
            throw .authenticationUnavailable(offered: offered)
        }
        switch mechanism {
        case .plain:
            let token = Self.base64([0] + Array(username.utf8) + [0] + Array(password.utf8))
            let reply = try await connection.command("AUTH PLAIN \(token)", stage: .authentication)
            try Self.expectAuthenticated(reply)
        case .login:
            let start = try await connection.command("AUTH LOGIN", stage: .authentication)
            try Self.expectChallenge(start)
            let afterUser = try await connection.command(Self.base64(Array(username.utf8)), stage: .authentication)
            try Self.expectChallenge(afterUser)
            let reply = try await connection.command(Self.base64(Array(password.utf8)), stage: .authentication)
            try Self.expectAuthenticated(reply)
        }
    }

    private func expectCompletion(_ command: String, stage: SMTPStage) async throws(SMTPError) {
        let reply = try await connection.command(command, stage: stage)
        guard reply.isPositiveCompletion else {
            throw .rejected(stage: stage, reply: reply)
        }
    }

    private static func expectChallenge(_ reply: SMTPReply) throws(SMTPError) {
        guard reply.code == 334 else {
            throw .rejected(stage: .authentication, reply: reply)
        }
    }

    private static func expectAuthenticated(_ reply: SMTPReply) throws(SMTPError) {
        guard reply.code == 235 else {
            throw .rejected(stage: .authentication, reply: reply)
        }
    }

    private static func base64(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
    }
}
