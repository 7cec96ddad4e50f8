import NIOCore
import NIOSSL

/// Turns the byte stream into replies and hands each to the one command waiting for it.
///
/// SMTP without PIPELINING is strictly one command, one reply, so a single waiter is enough. Replies that arrive
/// before anyone waits (the greeting) are kept in order. The first failure is sticky: it fails the waiter,
/// closes the channel and answers every later request.
final class SMTPChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private struct Waiter {
        let promise: EventLoopPromise<SMTPReply>
        let stage: SMTPStage
        let timeout: Scheduled<Void>
    }

    private var context: ChannelHandlerContext?
    private var buffer = ByteBuffer()
    private var parser = SMTPReplyParser()
    private var unclaimedReplies: [SMTPReply] = []
    private var waiter: Waiter?
    private var failure: SMTPError?
    private var stage: SMTPStage = .greeting

    /// Whether the server sent anything that no command asked for yet. After the STARTTLS reply this must be
    /// false: plain-text bytes buffered there would otherwise be read as if they came through TLS.
    var hasUnclaimedInput: Bool {
        !unclaimedReplies.isEmpty || buffer.readableBytes > 0 || parser.isMidReply
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// Writes `bytes` (if any) and completes `promise` with the next reply, or fails it after `timeout`.
    func exchange(_ bytes: ByteBuffer?, stage: SMTPStage, timeout: TimeAmount, promise: EventLoopPromise<SMTPReply>) {
        self.stage = stage
        guard waiter == nil else {
            promise.fail(SMTPError.protocolViolation("a command was sent before the previous reply arrived"))
            return
        }
        if let bytes, failure == nil, let context {
            context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
        }
        // A reply that came before the connection failed still counts: a 421 greeting followed by a close
        // must read as the 421, not as a dropped connection.
        if !unclaimedReplies.isEmpty {
            promise.succeed(unclaimedReplies.removeFirst())
            return
        }
        if let failure {
            promise.fail(failure)
            return
        }
        guard let context else {
            promise.fail(SMTPError.connectionClosed(stage))
            return
        }
        let timeoutTask = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            self.fail(.timedOut(stage))
        }
        waiter = Waiter(promise: promise, stage: stage, timeout: timeoutTask)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        buffer.writeBuffer(&bytes)
        parseBufferedLines()
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(.connectionClosed(waiter?.stage ?? stage))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(Self.classify(error, stage: waiter?.stage ?? stage))
    }

    private func parseBufferedLines() {
        while failure == nil, let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            guard var line = buffer.readBytes(length: newline - buffer.readerIndex + 1) else { return }
            line.removeLast()
            if line.last == UInt8(ascii: "\r") {
                line.removeLast()
            }
            do {
                if let reply = try parser.consume(line: line) {
                    deliver(reply)
                }
            } catch {
                fail(error)
                return
            }
        }
        if buffer.readableBytes > SMTPReplyParser.maximumReplySize {
            fail(.protocolViolation("reply line longer than \(SMTPReplyParser.maximumReplySize) bytes"))
        }
        buffer.discardReadBytes()
    }

    private func deliver(_ reply: SMTPReply) {
        guard let waiter else {
            unclaimedReplies.append(reply)
            return
        }
        self.waiter = nil
        waiter.timeout.cancel()
        waiter.promise.succeed(reply)
    }

    private func fail(_ error: SMTPError) {
        if failure == nil {
            failure = error
        }
        if let waiter {
            self.waiter = nil
            waiter.timeout.cancel()
            waiter.promise.fail(failure ?? error)
        }
        context?.close(promise: nil)
    }

    private static func classify(_ error: any Error, stage: SMTPStage) -> SMTPError {
        if let error = error as? SMTPError {
            return error
        }
        if let error = error as? NIOSSLError {
            if case .uncleanShutdown = error {
                return .connectionClosed(stage)
            }
            return .tlsFailed(String(describing: error))
        }
        if error is NIOSSLExtraError {
            return .tlsFailed(String(describing: error))
        }
        // Resets, broken pipes and the like: the connection is gone, which is worth retrying.
        return .connectionClosed(stage)
    }
}
