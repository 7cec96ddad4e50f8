import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird
import QRCode

/// The household's pages: the first start's setup page (`/setup`), invitations (`/account/invitations`) and the
/// newcomer's side of an invitation (`/join`). Every rule is in ``SetupService`` and ``InvitationService``.
struct HouseholdPages {
    let pages: PageRoutes

    private var services: HubServices { pages.services }

    func register(on router: RouterGroup<HubRequestContext>) {
        router.get("/setup") { request, context in
            let token = request.uri.queryParameters["token"].map(String.init) ?? ""
            guard try await services.setup.isValid(token: token) else { return try await setupGone(request, context) }
            let secret = services.setup.newSecret()
            return try await setupForm(
                token: token, secret: secret.secretBase32, fields: [:], errors: [:], request, context)
        }
        router.post("/setup") { request, context in try await completeSetup(request, context) }
        registerRecovery(on: router)
        router.get("/join") { request, context in
            let token = request.uri.queryParameters["token"].map(String.init) ?? ""
            guard let preview = try await services.invitations.preview(token: token) else {
                return try await pages.show(
                    "check-mail", "Invitation",
                    [
                        "heading": "This invitation does not work",
                        "message": InvitationService.Error.invalid.message,
                    ], request, context, status: .gone)
            }
            return try await pages.show(
                "join", "Join", ["token": token, "inviter": preview.inviter, "hasShares": preview.sections > 0],
                request, context)
        }
        router.post("/join") { request, context in try await join(request, context) }
        router.get("/account/invitations") { request, context in
            guard let identity = pages.signedIn(context) else {
                return pages.redirect("/sign-in?next=/account/invitations")
            }
            return try await invitationsPage(identity, request, context)
        }
        router.post("/account/invitations") { request, context in try await createInvitation(request, context) }
        router.post("/account/invitations/:id/revoke") { request, context in
            guard let identity = pages.signedIn(context) else { return pages.redirect("/sign-in") }
            _ = try await pages.form(request, context, identity: identity)
            try await services.invitations.revoke(
                id: try context.parameters.require("id"), by: identity.account, device: identity.device,
                caller: pages.caller(request, context, identity))
            return try await invitationsPage(identity, request, context, flash: "The invitation was revoked.")
        }
    }

    // MARK: Recovery links

    private func registerRecovery(on router: RouterGroup<HubRequestContext>) {
        router.post("/admin/recovery-link") { request, context in
            guard let identity = pages.signedIn(context) else { return pages.redirect("/sign-in") }
            let fields = try await pages.form(request, context, identity: identity)
            let issued = try await services.recoveryLinks.issue(
                for: (fields["member"] ?? "").trimmingCharacters(in: .whitespaces), by: identity.account,
                device: identity.device, caller: pages.caller(request, context, identity))
            let code = try QRCode(text: issued.link, correction: .medium)
            let scale = 4
            return try await pages.show(
                "recovery-issued", "Recovery link",
                [
                    "username": issued.account.username, "link": issued.link,
                    "png": Data(code.png(scale: scale)).base64EncodedString(),
                    "width": (code.size + 2 * QRCode.quietZone) * scale,
                    "expires": ISO8601DateFormatter().string(from: issued.expiresAt),
                ], request, context)
        }
        router.get("/recover") { request, context in
            let token = request.uri.queryParameters["token"].map(String.init) ?? ""
            guard let pending = try await services.recoveryLinks.pending(token: token) else {
                return try await recoverGone(request, context)
            }
            return try await pages.show(
                "recover", "Recover your account",
                ["token": token, "username": pending.username, "needsCode": pending.needsSecondFactor], request, context
            )
        }
        router.post("/recover") { request, context in
            let fields = try await pages.form(request, context, identity: nil)
            let token = fields["token"] ?? ""
            guard let pending = try await services.recoveryLinks.pending(token: token) else {
                return try await recoverGone(request, context)
            }
            func again(_ errors: [String: String], _ status: Int) async throws -> Response {
                try await pages.show(
                    "recover", "Recover your account",
                    [
                        "token": token, "username": pending.username, "needsCode": pending.needsSecondFactor,
                        "email": fields["email"] ?? "", "errors": errors,
                    ], request, context, status: HTTPResponse.Status(code: status))
            }
            do {
                let email = (fields["email"] ?? "").trimmingCharacters(in: .whitespaces)
                try await services.recoveryLinks.complete(
                    token: token, newPassword: fields["password"] ?? "", newEmail: email.isEmpty ? nil : email,
                    code: fields["code"], caller: pages.caller(request, context))
                return try await pages.show(
                    "check-mail", "Account recovered",
                    [
                        "heading": "Your password is set",
                        "message": "Every device was signed out. Sign in with your new password."
                            + (email.isEmpty ? "" : " Confirm your new address with the link we mailed to it."),
                    ], request, context)
            } catch let error as AdminRecoveryLinkService.Error {
                return try await again(["code": error.message], error.status)
            } catch let error as PasswordRejected {
                return try await again(["password": error.message], 422)
            } catch let error as AccountService.Error {
                if error == .invalidToken { return try await recoverGone(request, context) }
                if case .invalidEmail(let reason) = error { return try await again(["email": reason], error.status) }
                if error == .taken { return try await again(["email": "That address cannot be used."], error.status) }
                return try await again(["password": error.message], error.status)
            }
        }
    }

