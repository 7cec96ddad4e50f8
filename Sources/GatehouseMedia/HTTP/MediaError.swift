import Foundation
import Hummingbird

/// Every error the media server answers with, mapped to a status and a JSON body
/// `{"error":{"code":"...","message":"..."}}` in one place. Messages never contain a token or a file system path.
public enum MediaError: Error, Equatable, Sendable {
    case missingToken
    case wrongTokenType
    case malformedToken
    case badSignature
    case unknownKey
    case wrongAudience
    case expired
    case notYetValid
    case lifetimeTooLong
    case revoked
    case notClaimed
    case notShared
    case ownerOnly
    case notFound
    case rangeNotSatisfiable(fileSize: Int64)
    case misdirected
    /// The token is bound to a DPoP key: it must come as `Authorization: DPoP` with a proof.
    case dpopRequired
    /// The DPoP proof was refused (malformed, badly signed, stale, replayed, for another request or key).
    case invalidDPoPProof
    /// `Authorization: DPoP` with a token that is not bound to a key.
    case notBound

    /// HTTP status of the answer.
    public var status: HTTPResponse.Status {
        switch self {
        case .missingToken, .wrongTokenType, .malformedToken, .badSignature, .unknownKey, .wrongAudience, .expired,
            .notYetValid, .lifetimeTooLong, .revoked, .notClaimed, .dpopRequired, .invalidDPoPProof, .notBound:
            .unauthorized
        case .notShared, .ownerOnly: .forbidden
        case .notFound: .notFound
        case .rangeNotSatisfiable: .rangeNotSatisfiable
        case .misdirected: .misdirectedRequest
        }
    }

    /// Stable machine-readable code.
    public var code: String {
        switch self {
        case .missingToken: "missing_token"
        case .wrongTokenType: "wrong_token_type"
        case .malformedToken: "malformed_token"
        case .badSignature: "bad_signature"
        case .unknownKey: "unknown_key"
        case .wrongAudience: "wrong_audience"
        case .expired: "token_expired"
        case .notYetValid: "token_not_yet_valid"
        case .lifetimeTooLong: "token_lifetime_too_long"
        case .revoked: "token_revoked"
        case .notClaimed: "server_not_claimed"
        case .notShared: "section_not_shared"
        case .ownerOnly: "owner_only"
        case .notFound: "not_found"
        case .rangeNotSatisfiable: "range_not_satisfiable"
        case .misdirected: "misdirected_request"
        case .dpopRequired, .notBound: "invalid_token"
        case .invalidDPoPProof: "invalid_dpop_proof"
        }
    }

    /// Human-readable message.
    public var message: String {
        switch self {
        case .missingToken: "A media access token from the hub is required."
        case .wrongTokenType: "This is not a media access token; ask the hub for a token for this server."
        case .malformedToken: "The access token is malformed."
        case .badSignature: "The access token signature is not valid."
        case .unknownKey: "The access token was signed by a key the hub has not published."
        case .wrongAudience: "The access token is for another server."
        case .expired: "The access token has expired."
        case .notYetValid: "The access token is not valid yet."
        case .lifetimeTooLong: "The access token lifetime is too long."
        case .revoked: "The access token has been revoked; ask the hub for a new one."
        case .notClaimed: "This media server has not been claimed yet."
        case .notShared: "This library section is not shared with you."
        case .ownerOnly: "Only the owner of this server may do this."
        case .notFound: "Not found."
        case .rangeNotSatisfiable: "The requested range cannot be served."
        case .misdirected:
            "This server does not answer for that host name. Open it as http://localhost:PORT/ on its own machine."
        case .dpopRequired:
            "This token is bound to a key: send it as 'Authorization: DPoP' with a DPoP proof."
        case .invalidDPoPProof: "The DPoP proof is not valid for this request and token."
        case .notBound: "This token is not bound to a key: send it as 'Authorization: Bearer'."
        }
    }
}

/// The JSON shape of every error answer.
struct MediaErrorBody: Encodable {
    struct Detail: Encodable {
        var code: String
        var message: String
    }
    var error: Detail
}

extension MediaError: HTTPResponseError {
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        // Sorted keys: two answers that must look alike (a refused item and a missing one) are byte-identical.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(MediaErrorBody(error: .init(code: code, message: message)))
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"]
        switch self {
        case .dpopRequired, .notBound, .invalidDPoPProof:
            headers[.wwwAuthenticate] = "DPoP error=\"\(code)\", algs=\"ES256 EdDSA Ed25519\""
        default:
            if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        }
        if case .rangeNotSatisfiable(let size) = self {
            headers[.contentRange] = "bytes */\(size)"
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
