import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import GatehouseMedia

@Suite("Sharing sections")
struct SharingTests: Sendable {
    let library: TestLibrary
    let signer = TestSigner()

    init() throws {
        library = try TestLibrary()
    }

    @Test("a friend sees and streams only the shared sections")
    func friend() async throws {
        let server = try await library.makeServer(signer: signer)
        let friend = signer.token(sub: "acct-friend", dev: "dev-f", own: false, sec: ["Music"])
        let owner = signer.token()
        try await makeApp(server).test(.router) { client in
            try await client.execute(uri: "/api/library/sections", method: .get, headers: bearer(friend)) { response in
                #expect(response.status == .ok)
                let body = String(buffer: response.body)
                #expect(body.contains("\"Music\""))
                #expect(!body.contains("Movies") && !body.contains("Photos"))
            }
            try await client.execute(uri: "/api/library/sections", method: .get, headers: bearer(owner)) { response in
                let body = String(buffer: response.body)
                #expect(body.contains("Movies") && body.contains("Music") && body.contains("Photos"))
            }
            try await client.execute(uri: "/api/library/sections/Music/items", method: .get, headers: bearer(friend)) {
                #expect($0.status == .ok)
                #expect(String(buffer: $0.body).contains("song.mp3"))
            }
            for uri in [
                "/api/library/sections/Movies/items",
                "/api/library/items/\(TestLibrary.id("Movies", "big.mp4"))",
                "/api/library/items/\(TestLibrary.id("Movies", "big.mp4"))/stream",
                "/api/library/items/\(TestLibrary.id("Photos", "pic.jpg"))/stream",
                "/play/\(TestLibrary.id("Movies", "film.mkv"))",
            ] {
                try await client.execute(uri: uri, method: .get, headers: bearer(friend)) { response in
                    #expect(response.status == .forbidden, "\(uri)")
                    #expect(response.errorCode == "section_not_shared", "\(uri)")
                }
            }
            let song = TestLibrary.id("Music", "song.mp3")
            var ranged = bearer(friend)
            ranged[.range] = "bytes=100-199"
            try await client.execute(uri: "/api/library/items/\(song)/stream", method: .get, headers: ranged) {
                #expect($0.status == .partialContent)
                #expect($0.bytes == Array(library.bytes(section: "Music", path: "song.mp3")[100...199]))
            }
            // Only the owner may rescan.
            try await client.execute(uri: "/api/library/rescan", method: .post, headers: bearer(friend)) {
                #expect($0.status == .forbidden)
                #expect($0.errorCode == "owner_only")
            }
            try await client.execute(uri: "/api/library/rescan", method: .post, headers: bearer(owner)) {
                #expect($0.status == .ok)
            }
        }
    }

    @Test("items carry id, section, path, size, type and kind")
    func itemDetails() async throws {
        let server = try await library.makeServer(signer: signer)
        let id = TestLibrary.id("Movies", "Sub Folder/clip.webm")
        try await makeApp(server).test(.router) { client in
            try await client.execute(uri: "/api/library/items/\(id)", method: .get, headers: bearer(signer.token())) {
                let json = try JSONSerialization.jsonObject(with: Data($0.body.readableBytesView)) as? [String: Any]
                #expect(json?["id"] as? String == id)
                #expect(json?["section"] as? String == "Movies")
                #expect(json?["path"] as? String == "Sub Folder/clip.webm")
                #expect(json?["size"] as? Int == 4096)
                #expect(json?["content_type"] as? String == "video/webm")
                #expect(json?["kind"] as? String == "movie")
            }
            try await client.execute(
                uri: "/api/library/sections/Movies/items", method: .get, headers: bearer(signer.token())
            ) {
                let body = String(buffer: $0.body)
                #expect(!body.contains("readme.txt"))
            }
        }
    }

    @Test("a rescan picks up new and removed files")
    func rescan() async throws {
        let server = try await library.makeServer(signer: signer)
        let added = library.library.appendingPathComponent("Music/new.ogg")
        try Data([1, 2, 3]).write(to: added)
        try FileManager.default.removeItem(at: library.library.appendingPathComponent("Music/track.flac"))
        try await makeApp(server).test(.router) { client in
            try await client.execute(uri: "/api/library/rescan", method: .post, headers: bearer(signer.token())) {
                #expect($0.status == .ok)
            }
        }
        #expect(server.library.item(id: TestLibrary.id("Music", "new.ogg"))?.contentType == "audio/ogg")
        #expect(server.library.item(id: TestLibrary.id("Music", "track.flac")) == nil)
        // The index is saved in the data folder and reloaded by a new server.
        let reloaded = try await MediaServer(
            configuration: library.configuration(keys: [signer.kid: signer.publicKey]), logger: .init(label: "t"),
            probe: MediaProbe(executable: nil))
        #expect(reloaded.library.item(id: TestLibrary.id("Music", "new.ogg")) != nil)
    }
}
