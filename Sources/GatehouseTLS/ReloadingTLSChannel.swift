import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOSSL

/// A child channel that puts TLS in front of `Base`, with the certificate current at each accept.
///
/// Hummingbird's own `TLSChannel` (HummingbirdTLS) builds one `NIOSSLContext` when the server is built and keeps it;
/// this one asks ``ReloadableTLS`` per connection instead, so a reload (SIGHUP) reaches new connections while open
/// ones keep the context they were set up with.
public struct ReloadingTLSChannel<Base: ServerChildChannel>: ServerChildChannel {
    public typealias Value = Base.Value

    let base: Base
    let tls: ReloadableTLS

    public init(_ base: Base, tls: ReloadableTLS) {
        self.base = base
        self.tls = tls
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let context = tls.identity.context
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    public func handle(value: Base.Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

extension ReloadingTLSChannel: HTTPChannelHandler where Base: HTTPChannelHandler {
    public var responder: HTTPChannelHandler.Responder { base.responder }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 over TLS with a reloadable certificate; plain HTTP/1.1 when `tls` is nil.
    public static func http1(
        tls: ReloadableTLS?, configuration: HTTP1Channel.Configuration = .init()
    ) -> HTTPServerBuilder {
        guard let tls else { return .http1(configuration: configuration) }
        return .init { responder in
            ReloadingTLSChannel(HTTP1Channel(responder: responder, configuration: configuration), tls: tls)
        }
    }
}
