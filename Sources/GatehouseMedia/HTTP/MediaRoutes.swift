import Foundation
import GatehouseBasics
import GatehouseDPoP
import Hummingbird

/// The media server's HTTP API and pages.
struct MediaRoutes: Sendable {
    let server: MediaServer

    /// Item ids are exactly this many lower-case hex digits; anything else is refused before any lookup.
    static let itemIDLength = 24
    /// Large reads keep per-chunk overhead low on multi-gigabyte files (measured: docs/benchmarks.md, media section).
    static let chunkLength = 1024 * 1024

    func register(on router: Router<MediaRequestContext>) {
        router.get("/") { request, context in
            try StatusPage(server: server, showCode: claimCodeVisible(request, context)).html()
        }
        router.get("/api/status") { request, context in
            try StatusPage(server: server, showCode: claimCodeVisible(request, context)).json()
        }
        // The supervisor's health check after an update: up, serving, and which version it runs.
        router.get("/healthz") { _, _ in
            try JSONResponse.make(["status": "ok", "version": server.configuration.version])
        }
        router.get("/api/library/sections") { request, _ in try await sections(request) }
        router.get("/api/library/sections/{name}/items") { request, context in
            try await sectionItems(request, name: context.parameters.require("name"))
        }
        router.get("/api/library/items/{id}") { request, context in
            let (_, item) = try await authorizedItem(request, id: context.parameters.require("id"))
            return try JSONResponse.make(item)
        }
        router.get("/api/library/items/{id}/stream") { request, context in
            try await stream(request, context: context, id: context.parameters.require("id"))
        }
        router.post("/api/library/rescan") { request, _ in
            let access = try await authorize(request)
            guard access.canAdminister else { throw MediaError.ownerOnly }
            let count = await server.library.rescan()
            return try JSONResponse.make(["items": count])
        }
        router.get("/play/{id}") { request, context in
            try await playPage(request, id: context.parameters.require("id"))
        }
    }

    // MARK: Access

    /// Whether this request may see the claim code; throws 421 for a host name this server does not answer for.
    func claimCodeVisible(_ request: Request, _ context: MediaRequestContext) throws(MediaError) -> Bool {
        let authority = request.head.authority
        switch server.claimCodeGuard.verdict(authority: authority, peer: context.remoteAddress) {
        case .showCode: return true
        case .hideCode: return false
        case .misdirected: throw .misdirected
        }
    }

    /// The bearer token from the `Authorization` header, else from `?token=` (for media elements).
    static func token(in request: Request) -> String? {
        presented(in: request)?.token
    }

