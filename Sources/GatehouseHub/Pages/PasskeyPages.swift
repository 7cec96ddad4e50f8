import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird
import WebAuthn

/// The pages' passkey ceremonies, for `/static/passkeys.js` (progressive enhancement: without it the pages work
/// as before, with passwords). Each call is a form post with the CSRF token and the origin check of every page
/// form, answered in JSON; the rules are in ``PasskeyService``. Removing a passkey is a plain form.
struct PasskeyPages {
    let pages: PageRoutes

    struct Failure: Encodable {
        var error: String
        var message: String
    }

    struct Done: Encodable { var redirect: String }

    func register(on router: RouterGroup<HubRequestContext>) {
        router.post("/account/security/passkeys/options") { request, context in
            guard let identity = pages.signedIn(context) else { return pages.redirect("/sign-in") }
            _ = try await pages.form(request, context, identity: identity)
            return try await answer {
                try PasskeyRoutes.ceremony(
                    try await pages.services.passkeys.registrationOptions(
                        account: identity.account, device: identity.device))
            }
        }
        router.post("/account/security/passkeys") { request, context in
            guard let identity = pages.signedIn(context) else { return pages.redirect("/sign-in") }
            let fields = try await pages.form(request, context, identity: identity)
            return try await answer {
                let credential = try Self.decode(RegistrationResponseJSON.self, fields["credential"])
                _ = try await pages.services.passkeys.register(
                    account: identity.account, device: identity.device, challengeID: fields["challenge_id"] ?? "",
                    name: fields["name"] ?? "", credential: credential,
                    caller: pages.caller(request, context, identity))
                return try JSONBody.response(Done(redirect: "/account/security#passkeys"), status: .created)
            }
        }
        router.post("/account/security/passkeys/:id/remove") { request, context in
            guard let identity = pages.signedIn(context) else { return pages.redirect("/sign-in") }
            _ = try await pages.form(request, context, identity: identity)
            do {
                try await pages.services.passkeys.remove(
                    id: try context.parameters.require("id"), account: identity.account, device: identity.device,
                    caller: pages.caller(request, context, identity))
            } catch let error as PasskeyService.Error {
                return try await pages.securityPage(
                    identity, request, context, extra: ["errors": ["passkeys": error.message]],
                    status: HTTPResponse.Status(code: error.status))
            }
            return try await pages.securityPage(identity, request, context, flash: "The passkey was removed.")
        }
        router.post("/account/security/passkey-only") { request, context in
            guard let identity = pages.signedIn(context) else { return pages.redirect("/sign-in") }
            let fields = try await pages.form(request, context, identity: identity)
            let enabled = fields["enabled"] == "1"
            do {
                try await pages.services.passkeys.setPasskeyOnly(
                    enabled, account: identity.account, device: identity.device,
                    caller: pages.caller(request, context, identity))
            } catch let error as PasskeyService.Error {
                return try await pages.securityPage(
                    identity, request, context, extra: ["errors": ["passkeys": error.message]],
                    status: HTTPResponse.Status(code: error.status))
            }
            return try await pages.securityPage(
                identity, request, context,
                flash: enabled ? "Your password no longer signs in; use a passkey." : "Your password signs in again.")
        }
        router.post("/account/confirm/passkey/options") { request, context in
            guard let identity = pages.signedIn(context) else { return pages.redirect("/sign-in") }
            _ = try await pages.form(request, context, identity: identity)
            return try await answer {
                try PasskeyRoutes.ceremony(
                    try await pages.services.passkeys.reauthenticationOptions(
                        account: identity.account, device: identity.device))
            }
        }
        router.post("/account/confirm/passkey") { request, context in
            guard let identity = pages.signedIn(context) else { return pages.redirect("/sign-in") }
            let fields = try await pages.form(request, context, identity: identity)
            return try await answer {
                guard let credential = try? Self.decode(AuthenticationResponseJSON.self, fields["credential"]) else {
                    throw SignInService.Error.invalidCredentials
                }
                try await pages.services.passkeys.reauthenticate(
                    account: identity.account, device: identity.device, challengeID: fields["challenge_id"] ?? "",
                    credential: credential, caller: pages.caller(request, context, identity))
                return try JSONBody.response(Done(redirect: PageRoutes.localPath(fields["next"])))
            }
        }
        router.post("/sign-in/code/passkey/options") { request, context in
            let fields = try await pages.form(request, context, identity: pages.signedIn(context))
            return try await answer {
                try PasskeyRoutes.ceremony(
                    try await pages.services.passkeys.secondFactorOptions(signInChallenge: fields["challenge"] ?? ""))
            }
        }
        router.post("/sign-in/code/passkey") { request, context in
            let fields = try await pages.form(request, context, identity: pages.signedIn(context))
            return try await answer {
                guard let credential = try? Self.decode(AuthenticationResponseJSON.self, fields["credential"]) else {
                    throw SignInService.Error.invalidCredentials
                }
                let signedIn = try await pages.services.passkeys.completeSecondFactor(
                    signInChallenge: fields["challenge"] ?? "", challengeID: fields["challenge_id"] ?? "",
                    credential: credential, caller: pages.caller(request, context))
                var response = try JSONBody.response(Done(redirect: "/account"))
                for cookie in pages.sessionCookies(signedIn) {
                    response.headers.append(HTTPField(name: .setCookie, value: cookie))
                }
                return response
            }
        }
        router.post("/sign-in/passkey/options") { request, context in
            _ = try await pages.form(request, context, identity: pages.signedIn(context))
            return try await answer {
                try PasskeyRoutes.ceremony(
                    try await pages.services.passkeys.signInOptions(caller: pages.caller(request, context)))
            }
        }
        router.post("/sign-in/passkey") { request, context in
            let fields = try await pages.form(request, context, identity: pages.signedIn(context))
            let described = BrowserSession.describe(userAgent: request.headers[.userAgent])
            let info = Device.Info(
                clientIdentifier: "browser", name: described.name, product: described.product,
                version: described.version, platform: described.platform)
            return try await answer {
                guard let credential = try? Self.decode(AuthenticationResponseJSON.self, fields["credential"]) else {
                    throw SignInService.Error.invalidCredentials
                }
                let signedIn = try await pages.services.passkeys.signIn(
                    challengeID: fields["challenge_id"] ?? "", credential: credential, info: info, kind: .browser,
                    caller: pages.caller(request, context),
                    knownDeviceToken: request.cookies[BrowserSession.knownCookie]?.value)
                var response = try JSONBody.response(Done(redirect: "/account"))
                for cookie in pages.sessionCookies(signedIn) {
                    response.headers.append(HTTPField(name: .setCookie, value: cookie))
                }
                return response
            }
        }
    }

    /// Runs `body`, answering a refusal as JSON (the pages' error middleware would render an HTML page); a needed
    /// re-authentication stays a redirect to the confirmation page.
    private func answer(_ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch AccountService.Error.reauthenticationRequired {
            return try JSONBody.response(
                Done(redirect: "/account/confirm?next=/account/security"), status: .forbidden)
        } catch let error as any PublicError {
            var response = try JSONBody.response(
                Failure(error: error.code, message: error.message), status: HTTPResponse.Status(code: error.status))
            if let retry = error.retryAfter { response.headers[.retryAfter] = String(retry) }
            return response
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String?) throws -> T {
        guard let text, text.utf8.count <= 48 * 1024,
            let value = try? JSONDecoder().decode(T.self, from: Data(text.utf8))
        else {
            throw RequestError(status: 422, code: "invalid_credential", message: "The passkey answer is malformed.")
        }
        return value
    }
}
