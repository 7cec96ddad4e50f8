import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird
import NIOCore

/// The device authorization grant's endpoints (RFC 8628) in OAuth's own wire format: form-encoded requests, and
/// answers `{"error": ..., "error_description": ...}` (RFC 6749 §5.2) with `Cache-Control: no-store`, never the
/// hub's error envelope, so that OAuth client libraries understand every answer.
enum OAuthRoutes {
    static let deviceCodeGrant = "urn:ietf:params:oauth:grant-type:device_code"

    struct StartedView: Encodable {
        var deviceCode: String
        var userCode: String
        var verificationUri: String
        var verificationUriComplete: String
        var expiresIn: Int
        var interval: Int
    }

    struct TokenView: Encodable {
        var accessToken: String
        var tokenType: String
        var expiresIn: Int
    }

    struct ErrorView: Encodable {
        var error: String
        var errorDescription: String
    }

    typealias OAuthError = DeviceGrantService.OAuthError

    static let pragma = HTTPField.Name("Pragma")!

    static func register(_ table: inout APIRouteTable, services: HubServices) {
        table.addOpen(.post, "/device_authorization") { request, context in
            await answer(request, context) {
                let form = try await parameters(request, context)
                let clientID = try client(form, request)
                func field(_ name: String, _ limit: Int) -> String {
                    let value = (form[name] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                    return String(value.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7f }.prefix(limit))
                }
                let version = field("version", 40)
                let platform = field("platform", 60)
                // RFC 8628 asks for client_id and scope; device_name, product, version and platform are this hub's
                // optional extension parameters, shown on /link; a media server linking itself adds claim_code and
                // credential_digest.
                let info = Device.Info(
                    clientIdentifier: "", name: field("device_name", 100), product: field("product", 100),
                    version: version.isEmpty ? "?" : version, platform: platform.isEmpty ? "Unknown platform" : platform
                )
                var claim: DeviceGrantService.ServerClaimProof?
                if let code = form["claim_code"] {
                    claim = .init(code: code, credentialDigest: form["credential_digest"] ?? "")
                }
                let started = try await services.deviceGrant.start(
                    clientID: clientID, scope: form["scope"], info: info, caller: services.caller(request, context),
                    serverClaim: claim)
                return try JSONBody.response(
                    StartedView(
                        deviceCode: started.deviceCode, userCode: started.userCode,
                        verificationUri: started.verificationURI,
                        verificationUriComplete: started.verificationURIComplete, expiresIn: started.expiresIn,
                        interval: started.interval))
            }
        }
        table.addOpen(.post, "/token") { request, context in
            await answer(request, context) {
                let form = try await parameters(request, context)
                guard let grantType = form["grant_type"], !grantType.isEmpty else {
                    throw OAuthError.invalidRequest("grant_type is missing.")
                }
                guard grantType == deviceCodeGrant else { throw OAuthError.unsupportedGrantType }
                let clientID = try client(form, request)
                guard let deviceCode = form["device_code"], !deviceCode.isEmpty else {
                    throw OAuthError.invalidRequest("device_code is missing.")
                }
                // A DPoP proof (RFC 9449 section 5) binds the credential to its key; a bad one is refused before the
                // code is looked at, so it cannot spend a poll.
                let thumbprint = try await services.signInThumbprint(request)
                // The one call that issues a credential.
                let signedIn = try await services.deviceGrant.exchange(
                    deviceCode: deviceCode, clientID: clientID, caller: services.caller(request, context),
                    dpopThumbprint: thumbprint)
                return try JSONBody.response(
                    TokenView(
                        accessToken: signedIn.token.value, tokenType: thumbprint == nil ? "Bearer" : "DPoP",
                        expiresIn: services.deviceGrant.expiresIn(signedIn.device)))
            }
        }
    }

    /// The form's parameters: `application/x-www-form-urlencoded` only, each at most once (RFC 6749 §3.2).
    static func parameters(_ request: Request, _ context: HubRequestContext) async throws -> [String: String] {
        guard let type = request.headers[.contentType]?.lowercased(),
            type.hasPrefix("application/x-www-form-urlencoded")
        else { throw OAuthError.invalidRequest("Send the parameters as application/x-www-form-urlencoded.") }
        var form: [String: String] = [:]
        for (name, value) in try await FormBody.decodePairs(request, context: context) {
            guard form[name] == nil else {
                throw OAuthError.invalidRequest("\(name.clipped(toScalars: 40)) is repeated.")
            }
            form[name] = value
        }
        return form
    }

    /// The client_id: from the form, or (a public client's habit) the user name of HTTP Basic with an empty
    /// password. Both at once must agree.
    static func client(_ form: [String: String], _ request: Request) throws -> String {
        var fromHeader: String?
        if let header = request.headers[.authorization], header.lowercased().hasPrefix("basic ") {
            guard let decoded = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
                let text = String(data: decoded, encoding: .utf8), let colon = text.firstIndex(of: ":"),
                text[text.index(after: colon)...].isEmpty
            else { throw OAuthError.invalidClient }
            fromHeader = String(text[..<colon]).removingPercentEncoding
        }
        switch (form["client_id"], fromHeader) {
        case (let id?, nil), (nil, let id?): return id
        case (let a?, let b?) where a == b: return a
        case (nil, nil): throw OAuthError.invalidRequest("client_id is missing.")
        default: throw OAuthError.invalidClient
        }
    }

    /// Runs `body`, answering every failure in OAuth's format (a malformed body too).
    static func answer(_ request: Request, _ context: HubRequestContext, _ body: () async throws -> Response) async
        -> Response
    {
        do {
            var response = try await body()
            response.headers[pragma] = "no-cache"
            return response
        } catch let error as OAuthError {
            // RFC 6749 §5.2: a client that authenticated with the Authorization header gets 401 and a challenge.
            if error == .invalidClient, request.headers[.authorization]?.lowercased().hasPrefix("basic ") == true {
                var response = errorResponse(error.code, error.description, status: 401, retryAfter: nil)
                response.headers[.wwwAuthenticate] = "Basic realm=\"gatehouse\""
                return response
            }
            return errorResponse(error.code, error.description, status: error.status, retryAfter: error.retryAfter)
        } catch let error as DPoPError {
            // RFC 9449 section 5: 400 invalid_dpop_proof, or use_dpop_nonce with a DPoP-Nonce header.
            var response = errorResponse(
                error.oauthError, error.reason, status: error.status, retryAfter: error.retryAfter)
            for (name, value) in error.headers {
                if let field = HTTPField.Name(name) { response.headers[field] = value }
            }
            return response
        } catch let error as any PublicError {
            // Bodies too large, cut short, not UTF-8 or with NULs; a throttle.
            let code = error.status == 429 ? "temporarily_unavailable" : "invalid_request"
            return errorResponse(code, error.message, status: error.status, retryAfter: error.retryAfter)
        } catch {
            context.logger.error("unhandled error at an OAuth endpoint: \(String(reflecting: type(of: error)))")
            return errorResponse(
                "server_error", "Something went wrong on our side.", status: 500, retryAfter: nil)
        }
    }

    static func errorResponse(_ code: String, _ description: String, status: Int, retryAfter: Int?) -> Response {
        var response =
            (try? JSONBody.response(
                ErrorView(error: code, errorDescription: description), status: HTTPResponse.Status(code: status)))
            ?? Response(status: .internalServerError)
        response.headers[pragma] = "no-cache"
        if let retryAfter { response.headers[.retryAfter] = String(retryAfter) }
        return response
    }
}
