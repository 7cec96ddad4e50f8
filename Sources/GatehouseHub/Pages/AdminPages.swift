import Foundation
import GatehouseCore
import Hummingbird

/// Operators' pages: find an account (require a reset, sign it out everywhere), declare and follow incidents.
struct AdminPages {
    let pages: PageRoutes

    private var services: HubServices { pages.services }

    func register(on router: RouterGroup<HubRequestContext>) {
        router.get("/admin") { request, context in
            guard let identity = try await admin(request, context) else { return pages.redirect("/sign-in") }
            return try await adminPage(identity, request)
        }
        router.post("/admin/accounts/:id/flag-reset") { request, context in
            guard let identity = try await admin(request, context) else { return pages.redirect("/sign-in") }
            _ = try await pages.form(request, context, identity: identity)
            let account = try await target(identity, context)
            let incident = try await services.incidents.declare(
                reason: "An administrator required a password reset for your account.", forceReset: [account.username],
                signOutAll: true, notify: true, banner: nil, by: .admin(identity.account, identity.device),
                caller: pages.caller(request, context, identity))
            _ = try await services.incidents.run(incidentID: incident.id)
            _ = try await services.incidents.resolve(id: incident.id)
            return try await adminPage(
                identity, request, flash: "\(account.username) must reset their password; every device was signed out.")
        }
        router.post("/admin/accounts/:id/sign-out") { request, context in
            guard let identity = try await admin(request, context) else { return pages.redirect("/sign-in") }
            _ = try await pages.form(request, context, identity: identity)
            let account = try await target(identity, context)
            let count = try await services.devices.signOutAll(
                of: account, by: .admin(identity.account, identity.device),
                caller: pages.caller(request, context, identity))
            return try await adminPage(identity, request, flash: "\(account.username): \(count) devices signed out.")
        }
        router.post("/admin/incidents") { request, context in
            guard let identity = try await admin(request, context) else { return pages.redirect("/sign-in") }
            let fields = try await pages.form(request, context, identity: identity)
            let reason = (fields["reason"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            let banner = (fields["banner"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard !reason.isEmpty else {
                return try await adminPage(
                    identity, request, errors: ["incident": "Say what happened."], status: .unprocessableContent)
            }
            do {
                let incident = try await services.incidents.declare(
                    reason: reason, forceReset: fields["force_reset"] == "1" ? [] : nil,
                    signOutAll: fields["sign_out_all"] == "1", notify: fields["notify"] == "1",
                    banner: banner.isEmpty ? nil : banner, by: .admin(identity.account, identity.device),
                    caller: pages.caller(request, context, identity))
                // The page answers at once; the batches go on on the background queue and the page shows progress.
                // A hub stopped mid-way resumes it at its next start (or `gatehouse incident resume ID`).
                services.incidents.start(incidentID: incident.id)
                return try await adminPage(identity, request, flash: "Incident \(incident.id) declared.")
            } catch let error as any PublicError {
                return try await adminPage(
                    identity, request, errors: ["incident": error.message],
                    status: HTTPResponse.Status(code: error.status))
            }
        }
        router.post("/admin/incidents/:id/resolve") { request, context in
            guard let identity = try await admin(request, context) else { return pages.redirect("/sign-in") }
            _ = try await pages.form(request, context, identity: identity)
            _ = try await services.incidents.resolve(id: try context.parameters.require("id"))
            return try await adminPage(identity, request, flash: "Incident resolved; its banner is gone.")
        }
    }

    /// The signed-in admin, nil when not signed in; 403 for a signed-in non-admin. Changes (every POST) also need
    /// a recent re-authentication: without one the admin is sent to "Confirm it's you" first.
    private func admin(_ request: Request, _ context: HubRequestContext) async throws -> HubIdentity? {
        guard let identity = pages.signedIn(context) else { return nil }
        let authorization = AdminAuthorization(environment: services.environment)
        if request.method == .post {
            try authorization.authorizeChange(account: identity.account, device: identity.device)
        } else {
            try authorization.requireAdmin(identity.account)
        }
        return identity
    }

    private func target(_ identity: HubIdentity, _ context: HubRequestContext) async throws -> Account {
        let id = try context.parameters.require("id")
        guard let account = try await services.admin.account(id: id, by: identity.account) else {
            throw RequestError.notFound
        }
        return account
    }

    /// Failed sign-ins from unknown devices in the last minute against the hub-wide threshold: a
    /// credential-stuffing wave shows here while it lasts (this instance's share of it).
    private func signInWatch() -> [String: Any] {
        let breaker = services.environment.breaker
        let now = services.environment.clock.now()
        let failures = breaker.failuresLastMinute(at: now)
        return [
            "failures": failures, "threshold": breaker.threshold,
            "wave": breaker.threshold > 0 && failures >= breaker.threshold,
        ]
    }

    private func adminPage(
        _ identity: HubIdentity, _ request: Request, flash: String? = nil, errors: [String: String] = [:],
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let query = request.uri.queryParameters["q"].map(String.init) ?? ""
        let results = try await services.admin.searchAccounts(query, by: identity.account)
        let formatter = ISO8601DateFormatter()
        let incidents = try await services.incidents.list().prefix(20).map { incident -> [String: Any] in
            [
                "id": incident.id, "reason": incident.reason, "declared": formatter.string(from: incident.createdAt),
                "processed": incident.processed, "total": incident.total, "state": incident.state.rawValue,
                "isResolved": incident.state == .resolved,
            ]
        }
        let data: [String: Any] = [
            "query": query, "searched": !query.isEmpty, "hasResults": !results.isEmpty,
            "results": results.map { account -> [String: Any] in
                [
                    "id": account.id, "username": account.username, "email": account.email,
                    "isResetRequired": account.isResetRequired,
                ]
            },
            "incidents": Array(incidents), "errors": errors,
            "signIns": signInWatch(),
            "signUpMode": services.environment.settings.signUpMode.rawValue,
            "membersCanInvite": services.environment.settings.membersCanInvite,
        ]
        return pages.renderer.page(
            "admin", title: "Operators", data: data,
            frame: try await pages.frame(identity, request, flash: flash), status: status)
    }
}
