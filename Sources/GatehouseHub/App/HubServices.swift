import Foundation
import GatehouseBasics
import GatehouseCore
import HTTPTypes
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

    /// Managed profiles (cheap to build: the environment only).
    public var profiles: ProfileService { ProfileService(environment: environment) }

    /// Invitations (cheap to build: the environment only).
    public var invitations: InvitationService { InvitationService(environment: environment) }

    /// Admins' recovery links for members who lost their mailbox (cheap to build: the environment only).
    public var recoveryLinks: AdminRecoveryLinkService { AdminRecoveryLinkService(environment: environment) }

    /// The first start's setup link (cheap to build: the environment only).
    public var setup: SetupService { SetupService(environment: environment) }

    /// Reads of the audit log (cheap to build: the environment only).
    public var audit: AuditService { AuditService(environment: environment) }

    /// Operators' look-ups of accounts, each authorized inside (cheap to build: the environment only).
    public var admin: AdminAuthorization { AdminAuthorization(environment: environment) }

    /// App passwords (cheap to build: the environment only).
    public var appPasswords: AppPasswordService { AppPasswordService(environment: environment) }
    public var lockdown: LockdownService { LockdownService(environment: environment, recovery: recovery) }

    /// The hub's DPoP verifier: the shared replay cache and nonces, the configured nonce policy.
    public var dpop: DPoPVerifier {
        DPoPVerifier(
            replay: environment.dpopReplay, nonces: environment.dpopNonces,
            policy: DPoPVerifier.Policy(requireNonce: configuration.dpopRequireNonce))
    }

    /// Verifies a DPoP proof for a request to `path` on this hub and spends it: in this process's replay cache, and
    /// also in the database when ``HubConfiguration/dpopSharedReplay`` is on (so a proof is accepted once across
    /// every instance). Returns the key's thumbprint. Errors are resource-style (401); `.atSignIn()` makes them 400.
    public func verifyDPoP(proof: String, method: String, path: String, accessToken: String?) async throws -> String {
        let verified = try dpop.check(
            proof: proof, method: method, url: DPoPTarget.url(publicURL: configuration.publicURL, path: path),
            accessToken: accessToken, now: environment.clock.now())
        if configuration.dpopSharedReplay {
            guard
                try await environment.store.autocommit.spendDPoPProof(
                    key: verified.replayKey, expiresAt: verified.expiresAt)
            else { throw DPoPError.invalidProof("This proof was already used.") }
        }
        return verified.thumbprint
    }

    /// The key a sign-in (or token) request's DPoP proof, if any, binds the new credential to: nil without a `DPoP`
    /// header; a bad proof is refused with 400 (as at an authorization server) before any password is checked.
    public func signInThumbprint(_ request: Request) async throws -> String? {
        let proofs = request.headers[values: BearerAuthenticator.dpopHeader]
        guard !proofs.isEmpty else { return nil }
        guard proofs.count == 1 else { throw DPoPError.invalidProof("Send at most one DPoP proof.").atSignIn() }
        do {
            return try await verifyDPoP(
                proof: proofs[0], method: request.method.rawValue, path: request.uri.path, accessToken: nil)
        } catch let error as DPoPError {
            throw error.atSignIn()
        }
    }

    /// The caller: the client address ``ClientAddressMiddleware`` worked out once for the request, and the device
    /// when signed in.
    func caller(_ request: Request, _ context: HubRequestContext) -> Caller {
        Caller(ipAddress: context.clientAddress, deviceID: context.identity?.device.id)
    }

    /// The caller of a signed-in route: its client address and its device.
    func caller(_ request: Request, _ context: SignedInRequestContext) -> Caller {
        Caller(ipAddress: context.hub.clientAddress, deviceID: context.identity.device.id)
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

/// Authenticates a media server's own routes by its `ghs_` credential (`Authorization: Bearer ghs_...`), and puts the
/// server in ``HubRequestContext/server``. A device credential is not a server credential: anything else gets 401.
struct ServerAuthenticator: RouterMiddleware {
    typealias Context = HubRequestContext
    let servers: ServerService

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
            case let credential = String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces),
            let server = try await servers.authenticate(credential: credential)
        else {
            throw RequestError(status: 401, code: "invalid_server_credential", message: "Unknown or removed server.")
        }
        var context = context
        context.server = AuthenticatedServer(server: server, credential: credential)
        return try await next(request, context)
    }
}

