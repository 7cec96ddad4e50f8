import NIOCore
import NIOPosix
import NIOSSL

/// One TCP (or TLS) connection to an SMTP server, driven one command at a time from async code.
final class SMTPConnection: Sendable {
    private let channel: any Channel
    private let handler: NIOLoopBound<SMTPChannelHandler>
    private let timeout: TimeAmount

    private init(channel: any Channel, handler: NIOLoopBound<SMTPChannelHandler>, timeout: TimeAmount) {
        self.channel = channel
        self.handler = handler
        self.timeout = timeout
    }

    /// Opens a connection; with `tls` set, TLS starts at once (implicit TLS).
    static func connect(
        host: String,
        port: Int,
        timeout: Duration,
        tls: SMTPTLSContext?,
        group: any EventLoopGroup
    ) async throws(SMTPError) -> SMTPConnection {
        let timeAmount = TimeAmount(timeout)
        let eventLoop = group.next()
        // The handler is handed over from inside the initializer: a server that answers and closes at once
        // (a 421 greeting, a failed TLS handshake) removes it from the pipeline before connect() returns.
        let handlerPromise = eventLoop.makePromise(of: NIOLoopBound<SMTPChannelHandler>.self)
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(timeAmount)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(tls.makeHandler())
                    }
                    let handler = SMTPChannelHandler()
                    try channel.pipeline.syncOperations.addHandler(handler)
                    handlerPromise.succeed(NIOLoopBound(handler, eventLoop: channel.eventLoop))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: host, port: port).get()
        } catch {
            handlerPromise.fail(error)
            switch error {
            case ChannelError.connectTimeout: throw .timedOut(.connect)
            case let error as NIOSSLExtraError: throw .tlsFailed(String(describing: error))
            default: throw .connectionFailed(String(describing: error))
            }
        }
        do {
            let handler = try await handlerPromise.futureResult.get()
            return SMTPConnection(channel: channel, handler: handler, timeout: timeAmount)
        } catch {
            channel.close(promise: nil)
            throw .connectionClosed(.connect)
        }
    }

    /// Waits for the next reply without sending anything (the greeting).
    func readReply(stage: SMTPStage) async throws(SMTPError) -> SMTPReply {
        try await exchange(nil, stage: stage)
    }

    /// Sends one command line (CRLF is appended) and waits for its reply.
    func command(_ line: String, stage: SMTPStage) async throws(SMTPError) -> SMTPReply {
        guard !line.utf8.contains(where: { $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\n") }) else {
            throw .invalidMessage("line break inside an SMTP command")
        }
        var buffer = channel.allocator.buffer(capacity: line.utf8.count + 2)
        buffer.writeString(line)
        buffer.writeStaticString("\r\n")
        return try await exchange(buffer, stage: stage)
    }

    /// Sends prepared bytes (DATA content, already dot-stuffed and terminated) and waits for the reply.
    func send(_ bytes: ByteBuffer, stage: SMTPStage) async throws(SMTPError) -> SMTPReply {
        try await exchange(bytes, stage: stage)
    }

    /// Puts TLS under the SMTP handler after a successful STARTTLS reply (RFC 3207).
    func startTLS(_ tls: SMTPTLSContext) async throws(SMTPError) {
        let future = channel.eventLoop.submit { [handler, channel] in
            guard !handler.value.hasUnclaimedInput else {
                throw SMTPError.protocolViolation("server sent data after accepting STARTTLS")
            }
            try channel.pipeline.syncOperations.addHandler(tls.makeHandler(), position: .first)
        }
        do {
            try await future.get()
        } catch let error as SMTPError {
            channel.close(promise: nil)
            throw error
        } catch {
            channel.close(promise: nil)
            throw .tlsFailed(String(describing: error))
        }
    }

    /// Closes the connection; errors are irrelevant at this point.
    func close() async {
        try? await channel.close()
    }

    /// Whether the connection is still open.
    var isActive: Bool { channel.isActive }

    private func exchange(_ bytes: ByteBuffer?, stage: SMTPStage) async throws(SMTPError) -> SMTPReply {
        let future = channel.eventLoop.flatSubmit { [handler, timeout, channel] in
            let promise = channel.eventLoop.makePromise(of: SMTPReply.self)
            handler.value.exchange(bytes, stage: stage, timeout: timeout, promise: promise)
            return promise.futureResult
        }
        do {
            return try await future.get()
        } catch let error as SMTPError {
            throw error
        } catch {
            throw .connectionClosed(stage)
        }
    }
}

/// A ready TLS context and the name the certificate must carry.
struct SMTPTLSContext: Sendable {
    let context: NIOSSLContext
    /// The SNI name; `nil` for an IP address, which NIOSSL then checks against the certificate's IP entries.
    let serverHostname: String?

    init(options: SMTPTLSOptions, host: String) throws(SMTPError) {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch options.verification {
        case .system:
            configuration.certificateVerification = .fullVerification
        case .customCA(let pemFile):
            configuration.certificateVerification = .fullVerification
            do {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(pemFile))
            } catch {
                throw .invalidConfiguration("cannot read CA certificates from \(pemFile): \(error)")
            }
        case .disabled:
            configuration.certificateVerification = .none
        }
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw .invalidConfiguration("cannot create TLS context: \(error)")
        }
        let name = options.serverName ?? host
        serverHostname = Self.isIPAddress(name) ? nil : name
    }

    func makeHandler() throws -> NIOSSLClientHandler {
        try NIOSSLClientHandler(context: context, serverHostname: serverHostname)
    }

    private static func isIPAddress(_ name: String) -> Bool {
        (try? SocketAddress(ipAddress: name, port: 0)) != nil
    }
}
