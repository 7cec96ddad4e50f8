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

    /// The caller's address: the socket peer, or the first X-Forwarded-For hop behind a trusted proxy.
    func caller(_ request: Request, _ context: HubRequestContext) -> Caller {
        var address = "unknown"
        if configuration.trustForwardedFor,
            let forwarded = request.headers[.init("X-Forwarded-For")!]?.split(separator: ",").first
        {
            address = forwarded.trimmingCharacters(in: .whitespaces)
        } else if let peer = context.remoteAddress?.ipAddress {
            address = peer
        }
        return Caller(ipAddress: String(address.prefix(64)), deviceID: context.identity?.device.id)
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
