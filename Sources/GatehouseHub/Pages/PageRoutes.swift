import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird
import QRCode

/// The people's pages: sign up, verify, sign in (with the second step), reset, account and security.
struct PageRoutes {
    let services: HubServices
    let renderer: PageRenderer
    let session: BrowserSession

    init(services: HubServices, renderer: PageRenderer) {
        self.services = services
        self.renderer = renderer
        self.session = BrowserSession(services: services)
    }

    func register(on root: Router<HubRequestContext>) {
        // The stylesheet and script are Embedded/static/ of this target (the Content-Security-Policy allows no inline code).
        root.get("/static/app.css") { _, _ in Self.asset(EmbeddedText.staticAppCss, type: "text/css; charset=utf-8") }
        root.get("/static/app.js") { _, _ in
            Self.asset(EmbeddedText.staticAppJs, type: "text/javascript; charset=utf-8")
        }
        root.get("/static/passkeys.js") { _, _ in
            Self.asset(EmbeddedText.staticPasskeysJs, type: "text/javascript; charset=utf-8")
        }
        // Every page runs behind the browser authenticator: the session cookie is looked up once per request.
        let router = root.group().add(middleware: BrowserAuthenticator(session: session))
        router.get("/") { request, context in
            guard let identity = session.anyIdentity(context) else { return redirect("/sign-in") }
            return redirect(identity.device.profileID == nil ? "/account" : "/profile")
        }
        router.get("/sign-up") { request, context in
            try await show(
                "sign-up", "Create account", ["closed": services.environment.settings.signUpMode != .open], request,
                context)
        }
        router.post("/sign-up") { request, context in try await signUp(request, context) }
        router.get("/verify-email") { request, context in
            let token = request.uri.queryParameters["token"].map(String.init) ?? ""
            return try await show(
                "verify-email", "Confirm email",
                token.isEmpty ? ["error": "This link is incomplete."] : ["token": token], request, context)
        }
        router.post("/verify-email") { request, context in try await verifyEmail(request, context) }
        router.get("/sign-in") { request, context in
            var data: [String: Any] = [:]
            if let next = request.uri.queryParameters["next"].map(String.init) { data["next"] = Self.localPath(next) }
            return try await show("sign-in", "Sign in", data, request, context)
        }
        router.post("/sign-in") { request, context in try await signIn(request, context) }
        router.post("/sign-in/code") { request, context in try await signInCode(request, context) }
        router.post("/sign-out") { request, context in try await signOut(request, context) }
        router.get("/forgot-password") { request, context in
            try await show("forgot-password", "Reset password", [:], request, context)
        }
        router.post("/forgot-password") { request, context in try await forgotPassword(request, context) }
        router.get("/reset-password") { request, context in
            let token = request.uri.queryParameters["token"].map(String.init) ?? ""
            var valid = false
            if !token.isEmpty { valid = try await services.recovery.isValidResetToken(token) }
            return try await show(
                "reset-password", "Choose a new password", valid ? ["token": token] : ["invalid": true], request,
                context)
        }
        router.post("/reset-password") { request, context in try await resetPassword(request, context) }
        // "This wasn't me": the page only explains and offers one button; opening the link changes nothing (mail
        // scanners open links), and nothing secret is asked, so the page is worthless to a phisher.
        router.get("/not-me") { request, context in
            let token = request.uri.queryParameters["token"].map(String.init) ?? ""
            do {
                let summary = try await services.lockdown.inspect(token: token)
                return try await show(
                    "not-me", "This wasn't me",
                    ["token": token, "username": summary.username, "alreadyLocked": summary.alreadyLocked], request,
                    context)
            } catch let error as LockdownService.Error {
                return try await show(
                    "not-me", "This wasn't me", ["invalid": error.message], request, context, status: .badRequest)
            }
        }
        router.post("/not-me") { request, context in
            let fields = try await form(request, context, identity: session.identity(context))
            do {
                let count = try await services.lockdown.lock(
                    token: fields["token"] ?? "", caller: caller(request, context))
                // Locking signed out every device of the account, perhaps this browser's own session.
                let context = try await session.refreshed(request, context)
                return try await show(
                    "not-me", "Account locked", ["locked": true, "signedOut": count], request, context)
            } catch let error as LockdownService.Error {
                return try await show(
                    "not-me", "This wasn't me", ["invalid": error.message], request, context,
                    status: HTTPResponse.Status(code: error.status))
            }
        }
        router.get("/account") { request, context in try await accountPage(request, context) }
        router.get("/account/security") { request, context in
            guard let identity = session.identity(context) else { return redirect("/sign-in") }
            return try await securityPage(identity, request, context)
        }
        router.post("/account/security/password") { request, context in try await changePassword(request, context) }
        router.post("/account/security/2fa/begin") { request, context in try await beginTwoFactor(request, context) }
        router.post("/account/security/2fa/confirm") { request, context in
            try await confirmTwoFactor(request, context)
        }
        router.post("/account/security/2fa/disable") { request, context in
            try await disableTwoFactor(request, context)
        }
        router.post("/account/security/phrase") { request, context in try await setPhrase(request, context) }
        router.get("/account/confirm") { request, context in
            guard session.identity(context) != nil else { return redirect("/sign-in") }
            let next = Self.localPath(request.uri.queryParameters["next"].map(String.init))
            return try await show("confirm", "Confirm it's you", ["next": next], request, context)
        }
        router.post("/account/confirm") { request, context in try await confirmIdentity(request, context) }
        router.get("/email/revert") { request, context in
            let token = request.uri.queryParameters["token"].map(String.init) ?? ""
            return try await show(
                "email-revert", "Undo the e-mail change",
                token.isEmpty ? ["error": "This link is incomplete."] : ["token": token], request, context)
        }
        router.post("/email/revert") { request, context in try await revertEmail(request, context) }
        router.post("/account/security/devices/:id/sign-out") { request, context in
            try await signOutDevice(request, context)
        }
        router.post("/account/security/devices/sign-out-all") { request, context in
            try await signOutAll(request, context)
        }
        router.post("/account/security/app-passwords") { request, context in
            try await createAppPassword(request, context)
        }
        router.post("/account/security/app-passwords/:id/revoke") { request, context in
            try await revokeAppPassword(request, context)
        }
        ServerPages(pages: self).register(on: router)
        LinkPages(pages: self).register(on: router)
        PasskeyPages(pages: self).register(on: router)
        AdminPages(pages: self).register(on: router)
        ProfilePages(pages: self).register(on: router)
        HouseholdPages(pages: self).register(on: router)
    }