/// Authenticates every request it covers, by one of three schemes:
/// - `Authorization: Bearer ghd_...`, a device credential not bound to a key;
/// - `Authorization: DPoP ghd_...` with a `DPoP` proof header, a credential bound to a key (RFC 9449): a bound
///   credential is refused in any other form, and an unbound one is refused as DPoP;
/// - `Authorization: Basic base64(identifier:gha_...)`, an app password, limited to its scopes' routes and run
///   under ``CredentialScope/appPassword`` so the services refuse security changes.
/// A revoked or unknown credential gets 401 at once.
struct BearerAuthenticator: RouterMiddleware {
    typealias Context = HubRequestContext
    let services: HubServices
    /// The API prefix, stripped before the app-password scope rule is applied.
    var prefix = "/api/v1"

    static let dpopHeader = HTTPField.Name("DPoP")!
    static let nonceHeader = HTTPField.Name("DPoP-Nonce")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        guard let header = request.headers[.authorization], let space = header.firstIndex(of: " ") else {
            throw RequestError.unauthorized
        }
        let scheme = header[..<space].lowercased()
        let value = String(header[header.index(after: space)...]).trimmingCharacters(in: .whitespaces)
        switch scheme {
        case "bearer", "dpop":
            return try await device(request, context: context, token: value, dpop: scheme == "dpop", next: next)
        case "basic":
            return try await appPassword(request, context: context, basic: value, next: next)
        default:
            throw RequestError.unauthorized
        }
    }

    private func device(
        _ request: Request, context: Context, token: String, dpop: Bool,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let address = services.caller(request, context).ipAddress
        guard let (account, device) = try await services.devices.authenticate(token: token, ipAddress: address) else {
            throw RequestError(
                status: 401, code: "invalid_token", message: "This credential is not valid. Sign in again.")
        }
        if let bound = device.dpopThumbprint {
            guard dpop else {
                throw DPoPError(
                    kind: .invalidToken,
                    reason: "This credential is bound to a key: send it as 'Authorization: DPoP' with a DPoP proof.")
            }
            let proofs = request.headers[values: Self.dpopHeader]
            guard proofs.count == 1 else {
                throw DPoPError.invalidProof("Send exactly one DPoP proof header with a bound credential.")
            }
            let thumbprint = try await services.verifyDPoP(
                proof: proofs[0], method: request.method.rawValue, path: request.uri.path, accessToken: token)
            guard ConstantTime.equals(thumbprint, bound) else {
                throw DPoPError.invalidProof("The proof is signed by a key this credential is not bound to.")
            }
        } else if dpop {
            throw DPoPError(
                kind: .invalidToken,
                reason: "This credential is not bound to a key: send it as 'Authorization: Bearer'.")
        }
        var context = context
        context.identity = HubIdentity(account: account, device: device)
        var response: Response
        if let profileID = device.profileID {
            // A profile session reaches only its own routes (deny by default, whatever routes exist later), and
            // runs under its profile so the services refuse account actions on their own.
            let path =
                request.uri.path.hasPrefix(prefix) ? String(request.uri.path.dropFirst(prefix.count)) : request.uri.path
            guard ProfilePolicy.allows(method: request.method.rawValue, path: path) else {
                throw ProfileService.Error.notAllowed
            }
            response = try await CredentialScope.$profileID.withValue(profileID) {
                try await next(request, context)
            }
        } else {
            response = try await next(request, context)
        }
        if device.dpopThumbprint != nil, services.configuration.dpopRequireNonce {
            response.headers[Self.nonceHeader] = services.environment.dpopNonces.current(
                now: services.environment.clock.now())
        }
        return response
    }

    private func appPassword(
        _ request: Request, context: Context, basic: String, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let refused = RequestError(
            status: 401, code: "invalid_credentials", message: "The username, email or app password is not correct.")
        guard basic.utf8.count <= 1024, let decoded = Data(base64Encoded: basic),
            let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":")
        else { throw refused }
        let identifier = String(text[..<colon])
        let secret = String(text[text.index(after: colon)...])
        guard
            let (account, password) = try await services.appPasswords.authenticate(
                identifier: identifier, secret: secret, caller: services.caller(request, context))
        else { throw refused }
        let path =
            request.uri.path.hasPrefix(prefix) ? String(request.uri.path.dropFirst(prefix.count)) : request.uri.path
        guard AppPasswordPolicy.allows(password.scopes, method: request.method.rawValue, path: path) else {
            throw AppPasswordService.Error.notAllowed
        }
        var context = context
        context.identity = HubIdentity(account: account, device: password.device)
        return try await CredentialScope.$appPassword.withValue(password) {
            try await next(request, context)
        }
    }
}