    private func recoverGone(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        try await pages.show(
            "check-mail", "Recovery link",
            [
                "heading": "This recovery link does not work",
                "message":
                    "It was used, has expired, or too many wrong codes were entered. Ask your administrator for a new one.",
            ], request, context, status: .gone)
    }

    // MARK: Setup

    private func setupGone(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        try await pages.show(
            "check-mail", "Setup",
            [
                "heading": "This setup link does not work",
                "message": "It was used, replaced by a newer one, or has expired, or the hub already has an admin. "
                    + "Restart the hub while it has no admin to print a new link on its console.",
            ], request, context, status: .gone)
    }

    private func setupForm(
        token: String, secret: String, fields: [String: String], errors: [String: String], _ request: Request,
        _ context: HubRequestContext, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        guard let enrollment = services.setup.enrollment(secretBase32: secret, username: fields["username"] ?? "")
        else {
            return try await setupGone(request, context)
        }
        let qr = try PageRoutes.enrollmentData(enrollment)
        return try await pages.show(
            "setup", "Set up this hub",
            [
                "token": token, "secret": secret, "qr": qr, "username": fields["username"] ?? "",
                "email": fields["email"] ?? "", "errors": errors,
            ], request, context, status: status)
    }

    private func completeSetup(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        let fields = try await pages.form(request, context, identity: nil)
        let token = fields["token"] ?? ""
        let secret = fields["secret"] ?? ""
        guard try await services.setup.isValid(token: token) else { return try await setupGone(request, context) }
        guard services.setup.enrollment(secretBase32: secret, username: "") != nil else {
            return try await setupGone(request, context)
        }
        do {
            let (account, codes) = try await services.setup.complete(
                token: token, username: fields["username"] ?? "", email: fields["email"] ?? "",
                password: fields["password"] ?? "", secretBase32: secret, code: fields["code"] ?? "",
                caller: pages.caller(request, context))
            return try await pages.show(
                "setup-done", "Hub set up", ["username": account.username, "codes": codes], request, context)
        } catch let error as AccountService.Error {
            if error == .invalidToken { return try await setupGone(request, context) }
            var errors: [String: String] = [:]
            switch error {
            case .invalidEmail(let reason): errors["email"] = reason
            default: errors["username"] = error.message
            }
            return try await setupForm(
                token: token, secret: secret, fields: fields, errors: errors, request, context,
                status: HTTPResponse.Status(code: error.status))
        } catch let error as PasswordRejected {
            return try await setupForm(
                token: token, secret: secret, fields: fields, errors: ["password": error.message], request, context,
                status: .unprocessableContent)
        } catch TwoFactorService.Error.invalidCode {
            return try await setupForm(
                token: token, secret: secret, fields: fields,
                errors: ["code": "That code is not right. Enter the code your authenticator app shows now."], request,
                context, status: .unprocessableContent)
        }
    }

    // MARK: Joining

    private func join(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        let fields = try await pages.form(request, context, identity: pages.signedIn(context))
        let token = fields["token"] ?? ""
        let data: [String: Any] = [
            "token": token, "username": fields["username"] ?? "", "email": fields["email"] ?? "",
        ]
        func again(_ errors: [String: String], _ status: Int) async throws -> Response {
            var data = data
            data["errors"] = errors
            if let preview = try await services.invitations.preview(token: token) {
                data["inviter"] = preview.inviter
                data["hasShares"] = preview.sections > 0
            }
            return try await pages.show(
                "join", "Join", data, request, context, status: HTTPResponse.Status(code: status))
        }
        do {
            try await services.invitations.accept(
                token: token, username: fields["username"] ?? "", email: fields["email"] ?? "",
                password: fields["password"] ?? "", caller: pages.caller(request, context))
            return try await pages.show(
                "check-mail", "Check your mail",
                ["heading": "Check your mail", "message": AccountService.signUpAcceptedMessage], request, context)
        } catch let error as AccountService.Error {
            switch error {
            case .invalidUsername(let reason): return try await again(["username": reason], error.status)
            case .invalidEmail(let reason): return try await again(["email": reason], error.status)
            default: return try await again(["username": error.message], error.status)
            }
        } catch let error as PasswordRejected {
            return try await again(["password": error.message], 422)
        } catch let error as InvitationService.Error {
            if error == .otherAddress { return try await again(["email": error.message], error.status) }
            return try await pages.show(
                "check-mail", "Invitation", ["heading": "This invitation does not work", "message": error.message],
                request, context, status: HTTPResponse.Status(code: error.status))
        }
    }

