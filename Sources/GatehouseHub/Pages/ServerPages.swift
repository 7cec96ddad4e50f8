import Foundation
import GatehouseCore
import Hummingbird

/// The owner's media servers: status against releases and advisories, claiming, removing.
struct ServerPages {
    let pages: PageRoutes

    func register(on router: Router<HubRequestContext>) {
        router.get("/account/servers") { request, context in
            guard let identity = try await pages.signedIn(request, context) else { return pages.redirect("/sign-in") }
            return try await page(identity, request)
        }
        router.post("/account/servers/claim") { request, context in
            guard let identity = try await pages.signedIn(request, context) else { return pages.redirect("/sign-in") }
            let fields = try await pages.form(request, context, identity: identity)
            do {
                let server = try await pages.services.servers.claim(
                    code: fields["code"] ?? "", by: identity.account, caller: pages.caller(request, context, identity))
                return try await page(identity, request, flash: "\(server.name) is now yours.")
            } catch let error as any PublicError {
                return try await page(
                    identity, request, errors: ["claim": error.message], status: HTTPResponse.Status(code: error.status))
            }
        }
        router.post("/account/servers/:id/remove") { request, context in
            guard let identity = try await pages.signedIn(request, context) else { return pages.redirect("/sign-in") }
            _ = try await pages.form(request, context, identity: identity)
            try await pages.services.servers.remove(
                serverID: try context.parameters.require("id"), by: identity.account,
                caller: pages.caller(request, context, identity))
            return try await page(identity, request, flash: "The server was removed; its credential no longer works.")
        }
    }

    private func page(
        _ identity: HubIdentity, _ request: Request, flash: String? = nil, errors: [String: String] = [:],
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let services = pages.services
        let formatter = ISO8601DateFormatter()
        var owned: [[String: Any]] = []
        for server in try await services.servers.servers(of: identity.account) {
            let standing = try await services.releases.status(of: server)
            let (text, tag): (String, String) =
                switch standing.state {
                case .current: ("up to date", "ok")
                case .updateAvailable: ("update available", "warn")
                case .vulnerable: ("vulnerable: update now", "bad")
                case .unknown: ("version unknown", "warn")
                }
            var entry: [String: Any] = [
                "id": server.id, "name": server.name, "version": server.version, "platform": server.platform,
                "lastSeen": formatter.string(from: server.lastSeenAt), "statusText": text, "tagClass": tag,
                "advisories": standing.advisories.map { "\($0.id) (\($0.severity)): \($0.summary) Fixed in \($0.fixed)." },
            ]
            if let latest = standing.latest { entry["latest"] = latest }
            owned.append(entry)
        }
        let shared = try await services.servers.sharedServers(with: identity.account).map {
            ["name": $0.name, "url": $0.url] as [String: Any]
        }
        let data: [String: Any] = [
            "owned": owned, "hasOwned": !owned.isEmpty, "shared": shared, "hasShared": !shared.isEmpty,
            "errors": errors,
        ]
        return pages.renderer.page(
            "servers", title: "Media servers", data: data, frame: try await pages.frame(identity, request, flash: flash),
            status: status)
    }
}
