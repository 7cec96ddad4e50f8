import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import GatehouseMedia

@Suite("Streaming with HTTP Range")
struct StreamingTests: Sendable {
    let library: TestLibrary
    let signer = TestSigner()

    init() throws {
        library = try TestLibrary()
    }

    @Test("a full GET returns the whole file with its content type")
    func fullFile() async throws {
        let server = try await library.makeServer(signer: signer)
        let expected = library.bytes(section: "Movies", path: "big.mp4")
        try await makeApp(server).test(.router) { client in
            let id = TestLibrary.id("Movies", "big.mp4")
            try await client.execute(
                uri: "/api/library/items/\(id)/stream", method: .get, headers: bearer(signer.token())
            ) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "video/mp4")
                #expect(response.headers[.acceptRanges] == "bytes")
                #expect(response.headers[.contentLength] == "\(expected.count)")
                #expect(response.bytes == expected)
            }
        }
    }

    @Test(
        "content types follow the extension",
        arguments: [
            ("Movies", "Sub Folder/clip.webm", "video/webm"), ("Movies", "film.mkv", "video/x-matroska"),
            ("Music", "song.mp3", "audio/mpeg"), ("Music", "track.flac", "audio/flac"),
            ("Photos", "pic.jpg", "image/jpeg"), ("Photos", "shot.png", "image/png"),
        ])
    func contentTypes(section: String, path: String, type: String) async throws {
        let server = try await library.makeServer(signer: signer)
        try await makeApp(server).test(.router) { client in
            try await client.execute(
                uri: "/api/library/items/\(TestLibrary.id(section, path))/stream", method: .get,
                headers: bearer(signer.token())
            ) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == type)
                #expect(response.bytes == library.bytes(section: section, path: path))
            }
        }
    }

    @Test(
        "satisfiable ranges return 206 with exactly those bytes",
        arguments: [
            ("bytes=0-0", 0, 0), ("bytes=0-99", 0, 99), ("bytes=1000-300000", 1000, 300_000),
            ("bytes=699000-", 699_000, 699_999), ("bytes=-500", 699_500, 699_999), ("bytes=-900000", 0, 699_999),
            ("bytes=699999-800000", 699_999, 699_999), ("bytes=262143-524289", 262_143, 524_289),
        ])
    func ranges(header: String, first: Int, last: Int) async throws {
        let server = try await library.makeServer(signer: signer)
        let file = library.bytes(section: "Movies", path: "big.mp4")
        try await makeApp(server).test(.router) { client in
            var headers = bearer(signer.token())
            headers[.range] = header
            try await client.execute(
                uri: "/api/library/items/\(TestLibrary.id("Movies", "big.mp4"))/stream", method: .get,
                headers: headers
            ) { response in
                #expect(response.status == .partialContent)
                #expect(response.headers[.contentRange] == "bytes \(first)-\(last)/\(file.count)")
                #expect(response.headers[.contentLength] == "\(last - first + 1)")
                #expect(response.bytes == Array(file[first...last]))
            }
        }
    }

    @Test(
        "invalid, oversized and multiple ranges get 416 and no file bytes",
        arguments: [
            "bytes=700000-", "bytes=700000-700001", "bytes=5-3", "bytes=-0", "bytes=abc", "bytes=1-2,5-6",
            "items=0-5", "bytes=-", "bytes=0-99999999999999999999999", "bytes=+1-5", "bytes= -", "bytes=0x10-20", "",
        ])
    func badRanges(header: String) async throws {
        let server = try await library.makeServer(signer: signer)
        try await makeApp(server).test(.router) { client in
            var headers = bearer(signer.token())
            headers[.range] = header
            try await client.execute(
                uri: "/api/library/items/\(TestLibrary.id("Movies", "big.mp4"))/stream", method: .get,
                headers: headers
            ) { response in
                #expect(response.status == .rangeNotSatisfiable)
                #expect(response.headers[.contentRange] == "bytes */700000")
                #expect(response.errorCode == "range_not_satisfiable")
            }
        }
    }

    @Test("the play page embeds a media element with the token and no script")
    func playPage() async throws {
        let server = try await library.makeServer(signer: signer)
        let token = signer.token()
        try await makeApp(server).test(.router) { client in
            let id = TestLibrary.id("Music", "song.mp3")
            try await client.execute(uri: "/play/\(id)?token=\(token)", method: .get) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                #expect(html.contains("<audio"))
                #expect(html.contains("/api/library/items/\(id)/stream?token=\(token)"))
                #expect(!html.contains("<script"))
                #expect(response.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
            }
            try await client.execute(uri: "/play/\(id)", method: .get) { response in
                #expect(response.status == .unauthorized)
            }
        }
    }
}

@Suite("Byte range parsing")
struct ByteRangeTests {
    @Test func forms() {
        #expect(ByteRange.parse("bytes=0-9", fileSize: 100) == .satisfiable(.init(first: 0, last: 9)))
        #expect(ByteRange.parse("bytes=90-", fileSize: 100) == .satisfiable(.init(first: 90, last: 99)))
        #expect(ByteRange.parse("bytes=-10", fileSize: 100) == .satisfiable(.init(first: 90, last: 99)))
        #expect(ByteRange.parse("bytes=50-500", fileSize: 100) == .satisfiable(.init(first: 50, last: 99)))
        #expect(ByteRange.parse("Bytes = 1-2", fileSize: 100) == .unsatisfiable)
        #expect(ByteRange.parse("bytes=0-0", fileSize: 0) == .unsatisfiable)
        #expect(ByteRange.parse("bytes=100-", fileSize: 100) == .unsatisfiable)
        #expect(ByteRange.parse("bytes=0-1, 3-4", fileSize: 100) == .unsatisfiable)
    }
}
