import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird
import Logging
import NIOHTTP1

/// Maps every error to a response in one place: domain errors to their status and JSON body, a request NIO could not
/// parse to 400 (the connection is closed after it), anything else to an opaque 500 logged with the request id. Also
/// stamps the request id and security headers on every answer.
struct HubErrorMiddleware: RouterMiddleware {
    typealias Context = HubRequestContext

    let pages: PageRenderer?
    /// The hub terminates TLS itself (`--tls-cert`): every answer came over https and carries HSTS.
    var ownTLS = false

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let requestID =
            request.headers[.init("X-Request-Id")!].flatMap {
                $0.utf8.count <= 64 && $0.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) ? $0 : nil
            }
            ?? SecureRandom.identifier()
        var context = context
        context.logger[metadataKey: "request_id"] = .string(requestID)
        var response: Response
        do {
            response = try await next(request, context)
        } catch AccountService.Error.reauthenticationRequired where pages != nil && !request.uri.path.hasPrefix("/api/")
        {
            // A page asked for a change that needs "sudo mode": confirm first, then come back.
            response = Response(status: .seeOther)
            let path = request.uri.path
            let back =
                path.hasPrefix("/admin")
                ? "/admin" : path.hasPrefix("/account/servers") ? "/account/servers" : "/account/security"
            response.headers[.location] = "/account/confirm?next=" + back
        } catch {
            response = errorResponse(error, request: request, context: context)
            if error is HTTPParserError || error as? RequestError == BodyReader.malformed {
                // The framing of the rest of the stream cannot be trusted: answer and close.
                response.headers[.connection] = "close"
            }
        }
        response.headers[.init("X-Request-Id")!] = requestID
        SecurityHeaders.apply(to: &response.headers, request: request, ownTLS: ownTLS)
        return response
    }

    private func errorResponse(_ error: any Error, request: Request, context: Context) -> Response {
        let status: Int
        let code: String
        let message: String
        var details: [String: String]?
        var retryAfter: Int?
        var extraHeaders: [(String, String)] = []
        switch error {
        case let error as any PublicError:
            status = error.status
            code = error.code
            message = error.message
            details = error.details.isEmpty ? nil : error.details
            retryAfter = error.retryAfter
            extraHeaders = error.headers
        case let error as HTTPParserError:
            // A body that is badly framed or cut short, read somewhere that did not go through `BodyReader`.
            status = 400
            code = "malformed_body"
            message = BodyReader.malformed.message
            context.logger.debug("HTTP parse error: \(error)")
        case let error as HTTPError:
            status = Int(error.status.code)
            switch error.status {
            case .notFound: (code, message) = ("not_found", "No such resource.")
            case .methodNotAllowed: (code, message) = ("method_not_allowed", "That method is not allowed here.")
            case .contentTooLarge: (code, message) = ("body_too_large", "The request body is too large.")
            default:
                code = status < 500 ? "bad_request" : "internal_error"
                message = status < 500 ? "The request could not be understood." : "Something went wrong on our side."
            }
        default:
            status = 500
            code = "internal_error"
            message = "Something went wrong on our side. The request id helps an operator find out what."
            context.logger.error("unhandled error: \(String(reflecting: type(of: error)))")
        }
        if status >= 500 && !(error is WorkPool.Overloaded) {
            context.logger.error("answered \(status) for \(request.method) \(request.uri.path)")
        }
        if let pages, !request.uri.path.hasPrefix("/api/") {
            var response = pages.errorPage(status: status, message: message, request: request, context: context)
            if let retryAfter { response.headers[.retryAfter] = String(retryAfter) }
            return response
        }
        let requestID: String? =
            if case .string(let id) = context.logger[metadataKey: "request_id"] { id } else { nil }
        let body = ErrorBody(error: .init(code: code, message: message, details: details, requestId: requestID))
        var response =
            (try? JSONBody.response(body, status: HTTPResponse.Status(code: status)))
            ?? Response(status: .internalServerError)
        if let retryAfter { response.headers[.retryAfter] = String(retryAfter) }
        for (name, value) in extraHeaders {
            if let field = HTTPField.Name(name) { response.headers[field] = value }
        }
        return response
    }
}

/// Headers every answer carries.
enum SecurityHeaders {
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        + "frame-ancestors 'none'; base-uri 'none'; connect-src 'self'"

    /// The HSTS policy when the hub terminates TLS itself: one day, this host only. Short on purpose: a household
    /// certificate (self-signed or its own CA) is the kind that gets turned off or replaced by a proxy, and a long
    /// max-age would lock browsers out of the plain-HTTP hub for months. Behind an https proxy (which says so with
    /// `X-Forwarded-Proto`), the long policy below stays.
    static let ownTLSStrictTransportSecurity = "max-age=86400"

    static func apply(to headers: inout HTTPFields, request: Request, ownTLS: Bool = false) {
        headers[.init("Content-Security-Policy")!] = contentSecurityPolicy
        headers[.init("X-Content-Type-Options")!] = "nosniff"
        headers[.init("Referrer-Policy")!] = "same-origin"
        headers[.init("X-Frame-Options")!] = "DENY"
        headers[.init("Cross-Origin-Opener-Policy")!] = "same-origin"
        headers[.init("Permissions-Policy")!] = "camera=(), microphone=(), geolocation=()"
        if ownTLS {
            headers[.init("Strict-Transport-Security")!] = ownTLSStrictTransportSecurity
        } else if request.uri.scheme?.rawValue == "https" || request.headers[.init("X-Forwarded-Proto")!] == "https" {
            headers[.init("Strict-Transport-Security")!] = "max-age=63072000; includeSubDomains"
        }
    }
}
