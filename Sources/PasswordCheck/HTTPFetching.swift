import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

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

/// The one HTTP operation the range client needs, so the hub can back it with its own HTTP client.
public protocol HTTPFetching: Sendable {
    /// Performs a GET of `url` with the given request headers; throws on transport failure.
    func get(_ url: URL, headers: [String: String]) async throws -> HTTPFetchResponse
}

/// ``HTTPFetching`` on Foundation's `URLSession`.
public struct URLSessionFetcher: HTTPFetching {
    /// Seconds before a request is abandoned.
    public var timeout: TimeInterval

    /// Creates a fetcher with a per-request timeout.
    public init(timeout: TimeInterval = 5) {
        self.timeout = timeout
    }

    /// Why a response could not be used.
    public enum FetchError: Error, Sendable {
        case notHTTP
    }

    public func get(_ url: URL, headers: [String: String]) async throws -> HTTPFetchResponse {
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.httpMethod = "GET"
        for (name, value) in headers {
            request.setValue(value, forHTTPHeaderField: name)
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        guard let http = response as? HTTPURLResponse else { throw FetchError.notHTTP }
        return HTTPFetchResponse(status: http.statusCode, body: Array(data))
    }
}
