import Foundation
import GatehouseCore
import GatehouseWire
import HTTPTypes
import Hummingbird

/// The holder's managed profiles (`/account/profiles`: create, restrictions, PIN, delete), the switch page
/// (`/account/profiles/:id/switch`), and a profile session's own page (`/profile`). Rules are ``ProfileService``'s.
struct ProfilePages {
    let pages: PageRoutes

    func register(on router: Router<HubRequestContext>) {
        router.get("/account/profiles") { request, context in
            guard let identity = try await pages.signedIn(request, context) else { return pages.redirect("/sign-in") }
            return try await page(identity, request)
        }
        router.post("/account/profiles") { request, context in
            guard let identity = try await pages.signedIn(request, context) else { return pages.redirect("/sign-in") }
            let fields = try await pages.form(request, context, identity: identity)
            do {
                let profile = try await pages.services.profiles.create(
                    account: identity.account, name: fields["name"] ?? "", pin: fields["pin"],
                    restrictions: Self.restrictions(fields), caller: pages.caller(request, context, identity))
                return try await page(identity, request, flash: "The profile \u{201C}\(profile.name)\u{201D} was created.")
            } catch let error as ProfileService.Error {
                return try await page(
                    identity, request, errors: ["create": error.message], status: HTTPResponse.Status(code: error.status))
            }
        }
        router.post("/account/profiles/:id/restrictions") { request, context in
            guard let identity = try await pages.signedIn(request, context) else { return pages.redirect("/sign-in") }
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
            guard let identity = try await pages.signedIn(request, context) else { return pages.redirect("/sign-in") }
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
            guard let identity = try await pages.signedIn(request, context) else { return pages.redirect("/sign-in") }
            _ = try await pages.form(request, context, identity: identity)
            try await pages.services.profiles.delete(
                id: try context.parameters.require("id"), account: identity.account,
                caller: pages.caller(request, context, identity))
            return try await page(identity, request, flash: "The profile was deleted and its sessions signed out.")
        }
        router.get("/account/profiles/:id/switch") { request, context in
            guard let identity = try await pages.signedIn(request, context) else { return pages.redirect("/sign-in") }
            let profile = try await pages.services.profiles.profile(
                id: try context.parameters.require("id"), account: identity.account)
            return try await switchPage(identity, profile, request)
        }
        router.post("/account/profiles/:id/switch") { request, context in
            guard let identity = try await pages.signedIn(request, context) else { return pages.redirect("/sign-in") }
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
            guard let identity = try await pages.session.profileIdentity(request, context) else {
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
            sections: sections.isEmpty ? nil : sections, maxRating: fields["max_rating"].flatMap { $0.isEmpty ? nil : $0 },
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
        guard let profile = try await services.profiles.profile(of: identity.device) else { return pages.redirect("/sign-in") }
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

    static let profilesTemplate = """
        <h1>Profiles</h1>
        <p>Profiles are for children or a shared TV: no e-mail, no password, an optional PIN, and limits the media
        servers enforce (sections, a content-rating ceiling, labels). A device you are signed in on switches to a
        profile with its PIN; coming back to your account always takes your full sign-in, second factor included.</p>

        <section id="profile-list">
        <h2>Your profiles</h2>
        {{^hasProfiles}}<p class="hint">No profiles yet.</p>{{/hasProfiles}}
        <ul class="devices">
        {{#profiles}}
          <li class="device profile" data-profile-id="{{id}}">
            <div><strong class="profile-name">{{name}}</strong> {{#hasPin}}<span class="tag ok">PIN</span>{{/hasPin}}{{^hasPin}}<span class="tag warn">no PIN</span>{{/hasPin}}
            <br><span class="hint">Up to {{maxRating}}{{#sections}} · sections: {{sections}}{{/sections}}{{#allowedLabels}} · only labels: {{allowedLabels}}{{/allowedLabels}}{{#blockedLabels}} · never labels: {{blockedLabels}}{{/blockedLabels}} · {{sessions}} signed-in session(s)</span></div>
            {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
            <a class="button" href="/account/profiles/{{id}}/switch">Switch to {{name}}</a>
            <details><summary>Edit</summary>
            <form method="post" action="/account/profiles/{{id}}/restrictions">
              <input type="hidden" name="csrf" value="{{csrf}}">
              <label>Name <input name="name" value="{{name}}" maxlength="40" required></label>
              <label>Content-rating ceiling <select name="max_rating">{{#ratings}}<option value="{{name}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/ratings}}</select></label>
              <label>Sections (comma-separated; empty: all) <input name="sections" value="{{sections}}"></label>
              <label>Only items with one of these labels <input name="allowed_labels" value="{{allowedLabels}}"></label>
              <label>Never items with these labels <input name="blocked_labels" value="{{blockedLabels}}"></label>
              <button type="submit">Save (signs the profile's sessions out)</button>
            </form>
            <form method="post" action="/account/profiles/{{id}}/pin">
              <input type="hidden" name="csrf" value="{{csrf}}">
              <label>New PIN (4 to 6 digits) <input name="pin" inputmode="numeric" pattern="[0-9]{4,6}" autocomplete="off"></label>
              <button type="submit">Set PIN</button>
              <button type="submit" name="clear" value="1" class="secondary">Remove PIN</button>
            </form>
            <form method="post" action="/account/profiles/{{id}}/delete">
              <input type="hidden" name="csrf" value="{{csrf}}">
              <button type="submit" class="danger">Delete {{name}}</button>
            </form>
            </details>
          </li>
        {{/profiles}}
        </ul>
        </section>

        <section id="new-profile">
        <h2>New profile</h2>
        <form method="post" action="/account/profiles" novalidate>
          <input type="hidden" name="csrf" value="{{csrf}}">
          <label for="profile_name">Name</label>
          <input id="profile_name" name="name" maxlength="40" required {{#errors.create}}aria-invalid="true" aria-describedby="create-error"{{/errors.create}}>
          <label for="profile_pin">PIN (4 to 6 digits, optional)</label>
          <input id="profile_pin" name="pin" inputmode="numeric" pattern="[0-9]{4,6}" autocomplete="off">
          <label for="profile_rating">Content-rating ceiling</label>
          <select id="profile_rating" name="max_rating">{{#ratings}}<option value="{{name}}">{{label}}</option>{{/ratings}}</select>
          <label for="profile_sections">Sections (comma-separated; empty: all you can see)</label>
          <input id="profile_sections" name="sections">
          <label for="profile_allowed">Only items with one of these labels (optional)</label>
          <input id="profile_allowed" name="allowed_labels">
          <label for="profile_blocked">Never items with these labels (optional)</label>
          <input id="profile_blocked" name="blocked_labels">
          {{#errors.create}}<p class="error" id="create-error">{{errors.create}}</p>{{/errors.create}}
          <button type="submit">Create profile</button>
        </form>
        </section>
        """

    static let switchTemplate = """
        <h1>Switch to {{name}}</h1>
        <p>This browser becomes <strong>{{name}}</strong>'s profile: your own session here ends. To come back to your
        account you will sign in again with your password and second factor; a PIN never gets you back.</p>
        <form method="post" action="/account/profiles/{{id}}/switch" novalidate>
          <input type="hidden" name="csrf" value="{{csrf}}">
          {{#hasPin}}
          <label for="switch_pin">{{name}}'s PIN</label>
          <input id="switch_pin" name="pin" type="password" inputmode="numeric" autocomplete="off" required
            {{#error}}aria-invalid="true" aria-describedby="switch-error"{{/error}}>
          {{/hasPin}}
          {{#error}}<p class="error" id="switch-error" role="alert">{{error}}</p>{{/error}}
          <button type="submit">Switch to {{name}}</button>
        </form>
        <p><a href="/account/profiles">Back to profiles</a></p>
        """

    static let homeTemplate = """
        <h1>Hello, {{name}}</h1>
        <p id="profile-banner">You are using the profile <strong>{{name}}</strong>{{#maxRating}}, limited to {{maxRating}} and below{{/maxRating}}{{#sections}} in {{sections}}{{/sections}}.
        The account's settings are not available here; the account holder signs in to change them.</p>
        <h2>Media servers</h2>
        {{^hasServers}}<p class="hint">No media servers yet.</p>{{/hasServers}}
        <ul>{{#servers}}<li><a href="{{url}}" rel="noreferrer">{{name}}</a></li>{{/servers}}</ul>
        """
}