    // MARK: Making invitations

    private func invitationsPage(
        _ identity: HubIdentity, _ request: Request, _ context: HubRequestContext, flash: String? = nil,
        created: InvitationService.Created? = nil, errors: [String: String] = [:], status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        guard services.invitations.mayInvite(identity.account) else { throw InvitationService.Error.notAllowed }
        let formatter = ISO8601DateFormatter()
        let now = services.environment.clock.now()
        let invitations = try await services.invitations.list(for: identity.account).map {
            invitation -> [String: Any] in
            let state =
                invitation.revokedAt != nil
                ? "revoked"
                : invitation.uses >= invitation.maxUses ? "used up" : invitation.expiresAt <= now ? "expired" : "live"
            return [
                "id": invitation.id, "email": invitation.email ?? "anyone", "uses": invitation.uses,
                "maxUses": invitation.maxUses, "expires": formatter.string(from: invitation.expiresAt), "state": state,
                "live": state == "live", "shares": invitation.shares.count,
            ]
        }
        let servers = try await services.servers.servers(of: identity.account).map {
            ["id": $0.id, "name": $0.name] as [String: Any]
        }
        var data: [String: Any] = [
            "invitations": invitations, "hasInvitations": !invitations.isEmpty, "servers": servers,
            "hasServers": !servers.isEmpty, "errors": errors, "mode": services.environment.settings.signUpMode.rawValue,
        ]
        if let created {
            let code = try QRCode(text: created.link, correction: .medium)
            let scale = 4
            data["created"] =
                [
                    "link": created.link, "png": Data(code.png(scale: scale)).base64EncodedString(),
                    "svg": code.svg(moduleSize: 4), "width": (code.size + 2 * QRCode.quietZone) * scale,
                    "mailed": created.invitation.email.map { "It was mailed to \($0)." } ?? "",
                ] as [String: Any]
        }
        return pages.renderer.page(
            "invitations", title: "Invitations", data: data,
            frame: try await pages.frame(identity, request, flash: flash), status: status)
    }

    private func createInvitation(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        guard let identity = pages.signedIn(context) else { return pages.redirect("/sign-in") }
        let fields = try await pages.form(request, context, identity: identity)
        let uses = Int(fields["uses"] ?? "1") ?? 0
        let days = Double(fields["days"] ?? "7") ?? 0
        var shares: [InvitationShare] = []
        for (name, value) in fields where name.hasPrefix("sections_") {
            let serverID = String(name.dropFirst("sections_".count))
            for section in value.split(separator: ",") {
                let section = section.trimmingCharacters(in: .whitespaces)
                if !section.isEmpty { shares.append(InvitationShare(serverID: serverID, section: section)) }
            }
        }
        let email = (fields["email"] ?? "").trimmingCharacters(in: .whitespaces)
        do {
            guard days.isFinite else { throw InvitationService.Error.badRequest("Give the days as a number.") }
            let created = try await services.invitations.create(
                by: identity.account, device: identity.device, maxUses: uses,
                lifetime: min(max(days, 0), 3_650) * 86_400,
                email: email.isEmpty ? nil : email, shares: shares, send: !email.isEmpty && fields["send"] == "1",
                caller: pages.caller(request, context, identity))
            return try await invitationsPage(
                identity, request, context, flash: "Invitation made. Copy the link now: it is shown only once.",
                created: created, status: .created)
        } catch let error as InvitationService.Error {
            return try await invitationsPage(
                identity, request, context, errors: ["create": error.message],
                status: HTTPResponse.Status(code: error.status))
        } catch let error as AccountService.Error where error != .reauthenticationRequired {
            return try await invitationsPage(
                identity, request, context, errors: ["create": error.message],
                status: HTTPResponse.Status(code: error.status))
        }
    }
}
