import Foundation
import GatehouseCore
import GatehouseWire
import HTTPTypes
import Hummingbird

/// The holder's managed profiles (`/account/profiles`: create, restrictions, PIN, delete), the switch page
/// (`/account/profiles/:id/switch`), and a profile session's own page (`/profile`). Rules are ``ProfileService``'s.
struct ProfilePages {
    let pages: PageRoutes

    func register(on router: RouterGroup<HubRequestContext>) {
        router.get("/account/profiles") { request, context in
            guard let identity = pages.signedIn(context) else { return pages.redirect("/sign-in") }
            return try await page(identity, request)
        }
        router.post("/account/profiles") { request, context in
            guard let identity = pages.signedIn(context) else { return pages.redirect("/sign-in") }
            let fields = try await pages.form(request, context, identity: identity)
            do {
                let profile = try await pages.services.profiles.create(
                    account: identity.account, name: fields["name"] ?? "", pin: fields["pin"],
                    restrictions: Self.restrictions(fields), caller: pages.caller(request, context, identity))
                return try await page(
                    identity, request, flash: "The profile \u{201C}\(profile.name)\u{201D} was created.")
            } catch let error as ProfileService.Error {
                return try await page(
                    identity, request, errors: ["create": error.message],
                    status: HTTPResponse.Status(code: error.status))
            }
        }
        router.post("/account/profiles/:id/restrictions") { request, context in
            guard let identity = pages.signedIn(context) else { return pages.redirect("/sign-in") }
            let fields = try await pages.form(request, context, identity: identity)
            let id = try context.parameters.require("id")
            do {
                let profile = try await pages.services.profiles.update(
                    id: id, account: identity.account, name: fields["name"] ?? "",
                    restrictions: Self.restrictions(fields), caller: pages.caller(request, context, identity))
                return try await page(identity, request, flash: "Saved \u{201C}\(profile.name)\u{201D}.")
            } catch let error as ProfileService.Error {
                return try await page(
                    identity, request, errors: [id: error.message], status: HTTPResponse.Status(code: error.status))
            }
        }
        router.post("/account/profiles/:id/pin") { request, context in
            guard let identity = pages.signedIn(context) else { return pages.redirect("/sign-in") }
            let fields = try await pages.form(request, context, identity: identity)
            let id = try context.parameters.require("id")
            let clearing = fields["clear"] == "1"
            do {
                try await pages.services.profiles.setPIN(
                    id: id, account: identity.account, pin: clearing ? nil : (fields["pin"] ?? ""),
                    caller: pages.caller(request, context, identity))
                return try await page(identity, request, flash: clearing ? "The PIN was removed." : "The PIN was set.")
            } catch let error as ProfileService.Error {
                return try await page(
                    identity, request, errors: [id: error.message], status: HTTPResponse.Status(code: error.status))
            }
        }
        router.post("/account/profiles/:id/delete") { request, context in
            guard let identity = pages.signedIn(context) else { return pages.redirect("/sign-in") }
            _ = try await pages.form(request, context, identity: identity)
            try await pages.services.profiles.delete(
                id: try context.parameters.require("id"), account: identity.account,
                caller: pages.caller(request, context, identity))
            return try await page(identity, request, flash: "The profile was deleted and its sessions signed out.")
        }
        router.get("/account/profiles/:id/switch") { request, context in
            guard let identity = pages.signedIn(context) else { return pages.redirect("/sign-in") }
            let profile = try await pages.services.profiles.profile(
                id: try context.parameters.require("id"), account: identity.account)
            return try await switchPage(identity, profile, request)
        }
        router.post("/account/profiles/:id/switch") { request, context in
            guard let identity = pages.signedIn(context) else { return pages.redirect("/sign-in") }
            let fields = try await pages.form(request, context, identity: identity)
            let profile = try await pages.services.profiles.profile(
                id: try context.parameters.require("id"), account: identity.account)
            do {
                let (_, _, token) = try await pages.services.profiles.switchTo(
                    profileID: profile.id, account: identity.account, device: identity.device, pin: fields["pin"],
                    caller: pages.caller(request, context, identity))
                // The browser's own credential was revoked by the switch; the cookie now holds the profile session.
                return pages.redirect(
                    "/profile",
                    cookies: [BrowserSession.cookie(BrowserSession.sessionCookie, token.value, maxAge: 30 * 86_400)])
            } catch let error as ProfileService.Error {
                return try await switchPage(
                    identity, profile, request, error: error.message, status: HTTPResponse.Status(code: error.status))
            }
        }
        router.get("/profile") { request, context in
            guard let identity = pages.session.profileIdentity(context) else {
                return pages.redirect("/")
            }
            return try await home(identity, request)
        }
    }

