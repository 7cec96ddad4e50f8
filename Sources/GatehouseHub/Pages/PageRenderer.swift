import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird
import Mustache

/// Renders the hub's web pages from Mustache templates inside one layout.
final class PageRenderer: Sendable {
    private let library: MustacheLibrary

    init() {
        var library = MustacheLibrary()
        let templates: [String: String] = [
            "layout": PageTemplates.layout, "new-account-fields": PageTemplates.newAccountFields, "sign-up": PageTemplates.signUp, "check-mail": PageTemplates.checkMail,
            "verify-email": PageTemplates.verifyEmail, "sign-in": PageTemplates.signIn,
            "sign-in-code": PageTemplates.signInCode, "not-me": PageTemplates.notMe, "forgot-password": PageTemplates.forgotPassword,
            "reset-password": PageTemplates.resetPassword, "account": PageTemplates.account,
            "security": PageTemplates.security, "servers": PageTemplates.servers, "admin": PageTemplates.admin, "error": PageTemplates.error,
            "confirm": PageTemplates.confirm, "email-revert": PageTemplates.emailRevert,
            "link": PageTemplates.link, "link-details": PageTemplates.linkDetails,
            "profiles": ProfilePages.profilesTemplate, "profile-switch": ProfilePages.switchTemplate,
            "profile-home": ProfilePages.homeTemplate,
            "setup": HouseholdTemplates.setup, "setup-done": HouseholdTemplates.setupDone,
            "join": HouseholdTemplates.join, "invitations": HouseholdTemplates.invitations,
            "recover": HouseholdTemplates.recover, "recovery-issued": HouseholdTemplates.recoveryIssued,
        ]
        for (name, text) in templates {
            do {
                try library.register(text, named: name)
            } catch {
                // Invariant: the templates are constants of this module and parse; a test renders every page.
                fatalError("page template \(name) does not parse: \(error)")
            }
        }
        self.library = library
    }

    /// A whole page: `template` rendered with `data`, inside the layout with the banner and navigation.
    func page(
        _ template: String, title: String, data: [String: Any], frame: PageFrame, status: HTTPResponse.Status = .ok
    ) -> Response {
        var data = data
        data["csrf"] = frame.csrf
        let body = library.render(data, withTemplate: template) ?? ""
        var layout: [String: Any] = [
            "title": title, "body": body, "signedIn": frame.isSignedIn, "isAdmin": frame.isAdmin,
            "csrf": frame.csrf, "banners": frame.banners,
        ]
        if let flash = frame.flash, !flash.isEmpty { layout["flash"] = flash }
        if let profileName = frame.profileName { layout["profileName"] = profileName }
        let html = library.render(layout, withTemplate: "layout") ?? ""
        var response = Response(status: status, body: .init(byteBuffer: ByteBuffer(string: html)))
        response.headers[.contentType] = "text/html; charset=utf-8"
        response.headers[.cacheControl] = "no-store"
        for cookie in frame.cookies { response.headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return response
    }

    func errorPage(status: Int, message: String, request: Request, context: HubRequestContext) -> Response {
        let heading =
            switch status {
            case 404: "Page not found"
            case 403: "Not allowed"
            case 429: "Slow down"
            case 500...: "Something went wrong"
            default: "That did not work"
            }
        let frame = PageFrame(csrf: "", isSignedIn: false, isAdmin: false, banners: [], flash: nil, cookies: [])
        return page(
            "error", title: heading, data: ["heading": heading, "message": message], frame: frame,
            status: HTTPResponse.Status(code: status))
    }
}

/// What every page's layout needs besides its own data.
struct PageFrame {
    var csrf: String
    var isSignedIn: Bool
    var isAdmin: Bool
    var banners: [String]
    var flash: String?
    /// Set-Cookie values to send with the page.
    var cookies: [String]
    /// The profile a profile session's page is shown to (nil for everyone else).
    var profileName: String? = nil
}
