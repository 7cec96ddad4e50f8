import Crypto
import Foundation
import GatehouseBasics
import GatehouseCore
import Hummingbird

/// Browser sessions: each browser is a device whose credential lives in an HttpOnly cookie; forms carry a CSRF
/// token and cross-origin posts are refused.
struct BrowserSession: Sendable {
    static let sessionCookie = "__Host-gh_session"
    static let csrfCookie = "__Host-gh_csrf"
    /// The known-device secret of this browser (see ``SignedIn/knownDeviceToken``).
    static let knownCookie = "__Host-gh_known"

    let services: HubServices
    let origin: String
    private let csrfKey: [UInt8]

    init(services: HubServices) {
        self.services = services
        self.origin = Self.origin(of: services.configuration.publicURL)
        // A key of its own (HKDF from the first pepper, `Keyring.derivedKey`), so CSRF tokens never equal any stored
        // secret and no data key has to stay for them.
        self.csrfKey = services.environment.keyring.derivedKey(purpose: "csrf").withUnsafeBytes { Array($0) }
    }

    static func origin(of url: String) -> String {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host
        else { return url }
        return scheme + "://" + host + (components.port.map { ":\($0)" } ?? "")
    }

    /// A `Set-Cookie` value with the flags every Gatehouse cookie has.
    static func cookie(_ name: String, _ value: String, maxAge: Int?) -> String {
        var text = "\(name)=\(value); Path=/; HttpOnly; Secure; SameSite=Lax"
        if let maxAge { text += "; Max-Age=\(maxAge)" }
        return text
    }

    /// The account holder's signed-in identity behind the session cookie, if any. A profile session is not the
    /// holder: every account page treats it as signed out (see ``profileIdentity(_:)``).
    func identity(_ context: HubRequestContext) -> HubIdentity? {
        guard let identity = context.browserIdentity, identity.device.profileID == nil else { return nil }
        return identity
    }

    /// The profile session behind the session cookie, if it is one.
    func profileIdentity(_ context: HubRequestContext) -> HubIdentity? {
        guard let identity = context.browserIdentity, identity.device.profileID != nil else { return nil }
        return identity
    }

    /// Whoever the session cookie belongs to: the holder's own device or a profile session.
    func anyIdentity(_ context: HubRequestContext) -> HubIdentity? {
        context.browserIdentity
    }

    /// Looks the session cookie up (``BrowserAuthenticator`` does, once per request): a browser device's live
    /// credential, or nil.
    func resolve(_ request: Request, _ context: HubRequestContext) async throws -> HubIdentity? {
        guard let token = request.cookies[Self.sessionCookie]?.value else { return nil }
        let address = services.caller(request, context).ipAddress
        guard let (account, device) = try await services.devices.authenticate(token: token, ipAddress: address),
            device.kind == .browser
        else { return nil }
        return HubIdentity(account: account, device: device)
    }

    /// `context` with the session looked up again, for a page drawn after a change that may have ended this very
    /// session (locking the account from a "this wasn't me" link).
    func refreshed(_ request: Request, _ context: HubRequestContext) async throws -> HubRequestContext {
        var context = context
        context.browserIdentity = try await resolve(request, context)
        return context
    }

    /// The CSRF token for a form: bound to the device when signed in, else to the anonymous CSRF cookie.
    func csrfToken(identity: HubIdentity?, request: Request) -> (token: String, cookie: String?) {
        if let identity {
            return (mac("device:" + identity.device.id), nil)
        }
        if let existing = request.cookies[Self.csrfCookie]?.value, existing.count == 43 {
            return (mac("anonymous:" + existing), nil)
        }
        let fresh = Encoding.base64URL(SecureRandom.bytes(32))
        return (mac("anonymous:" + fresh), Self.cookie(Self.csrfCookie, fresh, maxAge: 86_400))
    }

    /// Refuses a state-changing form post from another origin or without the right CSRF token.
    func checkPost(_ request: Request, form: [String: String], identity: HubIdentity?) throws {
        let forbidden = RequestError(
            status: 403, code: "csrf",
            message: "This form has expired or came from another site. Reload the page and try again.")
        if let sent = request.headers[.origin], sent != origin { throw forbidden }
        if request.headers[.origin] == nil, let referer = request.headers[.referer],
            Self.origin(of: referer) != origin
        {
            throw forbidden
        }
        guard let token = form["csrf"] else { throw forbidden }
        let expected: String
        if let identity {
            expected = mac("device:" + identity.device.id)
        } else {
            guard let cookie = request.cookies[Self.csrfCookie]?.value else { throw forbidden }
            expected = mac("anonymous:" + cookie)
        }
        guard ConstantTime.equals(token, expected) else { throw forbidden }
    }

    /// "Chrome on Linux" and the like, from the User-Agent.
    static func describe(userAgent: String?) -> (name: String, product: String, version: String, platform: String) {
        let agent = userAgent ?? ""
        let browsers = [("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari")]
        var product = "Browser"
        var version = "?"
        for (marker, name) in browsers {
            if let range = agent.range(of: marker) {
                product = name
                version = String(agent[range.upperBound...].prefix { $0.isNumber || $0 == "." }.prefix(20))
                break
            }
        }
        let platforms = [
            ("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"),
        ]
        let platform = platforms.first { agent.contains($0.0) }?.1 ?? "Unknown platform"
        return ("\(product) on \(platform)", product, version, platform)
    }

    private func mac(_ text: String) -> String {
        Encoding.base64URL(HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: SymmetricKey(data: csrfKey)))
    }
}

/// The browser authenticator: every page route runs behind it, so the session cookie is looked up once per request
/// (the credential check, its cache, last-seen and revocation rules are ``DeviceService/authenticate(token:ipAddress:)``'s),
/// and handlers read ``HubRequestContext/browserIdentity`` through ``BrowserSession``. An absent, unknown or revoked
/// cookie leaves the request anonymous: the page itself decides between showing a signed-out view and redirecting.
struct BrowserAuthenticator: RouterMiddleware {
    typealias Context = HubRequestContext
    let session: BrowserSession

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        var context = context
        context.browserIdentity = try await session.resolve(request, context)
        return try await next(request, context)
    }
}

/// `application/x-www-form-urlencoded` bodies: 413 past the size limit, 400 for a body cut short or badly framed,
/// for text that is not UTF-8 (raw or percent-encoded), for broken percent escapes and for NUL characters.
enum FormBody {
    static let invalidUTF8 = RequestError.badRequest("The form is not valid UTF-8.", code: "invalid_utf8")

    static func decode(_ request: Request, context: HubRequestContext) async throws -> [String: String] {
        var fields: [String: String] = [:]
        for (key, value) in try await decodePairs(request, context: context) where fields[key] == nil {
            fields[key] = value
        }
        return fields
    }

    /// Every (name, value) pair in order, repeats included (OAuth refuses a parameter sent twice).
    static func decodePairs(_ request: Request, context: HubRequestContext) async throws -> [(String, String)] {
        let buffer = try await BodyReader.collect(request, context: context)
        guard let text = String(validating: buffer.readableBytesView, as: UTF8.self) else { throw invalidUTF8 }
        var pairs: [(String, String)] = []
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = try decodeComponent(parts[0])
            let value = try parts.count > 1 ? decodeComponent(parts[1]) : ""
            pairs.append((key, value))
        }
        return pairs
    }

    private static func decodeComponent(_ text: Substring) throws -> String {
        guard let decoded = text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding else {
            throw invalidUTF8
        }
        guard !decoded.unicodeScalars.contains("\u{0}") else { throw BodyReader.nulCharacter }
        return decoded
    }
}
