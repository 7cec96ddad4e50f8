import AsyncHTTPClient
import Crypto
import Foundation
import GatehouseReleases
import GatehouseWire
import Hummingbird

/// The update calls of docs/update-protocol.md. Nothing here is trusted: the caller verifies every manifest
/// against its pinned keys and every artifact against its verified manifest.
extension HubClient {
    /// `GET /releases`: stable only for the stable channel; every release for beta (beta also takes stable ones).
    func releases(channel: String) async throws -> ReleaseListing {
        let query = channel == "stable" ? "?channel=stable" : ""
        let (status, data) = try await send(.get, "/api/v1/releases" + query, credential: nil, json: nil as Never?)
        guard status == 200 else { throw Failure.unexpectedStatus(status) }
        return try decode(ReleaseListing.self, data)
    }

    /// `GET /advisories`: each entry's signed form (the caller verifies it; entries without one are ignored).
    func advisories() async throws -> [PublishedAdvisory] {
        let (status, data) = try await send(.get, "/api/v1/advisories", credential: nil, json: nil as Never?)
        guard status == 200 else { throw Failure.unexpectedStatus(status) }
        return try decode([PublishedAdvisory].self, data)
    }

    /// `POST /servers/me/update-report`; false when the hub answers 401 (not claimed).
    func reportUpdate(credential: String, version: String, outcome: String, reason: String) async throws -> Bool {
        let (status, _) = try await send(
            .post, "/api/v1/servers/me/update-report", credential: credential,
            json: ServerUpdateReport(version: version, outcome: outcome, reason: String(reason.prefix(300))))
        if status == 401 { return false }
        guard (200..<300).contains(status) else { throw Failure.unexpectedStatus(status) }
        return true
    }

    /// Streams a release's artifact into `path`, never writing more than `size` bytes; returns the bytes' SHA-256
    /// (lower-case hex). Throws when the hub sends more or fewer bytes than `size`.
    func downloadArtifact(version: SemanticVersion, size: Int64, to path: String) async throws -> String {
        let request = HTTPClientRequest(url: url("/api/v1/releases/\(version)/artifact"))
        let response = try await client.execute(request, timeout: .minutes(30))
        guard response.status.code == 200 else { throw Failure.unexpectedStatus(response.status.code) }
        if let declared = response.headers.first(name: "Content-Length").flatMap({ Int64($0) }), declared != size {
            throw ArtifactFailure.sizeMismatch(expected: size, received: declared)
        }
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
            let handle = FileHandle(forWritingAtPath: path)
        else { throw ArtifactFailure.cannotWrite(path) }
        defer { try? handle.close() }
        var hasher = SHA256()
        var received: Int64 = 0
        do {
            for try await buffer in response.body {
                received += Int64(buffer.readableBytes)
                guard received <= size else { throw ArtifactFailure.sizeMismatch(expected: size, received: received) }
                let chunk = Data(buffer.readableBytesView)
                hasher.update(data: chunk)
                try handle.write(contentsOf: chunk)
            }
        } catch let failure as ArtifactFailure {
            throw failure
        } catch {
            throw ArtifactFailure.cutShort(expected: size, received: received)
        }
        guard received == size else { throw ArtifactFailure.cutShort(expected: size, received: received) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Why a downloaded artifact was refused.
    enum ArtifactFailure: Error, Equatable, CustomStringConvertible {
        case sizeMismatch(expected: Int64, received: Int64)
        case cutShort(expected: Int64, received: Int64)
        case digestMismatch
        case cannotWrite(String)

        var description: String {
            switch self {
            case .sizeMismatch(let expected, let received):
                "artifact size \(received) differs from the manifest's \(expected)"
            case .cutShort(let expected, let received):
                "download cut short after \(received) of \(expected) bytes"
            case .digestMismatch: "artifact SHA-256 differs from the manifest's"
            case .cannotWrite(let path): "cannot write \(path)"
            }
        }
    }
}
