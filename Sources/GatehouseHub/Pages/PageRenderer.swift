import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird
import Mustache

/// Renders the hub's web pages from Mustache templates inside one layout.
///
/// The templates are the files `Embedded/templates/NAME.mustache` of this target (a template is used, and a partial
/// included with `{{> NAME}}`, by that NAME), embedded at build time by the EmbedText plugin. `{{x}}` escapes HTML;
/// `{{{x}}}` is used only for markup the hub itself made (the rendered page body, the QR code's SVG).
final class PageRenderer: Sendable {
    private let library: MustacheLibrary

    init() {
        var library = MustacheLibrary()
        for (path, text) in EmbeddedText.files where path.hasPrefix("templates/") && path.hasSuffix(".mustache") {
            let name = String(path.dropFirst("templates/".count).dropLast(".mustache".count))
            do {
                try library.register(text, named: name)
            } catch {
                // Invariant: the templates are embedded in this module at build time and parse; a test renders every page.
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
