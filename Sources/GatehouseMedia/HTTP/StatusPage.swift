import Foundation
import GatehouseBasics
import Hummingbird

/// `GET /` and `GET /api/status`: whether the server is claimed, its claim code, server id and version.
/// The claim code appears only when `showCode` (a loopback peer that named this machine as localhost); the
/// alerts about trust in the hub always do, so the owner sees them.
struct StatusPage {
    let server: MediaServer
    let showCode: Bool

    struct Status: Encodable {
        var claimed: Bool
        var claimCode: String?
        var claimExpiresAt: Int64?
        var serverID: String?
        var name: String
        var version: String
        var sections: Int
        var items: Int
        var alerts: [String]
        /// Whether the hub's revocation stream is open (the server hears revocations as they happen).
        var revocationsLive: Bool
        enum CodingKeys: String, CodingKey {
            case claimed, name, version, sections, items, alerts
            case claimCode = "claim_code"
            case claimExpiresAt = "claim_expires_at"
            case serverID = "server_id"
            case revocationsLive = "revocations_live"
        }
    }

    var status: Status {
        var status = Status(
            claimed: false, name: server.configuration.name, version: server.configuration.version,
            sections: server.library.sections.count, items: server.library.itemCount, alerts: server.alerts.messages,
            revocationsLive: server.revocations.isLive)
        switch server.identity.current {
        case .claimed(let serverID, _, let name):
            status.claimed = true
            status.serverID = serverID
            status.name = name
        case .unclaimed(let code, let expiresAt):
            if showCode {
                status.claimCode = code
                status.claimExpiresAt = expiresAt
            }
        }
        return status
    }

    func json() throws -> Response {
        try JSONResponse.make(status)
    }

    func html() -> Response {
        let status = status
        let claim: String
        if status.claimed {
            claim = "<p>Claimed. Server id: <code>\(HTML.escape(status.serverID ?? ""))</code></p>"
        } else if let code = status.claimCode {
            claim = """
                <p>Not claimed yet. Claim it on the hub with this code:</p>
                <p style="font-size:2em;font-family:monospace">\(HTML.escape(code))</p>
                <p>or run <code>gatehouse servers claim \(HTML.escape(code))</code></p>
                """
        } else if !showCode {
            claim =
                "<p>Not claimed yet. The claim code shows on the server's console and at http://localhost:PORT/ on its own machine.</p>"
        } else {
            claim = "<p>Not claimed yet; waiting for the hub to issue a claim code.</p>"
        }
        let alerts = status.alerts.map { "<p style=\"color:#a00\"><strong>Attention:</strong> \(HTML.escape($0))</p>" }
            .joined(separator: "\n")
        let page = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Gatehouse media server</title></head>
            <body><h1>\(HTML.escape(status.name))</h1>
            \(alerts)
            \(claim)
            <p>Version \(HTML.escape(status.version)) · \(status.sections) sections · \(status.items) items</p>
            </body></html>
            """
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                .contentSecurityPolicy: "default-src 'none'; style-src 'unsafe-inline'",
            ],
            body: .init(byteBuffer: ByteBuffer(string: page)))
    }
}
