import Foundation
import GatehouseCore
import Hummingbird

/// Renders the hub's web pages. (Pages arrive with the web-pages issue; errors on non-API paths use it already.)
final class PageRenderer: Sendable {
    init() {}

    func errorPage(status: Int, message: String, request: Request, context: HubRequestContext) -> Response {
        let html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Gatehouse</title></head>
            <body><main><h1>\(status)</h1><p>\(HTML.escape(message))</p></main></body></html>
            """
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(
            status: HTTPResponse.Status(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}
