import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import GatehouseMedia

@Suite("Bad paths never reach outside the library")
struct PathSafetyTests: Sendable {
    let library: TestLibrary
    let signer = TestSigner()

    init() throws {
        library = try TestLibrary()
    }

    static let hostileURIs = [
        "/api/library/items/../../secret.mp4/stream",
        "/api/library/items/..%2F..%2Fsecret.mp4/stream",
        "/api/library/items/%2e%2e%2f%2e%2e%2fsecret.mp4/stream",
        "/api/library/items/%2E%2E/stream",
        "/api/library/items/%2Fetc%2Fpasswd/stream",
        "/api/library/items//etc/passwd/stream",
        "/api/library/items/%252e%252e%252fsecret.mp4/stream",
        "/api/library/items/..%5c..%5csecret.mp4/stream",
        "/api/library/items/secret.mp4/stream",
        "/api/library/items/../../../../../../etc/passwd",
        "/api/library/sections/..%2F..%2F/items",
        "/api/library/sections/%2e%2e/items",
        "/api/library/sections/..%2Fsecret.mp4/items",
        "/api/library/sections/%2Ftmp/items",
        "/api/library/sections/Movies%2F..%2F..%2F/items",
        "/play/..%2Fsecret.mp4",
        "/play/%2e%2e%2f%2e%2e%2fsecret.mp4",
        "/../../secret.mp4",
        "/%2e%2e/%2e%2e/secret.mp4",
    ]

    @Test("hostile paths get 4xx and no byte from outside", arguments: hostileURIs)
    func hostile(uri: String) async throws {
        let server = try await library.makeServer(signer: signer)
        try await makeApp(server).test(.router) { client in
            try await client.execute(uri: uri, method: .get, headers: bearer(signer.token())) { response in
                #expect((400..<500).contains(response.status.code), "\(uri) → \(response.status)")
                #expect(!String(buffer: response.body).contains(TestLibrary.secretMarker))
            }
        }
    }

    @Test("path-looking query parameters are ignored: the item is served by id only")
    func queryParameters() async throws {
        let server = try await library.makeServer(signer: signer)
        let id = TestLibrary.id("Photos", "shot.png")
        try await makeApp(server).test(.router) { client in
            for query in ["path=../../secret.mp4", "file=%2Fetc%2Fpasswd", "id=..%2F..%2Fsecret.mp4"] {
                try await client.execute(
                    uri: "/api/library/items/\(id)/stream?\(query)", method: .get, headers: bearer(signer.token())
                ) { response in
                    #expect(response.status == .ok)
                    #expect(response.bytes == library.bytes(section: "Photos", path: "shot.png"))
                }
            }
        }
    }

    @Test("a symbolic link leading out of the library is never indexed nor served")
    func symlinkOutAtScan() async throws {
        let movies = library.library.appendingPathComponent("Movies")
        try FileManager.default.createSymbolicLink(
            at: movies.appendingPathComponent("escape.mp4"), withDestinationURL: library.outsideFile)
        try FileManager.default.createSymbolicLink(
            at: movies.appendingPathComponent("linked-dir"), withDestinationURL: library.root)
        let server = try await library.makeServer(signer: signer)
        #expect(server.library.item(id: TestLibrary.id("Movies", "escape.mp4")) == nil)
        #expect(server.library.item(id: TestLibrary.id("Movies", "linked-dir/secret.mp4")) == nil)
        #expect(!server.library.items(inSection: "Movies").contains { $0.relativePath.contains("secret") })
        try await makeApp(server).test(.router) { client in
            for id in [TestLibrary.id("Movies", "escape.mp4"), TestLibrary.id("Movies", "linked-dir/secret.mp4")] {
                try await client.execute(
                    uri: "/api/library/items/\(id)/stream", method: .get, headers: bearer(signer.token())
                ) { response in
                    #expect(response.status == .notFound)
                    #expect(!String(buffer: response.body).contains(TestLibrary.secretMarker))
                }
            }
        }
    }

    @Test("a file swapped for an outward symbolic link after the scan is refused when opened")
    func symlinkOutAfterScan() async throws {
        let server = try await library.makeServer(signer: signer)
        let film = library.library.appendingPathComponent("Movies/film.mkv")
        try FileManager.default.removeItem(at: film)
        try FileManager.default.createSymbolicLink(at: film, withDestinationURL: library.outsideFile)
        #expect(server.library.item(id: TestLibrary.id("Movies", "film.mkv")) != nil)
        try await makeApp(server).test(.router) { client in
            try await client.execute(
                uri: "/api/library/items/\(TestLibrary.id("Movies", "film.mkv"))/stream", method: .get,
                headers: bearer(signer.token())
            ) { response in
                #expect(response.status == .notFound)
                #expect(!String(buffer: response.body).contains(TestLibrary.secretMarker))
            }
        }
    }

    @Test("a symbolic link that stays inside the library is served")
    func symlinkInside() async throws {
        try FileManager.default.createSymbolicLink(
            at: library.library.appendingPathComponent("Movies/alias.mp4"),
            withDestinationURL: library.library.appendingPathComponent("Movies/big.mp4"))
        let server = try await library.makeServer(signer: signer)
        try await makeApp(server).test(.router) { client in
            var headers = bearer(signer.token())
            headers[.range] = "bytes=0-9"
            try await client.execute(
                uri: "/api/library/items/\(TestLibrary.id("Movies", "alias.mp4"))/stream", method: .get,
                headers: headers
            ) { response in
                #expect(response.status == .partialContent)
                #expect(response.bytes == Array(library.bytes(section: "Movies", path: "big.mp4")[0...9]))
            }
        }
    }

    @Test func guardRules() {
        #expect(PathGuard.isInside("/a/b/c", root: "/a/b"))
        #expect(!PathGuard.isInside("/a/bc", root: "/a/b"))
        #expect(!PathGuard.isInside("/a/b", root: "/a/b"))
        #expect(PathGuard.resolve(relativePath: "../x", under: "/tmp") == nil)
        #expect(PathGuard.resolve(relativePath: "/etc/passwd", under: "/tmp") == nil)
    }
}
