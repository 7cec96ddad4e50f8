import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// A small JSON client for the hub's API, used by the people's commands (`login`, `devices`, ...).
struct HubClient {
    struct APIError: Error, CustomStringConvertible {
        var status: Int
        var code: String
        var message: String
        var description: String { "\(message) (\(code), HTTP \(status))" }
    }

    let baseURL: String
    let token: String?

    func request(_ method: HTTPMethod, _ path: String, body: [String: Any]? = nil) async throws -> (Int, Any?) {
        var request = HTTPClientRequest(url: baseURL + "/api/v1" + path)
        request.method = method
        request.headers.add(name: "User-Agent", value: "gatehouse-cli")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: body)))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 4 << 20)
        let status = Int(response.status.code)
        let json = bytes.readableBytes > 0 ? try? JSONSerialization.jsonObject(with: Data(buffer: bytes)) : nil
        if status >= 400 {
            let error = (json as? [String: Any])?["error"] as? [String: Any]
            throw APIError(
                status: status, code: error?["code"] as? String ?? "http_\(status)",
                message: error?["message"] as? String ?? "The hub answered HTTP \(status).")
        }
        return (status, json)
    }
}

/// Where the CLI keeps its device credential: `$XDG_CONFIG_HOME/gatehouse/credentials.json` (mode 0600).
struct StoredCredential: Codable {
    var hub: String
    var token: String
    var deviceID: String
    var username: String
    /// The known-device secret the hub issued at sign-in (sent back at the next sign-in).
    var knownDeviceToken: String?

    static var path: String {
        let env = ProcessInfo.processInfo.environment
        let base =
            env["GATEHOUSE_CONFIG_DIR"]
            ?? (env["XDG_CONFIG_HOME"].map { $0 + "/gatehouse" })
            ?? (NSHomeDirectory() + "/.config/gatehouse")
        return base + "/credentials.json"
    }

    static func load() throws -> StoredCredential {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw HubClient.APIError(status: 0, code: "not_signed_in", message: "Not signed in. Run gatehouse login.")
        }
        return try JSONDecoder().decode(StoredCredential.self, from: data)
    }

    func save() throws {
        let url = URL(fileURLWithPath: Self.path)
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700])
        let data = try JSONEncoder().encode(self)
        let temporary = Self.path + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600])
        else { throw CocoaError(.fileWriteNoPermission) }
        guard rename(temporary, Self.path) == 0 else { throw CocoaError(.fileWriteUnknown) }
    }

    static func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    var client: HubClient { HubClient(baseURL: hub, token: token) }
}
