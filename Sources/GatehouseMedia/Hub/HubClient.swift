import AsyncHTTPClient
import Foundation
import GatehouseWire
import Hummingbird

/// The media server's calls to the hub (see docs/media-protocol.md). The server credential is sent only in the
/// `Authorization` header and never logged.
public struct HubClient: HubKeySource {
    /// Errors talking to the hub.
    public enum Failure: Error, Equatable {
        case unexpectedStatus(UInt)
        case invalidResponse
    }

    let baseURL: String
    let client: HTTPClient

    /// Creates a client for the hub at `baseURL` (no trailing slash needed).
    init(baseURL: String, client: HTTPClient) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.client = client
    }

    func url(_ path: String) -> String { baseURL + path }

    /// Asks for a claim code, sending only the digest of the server credential.
    func requestClaim(
        name: String, version: String, platform: String, publicURL: String?, credentialDigest: String
    ) async throws -> ServerClaimCode {
        // The hub requires `url`: a server without a public address sends it empty.
        let body = ServerClaimRequest(
            name: name, version: version, platform: platform, url: publicURL ?? "", credentialDigest: credentialDigest)
        let (status, data) = try await send(.post, "/api/v1/servers/claims", credential: nil, json: body)
        guard status == 201 || status == 200 else { throw Failure.unexpectedStatus(status) }
        return try decode(ServerClaimCode.self, data)
    }

    /// A device-code link (RFC 8628) for claiming this server on the hub's `/link` page.
    struct LinkCode: Decodable, Equatable {
        var userCode: String
        var verificationURIComplete: String
        var expiresIn: Int64
        enum CodingKeys: String, CodingKey {
            case userCode = "user_code"
            case verificationURIComplete = "verification_uri_complete"
            case expiresIn = "expires_in"
        }
    }

    /// `POST /oauth/device_authorization` as the built-in `gatehouse-media` client, with the claim code and the
    /// digest of the server credential (never the credential): the owner can approve the server on `/link` instead
    /// of typing the claim code.
    func requestLink(claimCode: String, credentialDigest: String) async throws -> LinkCode {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let fields = [
            ("client_id", "gatehouse-media"), ("claim_code", claimCode), ("credential_digest", credentialDigest),
        ]
        let body = fields.map { $0.0 + "=" + ($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "") }
            .joined(separator: "&")
        var request = HTTPClientRequest(url: url("/oauth/device_authorization"))
        request.method = .POST
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await client.execute(request, timeout: .seconds(15))
        let data = try await response.body.collect(upTo: 1 << 20)
        guard response.status.code == 200 else { throw Failure.unexpectedStatus(response.status.code) }
        return try decode(LinkCode.self, Data(data.readableBytesView))
    }

    /// `GET /servers/me`: nil when the hub answers 401 (not claimed, or removed).
    func me(credential: String) async throws -> ServerInfo? {
        let (status, data) = try await send(.get, "/api/v1/servers/me", credential: credential, json: nil as Never?)
        if status == 401 { return nil }
        guard status == 200 else { throw Failure.unexpectedStatus(status) }
        return try decode(ServerInfo.self, data)
    }

    /// Sends a heartbeat; false when the hub answers 401.
    func heartbeat(credential: String, version: String, platform: String) async throws -> Bool {
        struct Body: Encodable {
            var version: String
            var platform: String
        }
        let (status, _) = try await send(
            .post, "/api/v1/servers/me/heartbeat", credential: credential,
            json: ServerHeartbeat(version: version, platform: platform))
        if status == 401 { return false }
        guard (200..<300).contains(status) else { throw Failure.unexpectedStatus(status) }
        return true
    }

    /// Fetches the hub's published media-token keys (bare, without checking the chain).
    public func fetchKeys() async throws -> [String: HubPublicKey] {
        var keys: [String: HubPublicKey] = [:]
        for key in try await fetchPublishedKeys() { keys[key.kid] = key.key }
        return keys
    }

    /// Fetches the hub's published media-token keys with their endorsements.
    public func fetchPublishedKeys() async throws -> [PublishedHubKey] {
        let (status, data) = try await send(.get, "/api/v1/keys/media", credential: nil, json: nil as Never?)
        guard status == 200 else { throw Failure.unexpectedStatus(status) }
        return try decode(MediaKeySet.self, data).keys.compactMap { key in
            guard let raw = Base64URL.decode(key.publicKey), let publicKey = try? HubPublicKey(rawRepresentation: raw)
            else { return nil }
            return PublishedHubKey(
                kid: key.kid, key: publicKey, signedBy: key.signedBy,
                signature: key.signature.flatMap { Base64URL.decode($0) })
        }
    }

    /// Opens the revocation event stream; the caller reads the body.
    func openRevocationStream(credential: String) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: url("/api/v1/servers/me/revocations"))
        request.headers.add(name: "Authorization", value: "Bearer \(credential)")
        request.headers.add(name: "Accept", value: "text/event-stream")
        // The deadline covers the whole body, so it must outlive the stream; a dead connection is caught by the
        // client's 45 s read timeout instead (the hub pings every 15 s). A daily reconnect is harmless.
        return try await client.execute(request, timeout: .hours(12))
    }

    enum Verb { case get, post }

    func send<Body: Encodable>(
        _ method: Verb, _ path: String, credential: String?, json: Body?
    ) async throws -> (UInt, Data) {
        var request = HTTPClientRequest(url: url(path))
        switch method {
        case .get: request.method = .GET
        case .post: request.method = .POST
        }
        if let credential {
            request.headers.add(name: "Authorization", value: "Bearer \(credential)")
        }
        request.headers.add(name: "Accept", value: "application/json")
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try WireJSON.encoder.encode(json)))
        }
        let response = try await client.execute(request, timeout: .seconds(15))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (response.status.code, Data(body.readableBytesView))
    }

    func decode<T: Decodable>(_ type: T.Type, _ data: Data) throws -> T {
        do {
            return try WireJSON.decoder.decode(type, from: data)
        } catch {
            throw Failure.invalidResponse
        }
    }
}
