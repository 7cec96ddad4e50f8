import Foundation
import GatehouseCore
import Hummingbird
import NIOCore

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

    /// Reads and decodes the request body; 413 past the context's limit, 400/415/422 for bad input.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, context: HubRequestContext) async throws
        -> T
    {
        if let contentType = request.headers[.contentType],
            !contentType.lowercased().hasPrefix("application/json")
        {
            throw RequestError(
                status: 415, code: "unsupported_media_type", message: "Send the body as application/json.")
        }
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: context.maxUploadSize)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw RequestError(status: 413, code: "body_too_large", message: "The request body is too large.")
        } catch is NIOTooManyBytesError {
            throw RequestError(status: 413, code: "body_too_large", message: "The request body is too large.")
        }
        let bytes = Data(buffer.readableBytesView)
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw RequestError.badRequest("The body is not valid UTF-8.", code: "invalid_utf8")
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

/// The error body every API error uses.
struct ErrorBody: Encodable {
    struct Detail: Encodable {
        var code: String
        var message: String
        var details: [String: String]?
    }

    var error: Detail
}
