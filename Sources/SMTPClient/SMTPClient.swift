import Foundation
import NIOCore
import NIOPosix

/// Sends mail to one SMTP server.
///
/// Each call opens a connection, greets with EHLO (HELO when EHLO is refused), upgrades with STARTTLS or starts
/// with TLS as configured, authenticates when credentials are set, delivers, and says QUIT. Every failure is an
/// ``SMTPError`` whose ``SMTPError/isTransient`` tells whether to try again later.
public struct SMTPClient: Sendable {
    /// The server and how to talk to it.
    public let configuration: SMTPConfiguration
    private let eventLoopGroup: any EventLoopGroup
    private let tls: SMTPTLSContext?

    /// Creates a client; checks the configuration and loads TLS trust roots once, here.
    ///
    /// - Throws: ``SMTPError/invalidConfiguration(_:)`` for an unusable setting, or
    ///   ``SMTPError/insecureAuthenticationRefused`` for credentials on an unencrypted connection
    ///   that ``SMTPConfiguration/allowsInsecureAuthentication`` does not allow.
    public init(
        configuration: SMTPConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) throws(SMTPError) {
        guard (1...65535).contains(configuration.port) else {
            throw .invalidConfiguration("port \(configuration.port) out of range")
        }
        guard MailAddress.isValidDomainOrLiteral(configuration.heloName) else {
            throw .invalidConfiguration("HELO name must be a domain name or address literal")
        }
        if configuration.hasCredentials && configuration.security == .none
            && !configuration.allowsInsecureAuthentication
        {
            throw .insecureAuthenticationRefused
        }
        if configuration.hasCredentials && configuration.authenticationMechanisms.isEmpty {
            throw .invalidConfiguration("credentials set but no AUTH mechanism allowed")
        }
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        switch configuration.security {
        case .none:
            tls = nil
        case .startTLS, .implicitTLS:
            tls = try SMTPTLSContext(options: configuration.tls, host: configuration.host)
        }
    }

    /// Sends one message over a new connection.
    public func send(_ message: MailMessage) async throws(SMTPError) {
        try await send(try SMTPOutgoingMessage(message))
    }

    /// Sends one rendered message over a new connection.
    public func send(_ message: SMTPOutgoingMessage) async throws(SMTPError) {
        if case .failure(let error) = await send([message])[0] {
            throw error
        }
    }

    /// Sends several messages over one connection, in order, and reports each outcome at its index.
    ///
    /// A message the server refuses is followed by RSET and the next message; when the connection fails, that
    /// message and all after it fail with the (transient) connection error. A message is accepted only as a whole:
    /// when any recipient is refused, no DATA is sent for it.
    public func send(_ messages: [MailMessage]) async -> [Result<Void, SMTPError>] {
        var results = [Result<Void, SMTPError>?](repeating: nil, count: messages.count)
        var ready: [(index: Int, message: SMTPOutgoingMessage)] = []
        for (index, message) in messages.enumerated() {
            do {
                ready.append((index, try SMTPOutgoingMessage(message)))
            } catch {
                results[index] = .failure(error)
            }
        }
        let outcomes = await send(ready.map(\.message))
        for (position, item) in ready.enumerated() {
            results[item.index] = outcomes[position]
        }
        return results.map { $0 ?? .failure(.invalidMessage("not sent")) }
    }

    /// Sends several rendered messages over one connection, with the same rules as the `[MailMessage]` variant.
    public func send(_ messages: [SMTPOutgoingMessage]) async -> [Result<Void, SMTPError>] {
        guard !messages.isEmpty else { return [] }
        var results: [Result<Void, SMTPError>] = []
        results.reserveCapacity(messages.count)
        let session: SMTPSession
        do {
            session = try await openSession()
        } catch {
            return Array(repeating: .failure(error), count: messages.count)
        }
        // Once the connection is unusable, the messages not yet tried fail with a transient error.
        var untried: SMTPError?
        for message in messages {
            if let untried {
                results.append(.failure(untried))
                continue
            }
            do {
                try await session.deliver(message)
                results.append(.success(()))
            } catch {
                results.append(.failure(error))
                guard session.canContinue(after: error) else {
                    untried = error.isTransient ? error : .connectionClosed(error.stage ?? .messageBody)
                    continue
                }
                do {
                    try await session.reset()
                } catch {
                    untried = error.isTransient ? error : .connectionClosed(.reset)
                }
            }
        }
        await session.quit()
        return results
    }

    /// Connects, greets, secures and authenticates as configured, then says QUIT without sending anything.
    ///
    /// For checking a configuration (at start-up, or from an operator command) before mail depends on it.
    public func verifyConnection() async throws(SMTPError) {
        let session = try await openSession()
        await session.quit()
    }

    private func openSession() async throws(SMTPError) -> SMTPSession {
        let connection = try await SMTPConnection.connect(
            host: configuration.host,
            port: configuration.port,
            timeout: configuration.timeout,
            tls: configuration.security == .implicitTLS ? tls : nil,
            group: eventLoopGroup
        )
        do {
            let session = SMTPSession(connection: connection, configuration: configuration)
            try await session.start(tls: tls)
            return session
        } catch {
            await connection.close()
            throw error
        }
    }
}
