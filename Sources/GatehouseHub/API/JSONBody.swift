import Foundation
import GatehouseCore
import Hummingbird
import NIOCore

/// The hub's one request decoder, behind `request.decode(as:context:)` on every API route: JSON only, snake_case
/// keys, the body bounded by the context's `maxUploadSize` (413), 415 for another content type, 400 for a body that
/// is not UTF-8 or not JSON or holds a NUL, 422 naming the field that is missing or of the wrong type.
///
/// URL-encoded forms are deliberately not accepted here: a cross-site page can post a form without a preflight, but
/// not a JSON body, so the API taking JSON only is one of its defences against cross-site requests. Pages read their
/// forms with `FormBody` after the origin and CSRF checks.
public struct HubRequestDecoder: RequestDecoder {
    public init() {}

    public func decode<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext) async throws
        -> T
    {
        try await JSONBody.decode(type, from: request, context: context)
    }
}

/// JSON in and out of the API: snake_case keys, bounded bodies, and clear 4xx errors for anything malformed.
enum JSONBody {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()

    /// Reads and decodes the request body; 413 past the context's limit, 400/415/422 for bad input. Wire types
    /// shared with the media server (GatehouseWire) name their keys themselves: pass `WireJSON.decoder` for them.
    static func decode<T: Decodable>(
        _ type: T.Type, from request: Request, context: some RequestContext, decoder: JSONDecoder = JSONBody.decoder
    ) async throws -> T {
        if let contentType = request.headers[.contentType],
            !contentType.lowercased().hasPrefix("application/json")
        {
            throw RequestError(
                status: 415, code: "unsupported_media_type", message: "Send the body as application/json.")
        }
        let buffer = try await BodyReader.collect(request, context: context)
        let bytes = Data(buffer.readableBytesView)
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw RequestError.badRequest("The body is not valid UTF-8.", code: "invalid_utf8")
        }
        guard !BodyReader.containsNUL(json: bytes) else {
            throw BodyReader.nulCharacter
        }
        do {
            return try decoder.decode(T.self, from: bytes)
        } catch let DecodingError.keyNotFound(key, _) {
            throw RequestError(
                status: 422, code: "missing_field", message: "The field '\(snake(key.stringValue))' is required.")
        } catch let DecodingError.typeMismatch(_, context) {
            throw RequestError(
                status: 422, code: "wrong_type", message: "The field '\(path(context))' has the wrong type.")
        } catch let DecodingError.valueNotFound(_, context) {
            throw RequestError(status: 422, code: "missing_field", message: "The field '\(path(context))' is required.")
        } catch {
            throw RequestError.badRequest("The body is not valid JSON.", code: "invalid_json")
        }
    }

    /// A JSON response.
    static func response<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder.encode(value)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A JSON response from bytes already encoded.
    static func response(encoded data: Data, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// 204 No Content.
    static func noContent() -> Response {
        Response(status: .noContent)
    }

    private static func path(_ context: DecodingError.Context) -> String {
        context.codingPath.map { snake($0.stringValue) }.joined(separator: ".")
    }

    private static func snake(_ name: String) -> String {
        var out = ""
        for character in name {
            if character.isUppercase {
                out += "_" + character.lowercased()
            } else {
                out.append(character)
            }
        }
        return out
    }
}

/// Reading request bodies, for JSON and forms alike: every way a body can be broken on the wire is a 4xx.
enum BodyReader {
    static let nulCharacter = RequestError.badRequest("The body contains a NUL character.", code: "invalid_character")

    /// The whole body: 413 past the context's limit, 400 when it is cut short or badly framed (a chunk size that
    /// is not hex, a connection closed before Content-Length bytes arrived, and the like).
    static func collect(_ request: Request, context: some RequestContext) async throws -> ByteBuffer {
        var request = request
        do {
            return try await request.collectBody(upTo: context.maxUploadSize)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw RequestError(status: 413, code: "body_too_large", message: "The request body is too large.")
        } catch is NIOTooManyBytesError {
            throw RequestError(status: 413, code: "body_too_large", message: "The request body is too large.")
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            // HTTPParserError from NIO's decoder, or the connection ending mid-body.
            throw malformed
        }
    }

    /// The answer to a body NIO could not parse.
    static let malformed = RequestError.badRequest(
        "The request body could not be read: it was cut short or its framing is invalid.", code: "malformed_body")

    /// Whether JSON text holds a NUL, raw or as the escape `\u0000` in a string (which would otherwise reach the
    /// database, where PostgreSQL refuses it in text).
    static func containsNUL(json bytes: Data) -> Bool {
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == 0 { return true }
            if byte == UInt8(ascii: "\\") {
                let next = bytes.index(after: index)
                guard next < bytes.endIndex else { return false }
                if bytes[next] == UInt8(ascii: "u"), bytes.distance(from: next, to: bytes.endIndex) >= 5,
                    bytes[bytes.index(next, offsetBy: 1)..<bytes.index(next, offsetBy: 5)].allSatisfy({
                        $0 == UInt8(ascii: "0")
                    })
                {
                    return true
                }
                // Skip the escaped character, so `\\u0000` (a backslash, then text) is not mistaken for a NUL.
                index = bytes.index(after: next)
                continue
            }
            index = bytes.index(after: index)
        }
        return false
    }
}

/// The error body every API error uses.
struct ErrorBody: Encodable {
    struct Detail: Encodable {
        var code: String
        var message: String
        var details: [String: String]?
        /// The request's id, as in `X-Request-Id` and the hub's log lines: what an operator searches for.
        var requestId: String?
    }

    var error: Detail
}
