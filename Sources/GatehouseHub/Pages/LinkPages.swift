import Foundation
import GatehouseCore
import Hummingbird

/// `/link`: the person's side of the device authorization grant (RFC 8628). Type the code a TV shows (or arrive
/// from its QR code with `?code=`), see what is asking, approve or deny.
///
/// Typing a code spends the account's and the address's code budget (``DeviceGrantService/entryPolicy``); a GET
/// never does, it only fills the field. Approving needs a recent sign-in or re-authentication: an older session is
/// sent to "Confirm it's you" first (before a code is spent) and comes back here.
struct LinkPages {
    let pages: PageRoutes

    func register(on router: RouterGroup<HubRequestContext>) {
        router.get("/link") { request, context in
            let typed = request.uri.queryParameters["code"].map(String.init) ?? ""
            let code = Self.displayCode(typed) ?? ""
            guard pages.signedIn(context) != nil else {
                return pages.redirect("/sign-in?next=" + Self.encoded(Self.linkPath(code)))
            }
            return try await pages.show("link", "Sign in a TV or app", ["code": code], request, context)
        }
        router.post("/link") { request, context in
            guard let identity = pages.signedIn(context) else {
                return pages.redirect("/sign-in?next=/link")
            }
            let fields = try await pages.form(request, context, identity: identity)
            let typed = fields["code"] ?? ""
            let code = Self.displayCode(typed) ?? ""
            let services = pages.services
            // An old session confirms first, before any code is spent, and comes back with the code filled in.
            guard services.devices.isRecentlyAuthenticated(identity.device) else {
                return pages.redirect("/account/confirm?next=" + Self.encoded(Self.linkPath(code)))
            }
            do {
                let pending = try await services.deviceGrant.lookup(
                    userCode: typed, account: identity.account, device: identity.device,
                    caller: pages.caller(request, context, identity))
                return try await details(pending, identity, request)
            } catch let error as any PublicError {
                var response = try await pages.show(
                    "link", "Sign in a TV or app",
                    ["code": code.isEmpty ? typed.clipped(toScalars: 20) : code, "error": error.message],
                    request, context, status: HTTPResponse.Status(code: error.status))
                if let retry = error.retryAfter { response.headers[.retryAfter] = String(retry) }
                return response
            }
        }
        router.post("/link/decide") { request, context in
            guard let identity = pages.signedIn(context) else {
                return pages.redirect("/sign-in?next=/link")
            }
            let fields = try await pages.form(request, context, identity: identity)
            let code = Self.displayCode(fields["code"] ?? "") ?? ""
            let approve = fields["decision"] == "approve"
            do {
                try await pages.services.deviceGrant.decide(
                    userCode: code, ticket: fields["ticket"] ?? "", approve: approve, account: identity.account,
                    device: identity.device, caller: pages.caller(request, context, identity))
            } catch AccountService.Error.reauthenticationRequired {
                return pages.redirect("/account/confirm?next=" + Self.encoded(Self.linkPath(code)))
            } catch let error as any PublicError {
                return try await pages.show(
                    "link", "Sign in a TV or app", ["code": "", "error": error.message], request, context,
                    status: HTTPResponse.Status(code: error.status))
            }
            let message =
                approve
                ? "Approved. The device signs in within a few seconds (a media server appears under Servers); devices are listed with yours, and we mailed you about them."
                : "Denied. The device was not signed in."
            return try await pages.show(
                "check-mail", approve ? "Device approved" : "Device denied",
                ["heading": approve ? "Device approved" : "Device denied", "message": message], request, context)
        }
    }

    private func details(_ pending: DeviceGrantService.Pending, _ identity: HubIdentity, _ request: Request)
        async throws
        -> Response
    {
        let formatter = ISO8601DateFormatter()
        var client: [String: Any] = ["name": pending.clientName, "registered": pending.isRegistered]
        if let logo = pending.clientLogo { client["logo"] = logo }
        var data: [String: Any] = [
            "code": pending.userCode, "ticket": pending.ticket, "username": identity.account.username,
            "client": client,
            "device": [
                "name": pending.info.name, "product": pending.info.product, "version": pending.info.version,
                "platform": pending.info.platform, "ipAddress": pending.ipAddress,
                "requestedAt": formatter.string(from: pending.requestedAt),
                "expiresAt": formatter.string(from: pending.expiresAt),
            ] as [String: Any],
        ]
        if !pending.scope.isEmpty { data["scope"] = pending.scope }
        if pending.isServerClaim { data["isServer"] = true }
        return pages.renderer.page(
            "link-details", title: "Sign in this device?", data: data,
            frame: try await pages.frame(identity, request))
    }

    /// `XXXX-XXXX` for a well-formed code, nil otherwise (so nothing else is echoed into a URL).
    static func displayCode(_ typed: String) -> String? {
        guard let normalized = DeviceGrantService.normalize(typed) else { return nil }
        return String(normalized.prefix(4)) + "-" + String(normalized.dropFirst(4))
    }

    static func linkPath(_ code: String) -> String {
        code.isEmpty ? "/link" : "/link?code=" + code
    }

    static func encoded(_ path: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~/")
        return path.addingPercentEncoding(withAllowedCharacters: allowed) ?? "/link"
    }
}
