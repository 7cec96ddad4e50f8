import Foundation
import GatehouseCore
import Hummingbird

/// The owner's media servers: status against releases and advisories, claiming, removing; shares offered (with
/// their state) and shares offered to the account, to accept or decline. Claiming, removing, sharing and taking
/// back need a recent re-authentication (the service refuses; ``HubErrorMiddleware`` sends the page to confirm).
struct ServerPages {
    let pages: PageRoutes

    func register(on router: RouterGroup<HubRequestContext>) {
        router.get("/account/servers") { request, context in
            guard let identity = pages.signedIn(context) else { return pages.redirect("/sign-in") }
            return try await page(identity, request)
        }
        router.post("/account/servers/claim") { request, context in
            guard let identity = pages.signedIn(context) else { return pages.redirect("/sign-in") }
            let fields = try await pages.form(request, context, identity: identity)
            do {
                let server = try await pages.services.servers.claim(
                    code: fields["code"] ?? "", by: identity.account, device: identity.device,
                    caller: pages.caller(request, context, identity))
                return try await page(identity, request, flash: "\(server.name) is now yours.")
            } catch let error as any PublicError where (error as? AccountService.Error) != .reauthenticationRequired {
                return try await page(
                    identity, request, errors: ["claim": error.message], status: HTTPResponse.Status(code: error.status)
                )
            }
        }
        router.post("/account/servers/share") { request, context in
            guard let identity = pages.signedIn(context) else { return pages.redirect("/sign-in") }
            let fields = try await pages.form(request, context, identity: identity)
            let sections = (fields["sections"] ?? "").split(separator: ",").map {
                $0.trimmingCharacters(in: .whitespaces)
            }.filter { !$0.isEmpty }
            let who = (fields["account"] ?? "").trimmingCharacters(in: .whitespaces)
            do {
                guard !sections.isEmpty, !who.isEmpty else {
                    throw ServerService.Error.invalidShare("Name the account and at least one section.")
                }
                try await pages.services.servers.share(
                    serverID: fields["server"] ?? "", sections: sections, with: who, by: identity.account,
                    device: identity.device, caller: pages.caller(request, context, identity))
                // Alike whether or not the account exists (the same answer as the API's).
                return try await page(identity, request, flash: "Offered. The share counts once it is accepted.")
            } catch let error as ServerService.Error {
                return try await page(
                    identity, request, errors: ["share": error.message], status: HTTPResponse.Status(code: error.status)
                )
            }
        }
        router.post("/account/servers/:id/unshare") { request, context in
            guard let identity = pages.signedIn(context) else { return pages.redirect("/sign-in") }
            let fields = try await pages.form(request, context, identity: identity)
            try await pages.services.servers.unshare(
                serverID: try context.parameters.require("id"), section: fields["section"]?.nilIfBlank,
                from: fields["account"] ?? "", by: identity.account, device: identity.device,
                caller: pages.caller(request, context, identity))
            return try await page(identity, request, flash: "The share was taken back.")
        }
        router.post("/account/servers/:id/accept") { request, context in
            guard let identity = pages.signedIn(context) else { return pages.redirect("/sign-in") }
            _ = try await pages.form(request, context, identity: identity)
            do {
                try await pages.services.servers.acceptShare(
                    serverID: try context.parameters.require("id"), by: identity.account,
                    caller: pages.caller(request, context, identity))
                return try await page(identity, request, flash: "Accepted: the server is now shared with you.")
            } catch let error as ServerService.Error {
                return try await page(
                    identity, request, errors: ["pending": error.message],
                    status: HTTPResponse.Status(code: error.status))
            }
        }
        router.post("/account/servers/:id/decline") { request, context in
            guard let identity = pages.signedIn(context) else { return pages.redirect("/sign-in") }
            _ = try await pages.form(request, context, identity: identity)
            do {
                try await pages.services.servers.declineShare(
                    serverID: try context.parameters.require("id"), by: identity.account,
                    caller: pages.caller(request, context, identity))
                return try await page(identity, request, flash: "Declined: the offer is gone.")
            } catch let error as ServerService.Error {
                return try await page(
                    identity, request, errors: ["pending": error.message],
                    status: HTTPResponse.Status(code: error.status))
            }
        }
        router.post("/account/servers/:id/remove") { request, context in
            guard let identity = pages.signedIn(context) else { return pages.redirect("/sign-in") }
            _ = try await pages.form(request, context, identity: identity)
            try await pages.services.servers.remove(
                serverID: try context.parameters.require("id"), by: identity.account, device: identity.device,
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
                "advisories": standing.advisories.map {
                    "\($0.id) (\($0.severity)): \($0.summary) Fixed in \($0.fixed)."
                },
            ]
            if let latest = standing.latest { entry["latest"] = latest }
            owned.append(entry)
        }
        let shared = try await services.servers.sharedServers(with: identity.account).map {
            ["name": $0.name, "url": $0.url] as [String: Any]
        }
        let outgoing = try await services.servers.outgoingShares(of: identity.account).map {
            [
                "serverId": $0.share.serverID, "serverName": $0.serverName, "username": $0.username,
                "section": $0.share.section, "state": $0.share.isAccepted ? "accepted" : "pending",
                "tagClass": $0.share.isAccepted ? "ok" : "warn", "sharedAt": formatter.string(from: $0.share.createdAt),
            ] as [String: Any]
        }
        let pending = try await services.servers.pendingShares(for: identity.account).map {
            [
                "serverId": $0.server.id, "name": $0.server.name, "ownerUsername": $0.ownerUsername,
                "sections": $0.sections.joined(separator: ", "), "sharedAt": formatter.string(from: $0.createdAt),
            ] as [String: Any]
        }
        let data: [String: Any] = [
            "owned": owned, "hasOwned": !owned.isEmpty, "shared": shared, "hasShared": !shared.isEmpty,
            "outgoing": outgoing, "hasOutgoing": !outgoing.isEmpty, "pending": pending, "hasPending": !pending.isEmpty,
            "errors": errors,
        ]
        return pages.renderer.page(
            "servers", title: "Media servers", data: data,
            frame: try await pages.frame(identity, request, flash: flash),
            status: status)
    }
}

extension String {
    fileprivate var nilIfBlank: String? {
        let trimmed = trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty ? nil : trimmed
    }
}