    /// How a token was presented: `Authorization: Bearer`, `Authorization: DPoP` (with a `DPoP` proof header), or
    /// `?token=`. Any other `Authorization` scheme presents an empty token.
    static func presented(in request: Request) -> (token: String, dpop: Bool, inQuery: Bool)? {
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            if parts.count == 2 {
                let scheme = parts[0].lowercased()
                if scheme == "bearer" || scheme == "dpop" {
                    return (parts[1].trimmingWhitespace(), scheme == "dpop", false)
                }
            }
            return ("", false, false)
        }
        return request.uri.queryParameters["token"].map { (String($0), false, true) }
    }

    func authorize(_ request: Request) async throws(MediaError) -> MediaAccess {
        guard let presented = Self.presented(in: request), !presented.token.isEmpty else { throw .missingToken }
        let access = try await server.verifier.verify(presented.token)
        if let bound = access.boundThumbprint {
            // A bound token is useless without its key: not in a query string, not as Bearer.
            guard presented.dpop else { throw .dpopRequired }
            let proofs = request.headers[values: .init("DPoP")!]
            guard proofs.count == 1 else { throw .invalidDPoPProof }
            let base = server.configuration.publicURL ?? ("http://" + (request.head.authority ?? "localhost"))
            do {
                let thumbprint = try server.dpop.verify(
                    proof: proofs[0], method: request.method.rawValue,
                    url: DPoPTarget.url(publicURL: base, path: request.uri.path), accessToken: presented.token,
                    now: Date())
                guard ConstantTime.equals(thumbprint, bound) else { throw MediaError.invalidDPoPProof }
            } catch {
                throw .invalidDPoPProof
            }
        } else if presented.dpop {
            throw .notBound
        }
        return access
    }

    func authorizedItem(_ request: Request, id: String) async throws -> (MediaAccess, LibraryItem) {
        let access = try await authorize(request)
        guard Self.isWellFormedID(id), let item = server.library.item(id: id) else { throw MediaError.notFound }
        guard access.isShared(section: item.section) else { throw MediaError.notShared }
        // Out of a profile's range (section, rating, labels): the very answer a missing item gets, so a guessed id
        // tells a restricted profile nothing. Every item route (metadata, stream, play page) comes through here.
        guard access.canSee(item) else { throw MediaError.notFound }
        return (access, item)
    }

    static func isWellFormedID(_ id: String) -> Bool {
        id.utf8.count == itemIDLength
            && id.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    // MARK: Browse

    private func sections(_ request: Request) async throws -> Response {
        struct Entry: Encodable {
            var name: String
            var kind: String?
            var items: Int
        }
        let access = try await authorize(request)
        let entries = server.library.sections.filter { access.canRead(section: $0.name) }.map {
            Entry(
                name: $0.name, kind: $0.kind?.rawValue,
                items: server.library.items(inSection: $0.name).filter(access.canSee).count)
        }
        return try JSONResponse.make(["sections": entries])
    }

    private func sectionItems(_ request: Request, name rawName: String) async throws -> Response {
        struct Listing: Encodable {
            var section: String
            var items: [LibraryItem]
        }
        let access = try await authorize(request)
        // The name is only compared with configured section names; it never reaches the file system.
        let name = rawName.removingPercentEncoding ?? rawName
        guard access.isShared(section: name) else { throw MediaError.notShared }
        // A section outside a profile's list looks like one that does not exist.
        guard access.canRead(section: name), server.library.section(named: name) != nil else {
            throw MediaError.notFound
        }
        return try JSONResponse.make(
            Listing(section: name, items: server.library.items(inSection: name).filter(access.canSee)))
    }

    // MARK: Stream

    private func stream(_ request: Request, context: MediaRequestContext, id: String) async throws -> Response {
        let item: LibraryItem
        do {
            (_, item) = try await authorizedItem(request, id: id)
        } catch {
            server.metrics.streamRefused()
            throw error
        }
        guard let file = MediaFile.open(item: item, library: server.library) else { throw MediaError.notFound }
        var headers: HTTPFields = [
            .contentType: item.contentType,
            .acceptRanges: "bytes",
            .cacheControl: "private, no-store",
        ]
        HTTPFields.setExtra(&headers, "X-Content-Type-Options", "nosniff")
        let fileIO = FileIO()
        guard let rangeHeader = request.headers[.range] else {
            server.metrics.streamStarted(bytes: Int64(file.size))
            if file.size == 0 {
                headers[.contentLength] = "0"
                return Response(status: .ok, headers: headers, body: .init())
            }
            let body = try await fileIO.loadFile(
                path: file.path, range: 0...Int(file.size - 1), context: context, chunkLength: Self.chunkLength)
            return Response(status: .ok, headers: headers, body: body)
        }
        guard case .satisfiable(let range) = ByteRange.parse(rangeHeader, fileSize: file.size) else {
            throw MediaError.rangeNotSatisfiable(fileSize: file.size)
        }
        headers[.contentRange] = "bytes \(range.first)-\(range.last)/\(file.size)"
        server.metrics.streamStarted(bytes: Int64(range.last - range.first + 1))
        let body = try await fileIO.loadFile(
            path: file.path, range: Int(range.first)...Int(range.last), context: context, chunkLength: Self.chunkLength)
        return Response(status: .partialContent, headers: headers, body: body)
    }

    // MARK: Play page

    private func playPage(_ request: Request, id: String) async throws -> Response {
        let (_, item) = try await authorizedItem(request, id: id)
        // authorizedItem succeeded, so a token exists.
        let token = Self.token(in: request) ?? ""
        var unreserved = CharacterSet.alphanumerics
        unreserved.insert(charactersIn: "-._~")
        let query = token.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
        let source = "/api/library/items/\(item.id)/stream?token=\(query)"
        let element: String
        switch MediaFileType.lookup(extension: (item.relativePath as NSString).pathExtension)?.family {
        case .audio: element = "<audio controls autoplay src=\"\(HTML.escape(source))\"></audio>"
        case .image: element = "<img alt=\"\(HTML.escape(item.relativePath))\" src=\"\(HTML.escape(source))\">"
        default:
            element = "<video controls autoplay src=\"\(HTML.escape(source))\" style=\"max-width:100%\"></video>"
        }
        let page = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>\(HTML.escape(item.relativePath))</title></head>
            <body><h1>\(HTML.escape(item.relativePath))</h1>
            \(element)
            </body></html>
            """
        var headers: HTTPFields = [
            .contentType: "text/html; charset=utf-8",
            .cacheControl: "no-store",
            .contentSecurityPolicy: "default-src 'none'; media-src 'self'; img-src 'self'; style-src 'unsafe-inline'",
        ]
        // The page URL carries a token: never send it on as a referrer.
        HTTPFields.setExtra(&headers, "Referrer-Policy", "no-referrer")
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: page)))
    }
}

/// A library file opened for serving: the canonical path, checked to lie inside its section root.
struct MediaFile {
    let path: String
    let size: Int64

    /// Resolves the item's file now (symbolic links may have changed since the scan) and refuses anything that
    /// resolves outside the section root or is not a regular file.
    static func open(item: LibraryItem, library: LibraryIndex) -> MediaFile? {
        guard let section = library.section(named: item.section), let root = PathGuard.realPath(section.path),
            let resolved = PathGuard.resolve(relativePath: item.relativePath, under: root)
        else { return nil }
        var info = stat()
        guard lstat(resolved, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return MediaFile(path: resolved, size: Int64(info.st_size))
    }
}

enum JSONResponse {
    static func make(_ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Response(
            status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }
}

extension HTTPFields {
    /// Sets a header that HTTPTypes has no predefined name for.
    static func setExtra(_ fields: inout HTTPFields, _ name: String, _ value: String) {
        if let fieldName = HTTPFields.Element.Name(name) {
            fields[fieldName] = value
        }
    }
}
