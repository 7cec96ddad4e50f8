import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import QRCode

/// `gatehouse login --device`: the device authorization grant (RFC 8628) as a client. Asks the hub for a code,
/// shows it with a terminal QR code of the verification link, and polls until the owner approves it on `/link`.
struct DeviceCodeLogin {
    static let clientID = "gatehouse-cli"

    let base: String
    let deviceName: String?

    func run() async throws {
        let host = ProcessInfo.processInfo.hostName
        let started = try await post(
            "/oauth/device_authorization",
            [
                "client_id": Self.clientID, "device_name": deviceName ?? "gatehouse CLI on \(host)",
                "product": "gatehouse CLI", "version": "1", "platform": "Linux",
            ])
        guard started.status == 200, let deviceCode = started.json["device_code"] as? String,
            let userCode = started.json["user_code"] as? String,
            let uri = started.json["verification_uri"] as? String,
            let expiresIn = started.json["expires_in"] as? Int
        else { throw Self.failure(started) }
        var interval = max(1, started.json["interval"] as? Int ?? 5)
        say("On a browser signed in to your account, open \(uri) and enter this code:\n\n    \(userCode)\n")
        if let complete = started.json["verification_uri_complete"] as? String,
            let code = try? QRCode(text: complete, correction: .medium)
        {
            say("Or scan this with your phone:\n")
            say(code.terminalText())
        }
        say(
            "Only enter the code on a page of your own hub. Waiting for approval (the code expires in \(expiresIn / 60) minutes)..."
        )
        let deadline = Date().addingTimeInterval(TimeInterval(expiresIn))
        while Date() < deadline {
            try await Task.sleep(for: .seconds(interval))
            let answer = try await post(
                "/oauth/token",
                [
                    "grant_type": "urn:ietf:params:oauth:grant-type:device_code", "device_code": deviceCode,
                    "client_id": Self.clientID,
                ])
            if answer.status == 200, let token = answer.json["access_token"] as? String {
                try await save(token: token)
                return
            }
            switch answer.json["error"] as? String {
            case "authorization_pending": continue
            case "slow_down": interval += 5
            case "access_denied":
                throw HubClient.APIError(status: 400, code: "access_denied", message: "The sign-in was denied.")
            case "expired_token":
                throw HubClient.APIError(
                    status: 400, code: "expired_token", message: "The code expired. Run the command again.")
            default: throw Self.failure(answer)
            }
        }
        throw HubClient.APIError(status: 0, code: "expired_token", message: "The code expired. Run the command again.")
    }

    /// Writes a line to standard output at once (unbuffered), so a program reading the code sees it while we poll.
    private func say(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    private func save(token: String) async throws {
        let client = HubClient(baseURL: base, token: token)
        let (_, accountJSON) = try await client.request(.GET, "/account")
        let (_, devicesJSON) = try await client.request(.GET, "/devices")
        let username = (accountJSON as? [String: Any])?["username"] as? String ?? "?"
        let current = (devicesJSON as? [[String: Any]] ?? []).first { $0["current"] as? Bool == true }
        try StoredCredential(
            hub: base, token: token, deviceID: current?["id"] as? String ?? "", username: username,
            knownDeviceToken: nil
        ).save()
        say("Signed in as \(username). Credential saved to \(StoredCredential.path)")
    }

    private func post(_ path: String, _ fields: [String: String]) async throws -> (status: Int, json: [String: Any]) {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let body = fields.map { key, value in
            key + "=" + (value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")
        }.joined(separator: "&")
        var request = HTTPClientRequest(url: base + path)
        request.method = .POST
        request.headers.add(name: "User-Agent", value: "gatehouse-cli")
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        let json = (try? JSONSerialization.jsonObject(with: Data(buffer: bytes))) as? [String: Any] ?? [:]
        return (Int(response.status.code), json)
    }

    private static func failure(_ answer: (status: Int, json: [String: Any])) -> HubClient.APIError {
        HubClient.APIError(
            status: answer.status, code: answer.json["error"] as? String ?? "http_\(answer.status)",
            message: answer.json["error_description"] as? String ?? "The hub answered HTTP \(answer.status).")
    }
}
