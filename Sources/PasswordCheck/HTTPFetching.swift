import Foundation

/// The answer to an HTTP GET: status and body.
public struct HTTPFetchResponse: Sendable, Equatable {
    public var status: Int
    public var body: [UInt8]

    /// Creates a response.
    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }
}

/// The one HTTP operation the range client needs. The hub backs it with its own HTTP client (AsyncHTTPClient), so
/// this module links no HTTP stack: Foundation's URLSession would bring libcurl and its TLS libraries into the hub.
public protocol HTTPFetching: Sendable {
    /// Performs a GET of `url` with the given request headers; throws on transport failure.
    func get(_ url: URL, headers: [String: String]) async throws -> HTTPFetchResponse
}
