import Foundation
import GatehouseCore
import Hummingbird
import NIOCore

/// The domain services the routes call, built once by the composition root.
public struct HubServices: Sendable {
    public let environment: HubEnvironment
    public let accounts: AccountService
    public let signIn: SignInService
    public let devices: DeviceService
    public let twoFactor: TwoFactorService
    public let recovery: RecoveryService
    public let incidents: IncidentService
    public let servers: ServerService
    public let releases: ReleaseService
    public let configuration: HubConfiguration

    /// Passkeys, with the relying party of the configured public URL (cheap to build: configuration only).
    public var passkeys: PasskeyService {
        PasskeyService(
            environment: environment, signIn: signIn,
            relyingParty: PasskeyService.relyingParty(publicURL: configuration.publicURL))
    }

    /// The device authorization grant (RFC 8628) and `/link` (cheap to build: configuration only).
    public var deviceGrant: DeviceGrantService {
        DeviceGrantService(
            environment: environment, publicURL: configuration.publicURL,
            allowUnregisteredClients: configuration.allowUnregisteredClients)
    }

    /// The caller: the client address ``ClientAddressMiddleware`` worked out once for the request, and the device
    /// when signed in.
    func caller(_ request: Request, _ context: HubRequestContext) -> Caller {
        Caller(ipAddress: context.clientAddress, deviceID: context.identity?.device.id)
    }
}

/// Works out the client address once per request (``HubRequestContext/clientAddress``): the socket peer, or, when
/// the peer is a trusted proxy, the right-most `X-Forwarded-For` hop that is not a trusted proxy (see
/// ``ClientAddress/resolve(peer:forwardedFor:trustedProxies:)``). Without trusted proxies the header is ignored.
struct ClientAddressMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext
    let trustedProxies: [IPNetwork]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        guard !trustedProxies.isEmpty, let peer = HubRequestContext.peerAddress(context.remoteAddress) else {
            return try await next(request, context)
        }
        var context = context
        let forwarded = request.headers.filter { $0.name.canonicalName == "x-forwarded-for" }.map(\.value)
        let client = ClientAddress.resolve(peer: peer, forwardedFor: forwarded, trustedProxies: trustedProxies)
        context.clientAddress = client.description
        return try await next(request, context)
    }
}

/// Authenticates `Authorization: Bearer ghd_...` on every request it covers; a revoked or unknown credential
/// gets 401 at once.
struct BearerAuthenticator: RouterMiddleware {
    typealias Context = HubRequestContext
    let services: HubServices

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw RequestError.unauthorized
        }
        let token = String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces)
        let address = services.caller(request, context).ipAddress
        guard let (account, device) = try await services.devices.authenticate(token: token, ipAddress: address) else {
            throw RequestError(status: 401, code: "invalid_token", message: "This credential is not valid. Sign in again.")
        }
        var context = context
        context.identity = HubIdentity(account: account, device: device)
        return try await next(request, context)
    }
}