    // MARK: Helpers

    static func asset(_ text: String, type: String) -> Response {
        var response = Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: text)))
        response.headers[.contentType] = type
        response.headers[.cacheControl] = "public, max-age=3600"
        return response
    }

    func redirect(_ location: String, cookies: [String] = []) -> Response {
        var response = Response(status: .seeOther)
        response.headers[.location] = location
        for cookie in cookies { response.headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return response
    }

    func frame(_ identity: HubIdentity?, _ request: Request, flash: String? = nil, cookies: [String] = []) async throws
        -> PageFrame
    {
        let (csrf, csrfCookie) = session.csrfToken(identity: identity, request: request)
        return PageFrame(
            csrf: csrf, isSignedIn: identity != nil, isAdmin: identity?.account.role == .admin,
            banners: try await services.incidents.banners(), flash: flash,
            cookies: cookies + (csrfCookie.map { [$0] } ?? []))
    }

    func show(
        _ template: String, _ title: String, _ data: [String: Any], _ request: Request, _ context: HubRequestContext,
        flash: String? = nil, status: HTTPResponse.Status = .ok, cookies: [String] = []
    ) async throws -> Response {
        let identity = session.identity(context)
        return renderer.page(
            template, title: title, data: data,
            frame: try await frame(identity, request, flash: flash, cookies: cookies), status: status)
    }

    /// Reads a posted form after the origin and CSRF checks.
    func form(_ request: Request, _ context: HubRequestContext, identity: HubIdentity?) async throws -> [String: String]
    {
        let fields = try await FormBody.decode(request, context: context)
        try session.checkPost(request, form: fields, identity: identity)
        return fields
    }

    /// The holder's identity behind the session cookie (resolved once, by ``BrowserAuthenticator``), if any.
    func signedIn(_ context: HubRequestContext) -> HubIdentity? {
        session.identity(context)
    }

    func caller(_ request: Request, _ context: HubRequestContext, _ identity: HubIdentity? = nil) -> Caller {
        var caller = services.caller(request, context)
        caller.deviceID = identity?.device.id
        return caller
    }

    // MARK: Sign-up, verification, sign-in

    func signUp(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        let fields = try await form(request, context, identity: signedIn(context))
        let username = fields["username"] ?? ""
        let email = fields["email"] ?? ""
        do {
            try await services.accounts.register(
                username: username, email: email, password: fields["password"] ?? "", caller: caller(request, context))
            return try await show(
                "check-mail", "Check your mail",
                ["heading": "Check your mail", "message": AccountService.signUpAcceptedMessage], request, context)
        } catch let error as AccountService.Error {
            var errors: [String: String] = [:]
            switch error {
            case .invalidUsername(let reason): errors["username"] = reason
            case .invalidEmail(let reason): errors["email"] = reason
            default: errors["username"] = error.message
            }
            return try await show(
                "sign-up", "Create account", ["username": username, "email": email, "errors": errors], request, context,
                status: HTTPResponse.Status(code: error.status))
        } catch let error as PasswordRejected {
            return try await show(
                "sign-up", "Create account",
                ["username": username, "email": email, "errors": ["password": error.message]], request, context,
                status: .unprocessableContent)
        }
    }

    func verifyEmail(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        let fields = try await form(request, context, identity: signedIn(context))
        do {
            _ = try await services.accounts.verifyEmail(token: fields["token"] ?? "", caller: caller(request, context))
            return try await show(
                "check-mail", "Email confirmed",
                ["heading": "Email confirmed", "message": "Thank you. Your address is confirmed."], request, context)
        } catch let error as AccountService.Error {
            return try await show(
                "verify-email", "Confirm email", ["error": error.message], request, context, status: .badRequest)
        }
    }

    func signIn(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        let fields = try await form(request, context, identity: signedIn(context))
        let identifier = fields["identifier"] ?? ""
        let next = Self.localPath(fields["next"])
        let described = BrowserSession.describe(userAgent: request.headers[.userAgent])
        let info = Device.Info(
            clientIdentifier: "browser", name: described.name, product: described.product, version: described.version,
            platform: described.platform)
        do {
            let outcome = try await services.signIn.signIn(
                identifier: identifier, password: fields["password"] ?? "", info: info, kind: .browser,
                caller: caller(request, context), knownDeviceToken: request.cookies[BrowserSession.knownCookie]?.value)
            switch outcome {
            case .signedIn(let signedIn):
                return redirect(next, cookies: sessionCookies(signedIn))
            case .secondFactorRequired(let challenge, let methods):
                return renderer.page(
                    "sign-in-code", title: "Two-factor sign-in",
                    data: [
                        "challenge": challenge, "passkey": methods.contains("passkey"), "next": next,
                        "mailed": methods == ["email_code"],
                    ],
                    frame: try await frame(signedIn(context), request))
            }
        } catch let error as SignInService.Error {
            var response = try await show(
                "sign-in", "Sign in", ["identifier": identifier, "error": error.message, "next": next], request,
                context,
                status: HTTPResponse.Status(code: error.status))
            if let retry = error.retryAfter { response.headers[.retryAfter] = String(retry) }
            return response
        }
    }

    func signInCode(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        let fields = try await form(request, context, identity: signedIn(context))
        let challenge = fields["challenge"] ?? ""
        let next = Self.localPath(fields["next"])
        do {
            let signedIn = try await services.signIn.completeSecondFactor(
                challenge: challenge, code: fields["code"] ?? "", caller: caller(request, context))
            return redirect(next, cookies: sessionCookies(signedIn))
        } catch SignInService.Error.invalidChallenge {
            return try await show(
                "sign-in", "Sign in", ["error": SignInService.Error.invalidChallenge.message], request, context,
                status: .unauthorized)
        } catch let error as SignInService.Error {
            return try await show(
                "sign-in-code", "Two-factor sign-in",
                ["challenge": challenge, "error": error.message, "next": next, "mailed": fields["mailed"] == "1"],
                request, context,
                status: HTTPResponse.Status(code: error.status))
        }
    }

    func sessionCookies(_ signedIn: SignedIn) -> [String] {
        [
            BrowserSession.cookie(BrowserSession.sessionCookie, signedIn.token.value, maxAge: 90 * 86_400),
            // The known-device secret outlives the session cookie: it is what makes the next sign-in from this
            // browser a known one (no per-account delay, no new-sign-in mail). It dies with the device.
            BrowserSession.cookie(BrowserSession.knownCookie, signedIn.knownDeviceToken.value, maxAge: 400 * 86_400),
        ]
    }

    func signOut(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        // The holder's device or a profile session: either may sign itself out.
        let identity = session.anyIdentity(context)
        _ = try await form(request, context, identity: identity)
        if let identity {
            try await services.devices.revoke(
                deviceID: identity.device.id, of: identity.account, caller: caller(request, context, identity))
        }
        return redirect("/sign-in", cookies: [BrowserSession.cookie(BrowserSession.sessionCookie, "", maxAge: 0)])
    }

    func forgotPassword(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        let fields = try await form(request, context, identity: signedIn(context))
        services.recovery.requestReset(identifier: fields["identifier"] ?? "", caller: caller(request, context))
        return try await show(
            "check-mail", "Check your mail", ["heading": "Check your mail", "message": RecoveryRoutes.acceptedMessage],
            request, context)
    }

    func resetPassword(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        let fields = try await form(request, context, identity: signedIn(context))
        let token = fields["token"] ?? ""
        do {
            try await services.recovery.confirmReset(
                token: token, newPassword: fields["new_password"] ?? "", caller: caller(request, context),
                recoveryCode: fields["recovery_code"].flatMap { $0.isEmpty ? nil : $0 })
            return renderer.page(
                "check-mail", title: "Password reset",
                data: [
                    "heading": "Password reset",
                    "message": "Your new password is set and every device was signed out. Sign in again.",
                ],
                frame: try await frame(nil, request),
                status: .ok)
        } catch AccountService.Error.invalidToken {
            return try await show(
                "reset-password", "Choose a new password", ["invalid": true], request, context,
                status: .badRequest)
        } catch let error as any PublicError {
            return try await show(
                "reset-password", "Choose a new password", ["token": token, "error": error.message], request, context,
                status: HTTPResponse.Status(code: error.status))
        }
    }

    // MARK: Account and security

    func accountPage(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        guard let identity = signedIn(context) else { return redirect("/sign-in") }
        let devices = try await services.devices.devices(of: identity.account)
        let data: [String: Any] = [
            "account": Self.accountData(identity.account),
            "twoFactor": try await services.twoFactor.isEnabled(accountID: identity.account.id),
            "deviceCount": devices.count,
        ]
        return renderer.page("account", title: "Your account", data: data, frame: try await frame(identity, request))
    }

    static func accountData(_ account: Account) -> [String: Any] {
        [
            "username": account.username, "email": account.email, "isEmailVerified": account.isEmailVerified,
            "antiPhishingPhrase": account.antiPhishingPhrase ?? "",
        ]
    }

    func securityPage(
        _ identity: HubIdentity, _ request: Request, _ context: HubRequestContext, extra: [String: Any] = [:],
        flash: String? = nil, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let account = try await services.accounts.current(identity.account)
        let devices = try await services.devices.devices(of: account)
        let events = try await services.audit.recentEvents(of: account, limit: 20)
        let formatter = ISO8601DateFormatter()
        var data: [String: Any] = [
            "account": Self.accountData(account),
            "twoFactor": try await services.twoFactor.isEnabled(accountID: account.id),
            "recoveryRemaining": try await services.twoFactor.remainingRecoveryCodes(accountID: account.id),
            "devices": devices.map { device -> [String: Any] in
                [
                    "id": device.id, "name": device.info.name, "product": device.info.product,
                    "version": device.info.version, "platform": device.info.platform, "ipAddress": device.ipAddress,
                    "lastSeen": formatter.string(from: device.lastSeenAt), "current": device.id == identity.device.id,
                    "bound": device.dpopThumbprint != nil, "profile": device.profileID != nil,
                ]
            },
            "events": events.map { event -> [String: Any] in
                [
                    "when": formatter.string(from: event.createdAt), "what": Self.describe(event.kind),
                    "ipAddress": event.ipAddress,
                ]
            },
            "errors": [String: String](),
            "passkeys": try await services.passkeys.passkeys(of: account).map { passkey -> [String: Any] in
                [
                    "id": passkey.id, "name": passkey.name, "created": formatter.string(from: passkey.createdAt),
                    "lastUsed": passkey.lastUsedAt.map { formatter.string(from: $0) } ?? "never",
                    "synced": passkey.backupEligible,
                ]
            },
            "passkeyOnly": try await services.passkeys.isPasskeyOnly(account),
            "appPasswords": try await services.appPasswords.list(account: account).map { password -> [String: Any] in
                [
                    "id": password.id, "name": password.name,
                    "scopes": password.scopes.map(\.rawValue).joined(separator: ", "),
                    "created": formatter.string(from: password.createdAt),
                    "expires": formatter.string(from: password.expiresAt),
                    "expired": password.expiresAt <= services.environment.clock.now(),
                    "lastUsed": password.lastUsedAt.map {
                        formatter.string(from: $0) + (password.lastUsedAddress.map { " from " + $0 } ?? "")
                    } ?? "never",
                ]
            },
        ]
        if let pending = try await services.twoFactor.pendingEnrollment(account: account),
            extra["hasRecoveryCodes"] == nil
        {
            data["enrollment"] = try Self.enrollmentData(pending)
        }
        data.merge(extra) { _, new in new }
        let frame = try await frame(identity, request, flash: flash)
        return renderer.page("security", title: "Security", data: data, frame: frame, status: status)
    }

    static func enrollmentData(_ enrollment: TwoFactorService.Enrollment) throws -> [String: Any] {
        let code = try QRCode(text: enrollment.uri, correction: .medium)
        let scale = 5
        return [
            "png": Data(code.png(scale: scale)).base64EncodedString(), "secret": enrollment.secretBase32,
            "width": (code.size + 2 * QRCode.quietZone) * scale,
        ]
    }

    static func describe(_ kind: String) -> String {
        let names: [String: String] = [
            "account.created": "Account created", "email.verified": "Email confirmed", "email.changed": "Email changed",
            "signin.succeeded": "Signed in", "signin.failed": "Failed sign-in",
            "signin.throttled": "Sign-in slowed down",
            "device.revoked": "Device signed out", "devices.signed_out_all": "Signed out of all devices",
            "password.changed": "Password changed", "password.rehashed": "Password hash upgraded",
            "password.reset_requested": "Password reset requested", "password.reset": "Password reset",
            "password.reset_required": "Password reset required", "2fa.enabled": "Two-factor sign-in turned on",
            "2fa.disabled": "Two-factor sign-in turned off", "2fa.failed": "Wrong two-factor code",
            "2fa.recovery_code_used": "Recovery code used", "2fa.recovery_codes_regenerated": "New recovery codes",
            "sudo.granted": "Identity confirmed", "mail.phrase_changed": "Anti-phishing phrase changed",
            "incident.applied": "Security incident measures applied", "server.update": "Media server update",
            "passkey.added": "Passkey added", "passkey.removed": "Passkey removed",
            "passkey.possible_clone": "Passkey may have been copied",
            "passkey.only_changed": "Passkey-only sign-in changed",
            "app_password.created": "App password created", "app_password.revoked": "App password revoked",
            "device_link.approved": "Device approved with a code", "device_link.denied": "Device code denied",
            "device_link.unknown_code": "Wrong device code entered",
            "profile.created": "Profile created", "profile.changed": "Profile changed",
            "profile.deleted": "Profile deleted", "profile.switched": "A device switched to a profile",
            "profile.pin_failed": "Wrong profile PIN entered",
        ]
        return names[kind] ?? kind
    }

    func changePassword(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        guard let identity = signedIn(context) else { return redirect("/sign-in") }
        let fields = try await form(request, context, identity: identity)
        do {
            try await services.accounts.changePassword(
                account: identity.account, device: identity.device, currentPassword: fields["current_password"] ?? "",
                newPassword: fields["new_password"] ?? "", signOutOtherDevices: fields["sign_out_others"] == "1",
                caller: caller(request, context, identity))
            return try await securityPage(identity, request, context, flash: "Your password was changed.")
        } catch let error as any PublicError {
            return try await securityPage(
                identity, request, context, extra: ["errors": ["password": error.message]],
                status: HTTPResponse.Status(code: error.status))
        }
    }

    func beginTwoFactor(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        guard let identity = signedIn(context) else { return redirect("/sign-in") }
        _ = try await form(request, context, identity: identity)
        _ = try await services.twoFactor.beginEnrollment(account: identity.account)
        return try await securityPage(identity, request, context)
    }

    func confirmTwoFactor(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        guard let identity = signedIn(context) else { return redirect("/sign-in") }
        let fields = try await form(request, context, identity: identity)
        do {
            let codes = try await services.twoFactor.confirmEnrollment(
                account: identity.account, code: fields["code"] ?? "", caller: caller(request, context, identity))
            return try await securityPage(
                identity, request, context, extra: ["recoveryCodes": codes, "hasRecoveryCodes": true])
        } catch let error as any PublicError {
            return try await securityPage(
                identity, request, context, extra: ["errors": ["totp": error.message]],
                status: HTTPResponse.Status(code: error.status))
        }
    }

    func disableTwoFactor(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        guard let identity = signedIn(context) else { return redirect("/sign-in") }
        let fields = try await form(request, context, identity: identity)
        let caller = caller(request, context, identity)
        do {
            let confirmed = try await services.signIn.reauthenticate(
                account: identity.account, device: identity.device, password: fields["password"] ?? "",
                code: fields["code"] ?? "", caller: caller)
            try await services.twoFactor.disable(account: identity.account, device: confirmed, caller: caller)
            return try await securityPage(identity, request, context, flash: "Two-factor sign-in is off.")
        } catch let error as any PublicError {
            return try await securityPage(
                identity, request, context, extra: ["errors": ["disable": error.message]],
                status: HTTPResponse.Status(code: error.status))
        }
    }

    /// Only a path on this site, so `next` can never send anyone elsewhere.
    static func localPath(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\"), next.utf8.count <= 200,
            next.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7f })
        else { return "/account" }
        return next
    }

    /// "Confirm it's you": the password (and code) again, for sensitive changes after the re-authentication window.
    func confirmIdentity(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        guard let identity = signedIn(context) else { return redirect("/sign-in") }
        let fields = try await form(request, context, identity: identity)
        let next = Self.localPath(fields["next"])
        do {
            try await services.signIn.reauthenticate(
                account: identity.account, device: identity.device, password: fields["password"] ?? "",
                code: fields["code"], caller: caller(request, context, identity))
            return redirect(next)
        } catch let error as SignInService.Error {
            var response = try await show(
                "confirm", "Confirm it's you", ["next": next, "error": error.message], request, context,
                status: HTTPResponse.Status(code: error.status))
            if let retry = error.retryAfter { response.headers[.retryAfter] = String(retry) }
            return response
        }
    }

    /// The old address's "this wasn't me" link after an e-mail change.
    func revertEmail(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        let fields = try await form(request, context, identity: signedIn(context))
        do {
            try await services.accounts.revertEmailChange(
                token: fields["token"] ?? "", caller: caller(request, context))
            return try await show(
                "check-mail", "Address restored",
                [
                    "heading": "Your address is back",
                    "message":
                        "Every device was signed out. We mailed a link to this address to choose a new password before anyone can sign in again.",
                ], request, context,
                cookies: [BrowserSession.cookie(BrowserSession.sessionCookie, "", maxAge: 0)])
        } catch let error as AccountService.Error {
            return try await show(
                "email-revert", "Undo the e-mail change", ["error": error.message], request, context,
                status: .badRequest)
        }
    }

    func setPhrase(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        guard let identity = signedIn(context) else { return redirect("/sign-in") }
        let fields = try await form(request, context, identity: identity)
        do {
            _ = try await services.accounts.setAntiPhishingPhrase(
                account: identity.account, phrase: fields["phrase"], caller: caller(request, context, identity))
            return try await securityPage(identity, request, context, flash: "Your anti-phishing phrase was saved.")
        } catch let error as any PublicError {
            return try await securityPage(
                identity, request, context, extra: ["errors": ["phrase": error.message]],
                status: HTTPResponse.Status(code: error.status))
        }
    }

    func createAppPassword(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        guard let identity = signedIn(context) else { return redirect("/sign-in") }
        let fields = try await form(request, context, identity: identity)
        var scopes: [AppPassword.Scope] = []
        if fields["scope_media"] == "1" { scopes.append(.media) }
        if fields["scope_account_read"] == "1" { scopes.append(.accountRead) }
        do {
            let (password, secret) = try await services.appPasswords.create(
                account: identity.account, device: identity.device, name: fields["name"] ?? "", scopes: scopes,
                lifetimeDays: Int(fields["days"] ?? "") ?? AppPasswordService.defaultLifetimeDays,
                caller: caller(request, context, identity))
            return try await securityPage(
                identity, request, context,
                extra: ["newAppPassword": ["name": password.name, "secret": secret.value]],
                flash: "App password created.")
        } catch let error as AppPasswordService.Error {
            return try await securityPage(
                identity, request, context, extra: ["errors": ["appPasswords": error.message]],
                status: HTTPResponse.Status(code: error.status))
        }
    }

    func revokeAppPassword(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        guard let identity = signedIn(context) else { return redirect("/sign-in") }
        _ = try await form(request, context, identity: identity)
        let id = try context.parameters.require("id")
        try await services.appPasswords.revoke(
            id: id, account: identity.account, caller: caller(request, context, identity))
        return try await securityPage(identity, request, context, flash: "The app password was revoked.")
    }

    func signOutDevice(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        guard let identity = signedIn(context) else { return redirect("/sign-in") }
        _ = try await form(request, context, identity: identity)
        let id = try context.parameters.require("id")
        try await services.devices.revoke(
            deviceID: id, of: identity.account, caller: caller(request, context, identity))
        return try await securityPage(identity, request, context, flash: "The device was signed out.")
    }

    func signOutAll(_ request: Request, _ context: HubRequestContext) async throws -> Response {
        guard let identity = signedIn(context) else { return redirect("/sign-in") }
        let fields = try await form(request, context, identity: identity)
        let includeThis = fields["include_this"] == "1"
        let count = try await services.devices.signOutAll(
            of: identity.account, keepingCurrent: !includeThis, caller: caller(request, context, identity))
        if includeThis {
            return redirect("/sign-in", cookies: [BrowserSession.cookie(BrowserSession.sessionCookie, "", maxAge: 0)])
        }
        return try await securityPage(identity, request, context, flash: "\(count) other devices were signed out.")
    }
}