    /// The restrictions in a posted form: `sections`, `allowed_labels` and `blocked_labels` are comma-separated
    /// (an empty `sections` means every section), `max_rating` a name on the scale or empty.
    static func restrictions(_ fields: [String: String]) -> ProfileRestrictions {
        func list(_ text: String?) -> [String] {
            (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        let sections = list(fields["sections"])
        return ProfileRestrictions(
            sections: sections.isEmpty ? nil : sections,
            maxRating: fields["max_rating"].flatMap { $0.isEmpty ? nil : $0 },
            allowedLabels: list(fields["allowed_labels"]), blockedLabels: list(fields["blocked_labels"]))
    }

    static func ratingOptions(selected: String?) -> [[String: Any]] {
        [["name": "", "label": "No limit", "selected": selected == nil]]
            + ContentRating.scale.map { ["name": $0.name, "label": $0.name, "selected": $0.name == selected] }
    }

    private func page(
        _ identity: HubIdentity, _ request: Request, flash: String? = nil, errors: [String: String] = [:],
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let services = pages.services
        let profiles = try await services.profiles.list(account: identity.account)
        let sessions = try await services.devices.devices(of: identity.account).filter { $0.profileID != nil }
        let data: [String: Any] = [
            "profiles": profiles.map { profile -> [String: Any] in
                let r = profile.restrictions
                // Mustache treats an empty string as true: leave empty values out.
                var entry: [String: Any] = [
                    "id": profile.id, "name": profile.name, "hasPin": profile.hasPIN,
                    "maxRating": r.maxRating ?? "no limit", "ratings": Self.ratingOptions(selected: r.maxRating),
                    "sessions": sessions.filter { $0.profileID == profile.id }.count,
                ]
                if let sections = r.sections, !sections.isEmpty { entry["sections"] = sections.joined(separator: ", ") }
                if !r.allowedLabels.isEmpty { entry["allowedLabels"] = r.allowedLabels.joined(separator: ", ") }
                if !r.blockedLabels.isEmpty { entry["blockedLabels"] = r.blockedLabels.joined(separator: ", ") }
                if let error = errors[profile.id] { entry["error"] = error }
                return entry
            },
            "hasProfiles": !profiles.isEmpty,
            "ratings": Self.ratingOptions(selected: nil),
            "errors": errors,
        ]
        return pages.renderer.page(
            "profiles", title: "Profiles", data: data, frame: try await pages.frame(identity, request, flash: flash),
            status: status)
    }

    private func switchPage(
        _ identity: HubIdentity, _ profile: Profile, _ request: Request, error: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        var data: [String: Any] = ["id": profile.id, "name": profile.name, "hasPin": profile.hasPIN]
        if let error { data["error"] = error }
        return pages.renderer.page(
            "profile-switch", title: "Switch to \(profile.name)", data: data,
            frame: try await pages.frame(identity, request), status: status)
    }

    private func home(_ identity: HubIdentity, _ request: Request) async throws -> Response {
        let services = pages.services
        guard let profile = try await services.profiles.profile(of: identity.device) else {
            return pages.redirect("/sign-in")
        }
        var servers: [[String: String]] = []
        for server in try await services.servers.servers(of: identity.account) {
            servers.append(["name": server.name, "url": server.url])
        }
        for server in try await services.servers.sharedServers(with: identity.account) {
            servers.append(["name": server.name, "url": server.url])
        }
        var frame = try await pages.frame(identity, request)
        frame.isSignedIn = false
        frame.isAdmin = false
        frame.profileName = profile.name
        let r = profile.restrictions
        var data: [String: Any] = ["name": profile.name, "servers": servers, "hasServers": !servers.isEmpty]
        if let rating = r.maxRating { data["maxRating"] = rating }
        if let sections = r.sections, !sections.isEmpty { data["sections"] = sections.joined(separator: ", ") }
        return pages.renderer.page("profile-home", title: profile.name, data: data, frame: frame)
    }
}
