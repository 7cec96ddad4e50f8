import GatehouseCore
import Hummingbird
import NIOCore

/// Who a request is from, once authenticated.
public struct HubIdentity: Sendable {
    public var account: Account
    public var device: Device
}

/// A media server, once its credential checked out.
public struct AuthenticatedServer: Sendable {
    public var server: MediaServer
    /// The `ghs_` credential it presented (the revocation stream ends when that credential is replaced).
    public var credential: String
}

/// The hub's request context: the core storage, the client's address, and the identity once known.
public struct HubRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public var identity: HubIdentity?
    /// The media server behind a `ghs_` credential, on the servers' own routes (set by ``ServerAuthenticator``).
    public var server: AuthenticatedServer?
    /// Whoever the browser's session cookie belongs to (the holder's own device or a profile session), resolved once
    /// per page request by ``BrowserAuthenticator``; nil without a valid session cookie, and on API routes.
    public var browserIdentity: HubIdentity?
    /// The CSRF token of a browser session (pages only).
    public var csrfToken: String?
    public let remoteAddress: SocketAddress?
    /// The client's address for display, audit and throttles: the socket peer, or what ``ClientAddressMiddleware``
    /// found in `X-Forwarded-For` behind a trusted proxy. `unknown` when the peer has no IP address.
    public var clientAddress: String

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
        self.clientAddress = Self.peerAddress(source.channel.remoteAddress)?.description ?? "unknown"
    }

    /// The socket peer as an ``IPAddress`` (IPv4-mapped IPv6 peers as IPv4).
    static func peerAddress(_ address: SocketAddress?) -> IPAddress? {
        guard let text = address?.ipAddress else { return nil }
        return IPAddress(text)?.unmapped
    }

    /// Bodies above this are refused with 413 before they are read in full.
    public var maxUploadSize: Int { 64 * 1024 }

    /// What `request.decode(as:context:)` uses: JSON only, with the hub's 4xx answers for every malformed body.
    public var requestDecoder: HubRequestDecoder { HubRequestDecoder() }

    /// The authenticated media server; throws 401 when absent.
    public func requireServer() throws -> AuthenticatedServer {
        guard let server else { throw RequestError.unauthorized }
        return server
    }

}

/// The context of an API route that needs a signed-in device. Hummingbird makes it from the hub's context after
/// ``BearerAuthenticator`` has run, and only when that found an identity (401 otherwise), so a handler reads
/// ``identity`` without unwrapping it and cannot forget to check.
public struct SignedInRequestContext: ChildRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The device (and its account) the request's credential belongs to.
    public let identity: HubIdentity
    /// The hub's context this one was made from: the client's address and the other per-request facts.
    public let hub: HubRequestContext

    public init(context: HubRequestContext) throws {
        guard let identity = context.identity else { throw RequestError.unauthorized }
        self.coreContext = context.coreContext
        self.identity = identity
        self.hub = context
    }

    /// The same bound as the hub's context.
    public var maxUploadSize: Int { hub.maxUploadSize }

    /// The same decoder as the hub's context.
    public var requestDecoder: HubRequestDecoder { HubRequestDecoder() }
}
