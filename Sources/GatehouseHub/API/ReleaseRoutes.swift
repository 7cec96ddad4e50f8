import Foundation
import GatehouseCore
import GatehouseReleases
import Hummingbird
import NIOCore
import NIOPosix

/// Signed releases and advisories, for media servers' updaters and for people.
enum ReleaseRoutes {
    struct Listing: Encodable {
        var releases: [SignedManifest]
        var keyLists: [SignedKeyList]
        /// The newest release list the release key signed (absent until one is uploaded).
        var releaseList: SignedReleaseList?
    }

    struct AdvisoryView: Encodable {
        var id: String
        var affected: String
        var fixed: String
        var severity: String
        var summary: String
        /// The advisory as the release key signed it; media servers act on nothing else.
        var signed: SignedAdvisory?

        init(_ advisory: Advisory) {
            id = advisory.id
            affected = advisory.affected
            fixed = advisory.fixed
            severity = advisory.severity
            summary = advisory.summary
            signed = advisory.signed
        }
    }

    static func register(_ table: inout APIRouteTable, services: HubServices) {
        let releases = services.releases
        table.addOpen(.get, "/releases") { request, _ in
            let channel = request.uri.queryParameters["channel"].map(String.init)
            return try JSONBody.response(
                Listing(
                    releases: try await releases.releases(channel: channel).map(\.signed),
                    keyLists: try await releases.keyLists(), releaseList: try await releases.releaseList()))
        }
        table.addOpen(.get, "/releases/{version}/artifact") { _, context in
            let version = try context.parameters.require("version")
            guard SemanticVersion(version) != nil,
                try await releases.releases(channel: nil).contains(where: { $0.version == version })
            else { throw ReleaseService.Error.notFound }
            let path = releases.artifactPath(version: version)
            guard let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue
            else { throw ReleaseService.Error.notFound }
            var headers = HTTPFields()
            headers[.contentType] = "application/octet-stream"
            headers[.contentLength] = String(size)
            let body = ResponseBody(contentLength: size) { writer in
                guard let handle = FileHandle(forReadingAtPath: path) else { throw ReleaseService.Error.notFound }
                defer { try? handle.close() }
                while let chunk = try handle.read(upToCount: 256 * 1024), !chunk.isEmpty {
                    try await writer.write(ByteBuffer(bytes: chunk))
                }
                try await writer.finish(nil)
            }
            return Response(status: .ok, headers: headers, body: body)
        }
        table.addOpen(.get, "/advisories") { _, _ in
            try JSONBody.response(try await releases.advisories().map(AdvisoryView.init))
        }
    }
}
