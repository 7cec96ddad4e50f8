/// An error that may be shown to a client: a status, a stable code and a human message.
///
/// Every domain error conforms; the hub maps it to a response in one place. Anything that does not conform
/// is answered as an opaque 500 and logged with the request id.
public protocol PublicError: Error {
    /// The HTTP status this error maps to.
    var status: Int { get }
    /// A stable machine-readable code, such as `invalid_credentials`.
    var code: String { get }
    /// A message a person can act on. Never contains a secret or an internal detail.
    var message: String { get }
    /// Seconds after which a retry may succeed (429 and 503 answers).
    var retryAfter: Int? { get }
    /// Field-level details (for example, which password rule failed).
    var details: [String: String] { get }
    /// Extra response headers (for example `WWW-Authenticate` and `DPoP-Nonce` for a refused DPoP proof).
    var headers: [(String, String)] { get }
}

extension PublicError {
    public var retryAfter: Int? { nil }
    public var details: [String: String] { [:] }
    public var headers: [(String, String)] { [] }
}

/// A general-purpose public error for simple cases.
public struct RequestError: PublicError, Equatable {
    public let status: Int
    public let code: String
    public let message: String
    public let retryAfter: Int?
    public let details: [String: String]

    public init(status: Int, code: String, message: String, retryAfter: Int? = nil, details: [String: String] = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
        self.details = details
    }

    public static func badRequest(_ message: String, code: String = "bad_request") -> RequestError {
        RequestError(status: 400, code: code, message: message)
    }

    public static let unauthorized = RequestError(
        status: 401, code: "unauthorized", message: "Sign in to continue.")
    public static let notFound = RequestError(status: 404, code: "not_found", message: "Not found.")
    public static let forbidden = RequestError(status: 403, code: "forbidden", message: "Not allowed.")
}
