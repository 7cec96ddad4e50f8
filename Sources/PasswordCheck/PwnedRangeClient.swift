import Foundation

/// Checks passwords against the Pwned Passwords range API by k-anonymity.
///
/// Only the first five hex digits of the SHA-1 leave the machine (`GET {base}/range/{PREFIX}`); the service answers
/// every suffix it knows under that prefix, and the match happens here. The `Add-Padding` header makes every answer
/// a similar size; padded entries carry a count of 0 and are ignored.
public struct PwnedRangeClient: BreachedPasswordSource {
    /// What a failed request (transport error, non-200 status, unreadable body) means.
    public enum FailureMode: String, Sendable, Codable {
        /// The password is treated as not breached, so an outage never blocks people.
        case failOpen = "open"
        /// ``isBreached(sha1:)`` throws ``RangeError/unavailable``, so the caller can refuse the password.
        case failClosed = "closed"
    }

    /// Why the client could not answer (only with ``FailureMode/failClosed``).
    public enum RangeError: Error, Equatable, Sendable {
        case unavailable(reason: String)
        case invalidDigest
    }

    /// The service root, for example `https://api.pwnedpasswords.com`.
    public var baseURL: URL
    public var failureMode: FailureMode
    private let fetcher: any HTTPFetching

    /// Creates a client that asks `baseURL` through `fetcher`.
    public init(baseURL: URL, failureMode: FailureMode = .failOpen, fetcher: any HTTPFetching) {
        self.baseURL = baseURL
        self.failureMode = failureMode
        self.fetcher = fetcher
    }

    public func isBreached(sha1: [UInt8]) async throws -> Bool {
        guard sha1.count == 20 else { throw RangeError.invalidDigest }
        let hex = SHA1.hexString(sha1)
        let prefix = String(hex.prefix(5))
        let suffix = String(hex.dropFirst(5))
        let url = baseURL.appendingPathComponent("range").appendingPathComponent(prefix)
        let response: HTTPFetchResponse
        do {
            response = try await fetcher.get(url, headers: ["Add-Padding": "true", "User-Agent": "gatehouse"])
        } catch {
            return try failed("request failed: \(error)")
        }
        guard response.status == 200 else {
            return try failed("status \(response.status)")
        }
        guard let body = String(validating: response.body, as: UTF8.self) else {
            return try failed("body is not UTF-8")
        }
        return Self.contains(suffix: suffix, inRangeBody: body)
    }

    /// Whether `body` (lines of `SUFFIX:COUNT`) lists `suffix` with a count above zero.
    static func contains(suffix: String, inRangeBody body: String) -> Bool {
        let wanted = suffix.uppercased()
        for line in body.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0].uppercased() == wanted else { continue }
            let count = UInt64(parts[1].trimmingCharacters(in: .whitespaces)) ?? 0
            return count > 0
        }
        return false
    }

    private func failed(_ reason: String) throws -> Bool {
        switch failureMode {
        case .failOpen: return false
        case .failClosed: throw RangeError.unavailable(reason: reason)
        }
    }
}
