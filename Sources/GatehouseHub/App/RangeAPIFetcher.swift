import AsyncHTTPClient
import Foundation
import NIOCore
import PasswordCheck

/// The breached-password range API's HTTP client: AsyncHTTPClient's shared client, the one the CLI and the media
/// server use too. (Foundation's URLSession would map libcurl and its own TLS, Kerberos and LDAP libraries into the
/// hub process: about 6 MiB resident and a second TLS stack, for one GET.)
///
/// An answer is read up to ``maxBodyBytes`` (a padded range is about 30 KiB), so a hostile or broken service cannot
/// make the hub buffer without bound; a longer one fails the request, which the client's failure mode then decides.
struct RangeAPIFetcher: HTTPFetching {
    /// Seconds before a request is abandoned.
    var timeout: TimeAmount = .seconds(5)
    /// The largest answer read.
    var maxBodyBytes = 1 << 20

    func get(_ url: URL, headers: [String: String]) async throws -> HTTPFetchResponse {
        var request = HTTPClientRequest(url: url.absoluteString)
        for (name, value) in headers {
            request.headers.add(name: name, value: value)
        }
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        let body = try await response.body.collect(upTo: maxBodyBytes)
        return HTTPFetchResponse(status: Int(response.status.code), body: Array(buffer: body))
    }
}
