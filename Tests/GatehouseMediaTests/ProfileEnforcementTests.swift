import Foundation
import GatehouseWire
import Hummingbird
import HummingbirdTesting
import Testing

@testable import GatehouseMedia

/// Profiles on the media server, offline: the rating scale, sidecars and tags, and every item route refusing an
/// out-of-range item with the very 404 a missing one gets.
@Suite("Profiles on the media server")
struct ProfileEnforcementTests: Sendable {
    let library: TestLibrary
    let signer = TestSigner()

    init() throws {
        library = try TestLibrary()
        // big.mp4: R (plain-text sidecar); film.mkv: G, labelled (JSON sidecar); clip.webm: unrated.
        try Data("R\n".utf8).write(to: library.library.appendingPathComponent("Movies/big.mp4.rating"))
        try Data(#"{"rating": "g", "labels": ["kids", "christmas"]}"#.utf8)
            .write(to: library.library.appendingPathComponent("Movies/film.mkv.meta.json"))
        try Data("TV-Y".utf8).write(to: library.library.appendingPathComponent("Music/song.mp3.rating"))
    }

    /// A profile token: `media-profile` with a `prf` claim, signed like the hub's.
    func profileToken(
        max: String? = "PG", sec: [String]? = nil, lab: [String]? = nil, blk: [String]? = nil, own: Bool = true,
        typ: String = "media-profile", withClaim: Bool = true
    ) -> String {
        let now = Int64(Date().timeIntervalSince1970)
        var claims: [String: Any] = [
            "typ": typ, "kid": signer.kid, "aud": TestLibrary.serverID, "sub": "acct-owner", "dev": "dev-kid",
            "iat": now, "exp": now + 300, "jti": UUID().uuidString, "own": own, "sec": [String](),
        ]
        if withClaim {
            var prf: [String: Any] = ["id": "prf_kid"]
            if let max { prf["max"] = max }
            if let sec { prf["sec"] = sec }
            if let lab { prf["lab"] = lab }
            if let blk { prf["blk"] = blk }
            claims["prf"] = prf
        }
        let data = (try? JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys])) ?? Data()
        return signer.sign(payload: String(decoding: data, as: UTF8.self))
    }

    // MARK: Scale, sidecars, tags

    @Test("the rating scale is ordered, film and TV interleaved, and unrated passes no ceiling")
    func scaleOrder() {
        let ladder = ["TV-Y", "TV-Y7", "G", "PG", "PG-13", "R", "NC-17"]
        for (lower, higher) in zip(ladder, ladder.dropFirst()) {
            #expect(ContentRating.rank(of: lower)! < ContentRating.rank(of: higher)!, "\(lower) < \(higher)")
        }
        #expect(ContentRating.rank(of: "TV-G") == ContentRating.rank(of: "G"))
        #expect(ContentRating.rank(of: "TV-PG") == ContentRating.rank(of: "PG"))
        #expect(ContentRating.rank(of: "TV-14") == ContentRating.rank(of: "PG-13"))
        #expect(ContentRating.rank(of: "TV-MA") == ContentRating.rank(of: "R"))
        for spelling in ["pg-13", "PG 13", "pg13", "US:PG-13", "  PG-13 "] {
            #expect(ContentRating.canonical(spelling) == "PG-13", "\(spelling)")
        }
        #expect(ContentRating.canonical("NR") == nil && ContentRating.canonical("Unrated") == nil)
        #expect(ContentRating.canonical(String(repeating: "G", count: 100)) == nil)
        #expect(ContentRating.allows(itemRating: "G", ceiling: "PG"))
        #expect(ContentRating.allows(itemRating: "PG", ceiling: "PG"))
        #expect(ContentRating.allows(itemRating: "TV-PG", ceiling: "PG"))
        #expect(!ContentRating.allows(itemRating: "PG-13", ceiling: "PG"))
        #expect(!ContentRating.allows(itemRating: nil, ceiling: "NC-17"))
        #expect(!ContentRating.allows(itemRating: "NR", ceiling: "NC-17"))
        #expect(!ContentRating.allows(itemRating: "G", ceiling: "made-up"))
        #expect(ContentRating.allows(itemRating: nil, ceiling: nil))
    }

    @Test("sidecars: JSON wins over text, ratings are canonical, labels bounded; tags are read as a fallback")
    func sidecarParsing() throws {
        #expect(
            RatingSidecar.parseJSON(Data(#"{"rating":"tv14","labels":["a"," a ","b"]}"#.utf8))
                == .init(rating: "TV-14", labels: ["a", "b"]))
        #expect(RatingSidecar.parseJSON(Data(#"{"labels":["x"]}"#.utf8)) == .init(rating: nil, labels: ["x"]))
        #expect(RatingSidecar.parseJSON(Data("not json".utf8)) == nil)
        #expect(RatingSidecar.parseJSON(Data(#"{"rating":"XXX"}"#.utf8))?.rating == nil)
        let many = (0..<80).map { "\"l\($0)\"" }.joined(separator: ",")
        #expect(RatingSidecar.parseJSON(Data("{\"labels\":[\(many)]}".utf8))?.labels.count == 50)
        #expect(RatingSidecar.parseText(Data("\n\n  pg-13 \nignored".utf8)).rating == "PG-13")
        let root = try #require(PathGuard.realPath(library.sectionPath("Movies")))
        #expect(
            RatingSidecar.read(relativePath: "film.mkv", root: root)
                == .init(rating: "G", labels: ["kids", "christmas"]))
        #expect(RatingSidecar.read(relativePath: "big.mp4", root: root)?.rating == "R")
        #expect(RatingSidecar.read(relativePath: "Sub Folder/clip.webm", root: root) == nil)
        #expect(RatingSidecar.read(relativePath: "../Music/song.mp3", root: root) == nil)
        // Oversized sidecars are ignored.
        try Data(repeating: 0x41, count: RatingSidecar.maximumBytes + 1)
            .write(to: library.library.appendingPathComponent("Movies/Sub Folder/clip.webm.rating"))
        #expect(RatingSidecar.read(relativePath: "Sub Folder/clip.webm", root: root) == nil)
        // ffprobe's format tags.
        #expect(MediaProbe.rating(tags: ["RATING": "PG"]) == "PG")
        #expect(MediaProbe.rating(tags: ["iTunEXTC": "mpaa|PG-13|300|"]) == "PG-13")
        #expect(MediaProbe.rating(tags: ["title": "x"]) == nil)
        let report = #"{"format":{"duration":"1.5","tags":{"content_rating":"TV-MA"}},"streams":[]}"#
        #expect(MediaProbe.parse(Data(report.utf8))?.rating == "TV-MA")
    }

    @Test("the scan reads sidecars and re-reads them on rescan without re-probing")
    func scanAppliesSidecars() async throws {
        let server = try await library.makeServer(signer: signer)
        #expect(server.library.item(id: TestLibrary.id("Movies", "big.mp4"))?.rating == "R")
        #expect(server.library.item(id: TestLibrary.id("Movies", "film.mkv"))?.labels == ["kids", "christmas"])
        #expect(server.library.item(id: TestLibrary.id("Movies", "Sub Folder/clip.webm"))?.rating == nil)
        try Data("PG".utf8).write(to: library.library.appendingPathComponent("Movies/big.mp4.rating"))
        await server.library.rescan()
        #expect(server.library.item(id: TestLibrary.id("Movies", "big.mp4"))?.rating == "PG")
    }

    @Test("with ffprobe, a file's own rating tag is used when no sidecar says otherwise")
    func ffprobeTags() async throws {
        // A stand-in ffprobe (a shell script printing a report), so the test does not depend on ffmpeg.
        let script = library.root.appendingPathComponent("ffprobe")
        try Data(
            """
            #!/bin/sh
            echo '{"format":{"duration":"12.5","tags":{"RATING":"TV-14"}},"streams":[{"codec_name":"h264"}]}'
            """.utf8
        ).write(to: script)
        #expect(chmod(script.path, 0o755) == 0)
        let server = try await MediaServer(
            configuration: library.configuration(keys: [signer.kid: signer.publicKey]), logger: quietLogger,
            keySource: nil, probe: MediaProbe(executable: script.path))
        await server.library.rescan()
        let clip = server.library.item(id: TestLibrary.id("Movies", "Sub Folder/clip.webm"))
        #expect(clip?.rating == "TV-14" && clip?.taggedRating == "TV-14" && clip?.codecs == ["h264"])
        // The sidecar wins over the tag.
        #expect(server.library.item(id: TestLibrary.id("Movies", "big.mp4"))?.rating == "R")
        #expect(server.library.item(id: TestLibrary.id("Movies", "film.mkv"))?.rating == "G")
        // A TV-14 item is out of a PG profile's range and within a PG-13 one's.
        try await makeApp(server).test(.router) { client in
            let route = "/api/library/items/\(TestLibrary.id("Movies", "Sub Folder/clip.webm"))"
            let pg = try await client.execute(uri: route, method: .get, headers: bearer(profileToken(max: "PG")))
            let pg13 = try await client.execute(uri: route, method: .get, headers: bearer(profileToken(max: "PG-13")))
            #expect(pg.status == .notFound && pg13.status == .ok)
        }
    }

    // MARK: Enforcement

    @Test("a PG profile browses only in-range items, and every item route answers out-of-range like a missing item")
    func enforcement() async throws {
        let server = try await library.makeServer(signer: signer)
        let kid = profileToken(max: "PG")
        let allowed = TestLibrary.id("Movies", "film.mkv")
        try await makeApp(server).test(.router) { client in
            let listing = try await client.execute(
                uri: "/api/library/sections/Movies/items", method: .get, headers: bearer(kid))
            #expect(listing.status == .ok)
            let paths = try listing.itemPaths()
            #expect(paths == ["film.mkv"])
            let sections = try await client.execute(uri: "/api/library/sections", method: .get, headers: bearer(kid))
            let counts = try JSONSerialization.jsonObject(with: Data(sections.body.readableBytesView)) as? [String: Any]
            let movies = (counts?["sections"] as? [[String: Any]])?.first { $0["name"] as? String == "Movies" }
            #expect(movies?["items"] as? Int == 1)

            let missing = String(repeating: "a", count: 24)
            for id in [TestLibrary.id("Movies", "big.mp4"), TestLibrary.id("Movies", "Sub Folder/clip.webm")] {
                for route in ["/api/library/items/\(id)", "/api/library/items/\(id)/stream", "/play/\(id)"] {
                    let refused = try await client.execute(uri: route, method: .get, headers: bearer(kid))
                    let absent = try await client.execute(
                        uri: route.replacingOccurrences(of: id, with: missing), method: .get, headers: bearer(kid))
                    #expect(refused.status == .notFound, "\(route)")
                    #expect(refused.status == absent.status && refused.errorCode == absent.errorCode, "\(route)")
                    #expect(refused.bytes == absent.bytes, "\(route)")
                }
            }
            // The token in the query string (media elements) gets the same.
            let query = try await client.execute(
                uri: "/api/library/items/\(TestLibrary.id("Movies", "big.mp4"))/stream?token=\(kid)", method: .get)
            #expect(query.status == .notFound)
            let stream = try await client.execute(
                uri: "/api/library/items/\(allowed)/stream", method: .get, headers: bearer(kid))
            #expect(stream.status == .ok && stream.bytes == library.bytes(section: "Movies", path: "film.mkv"))
            // A profile of the owner is not the owner: no rescan.
            #expect(
                try await client.execute(uri: "/api/library/rescan", method: .post, headers: bearer(kid)).status
                    == .forbidden)
            // The holder sees everything.
            let holder = signer.token()
            let all = try await client.execute(
                uri: "/api/library/sections/Movies/items", method: .get, headers: bearer(holder))
            #expect(try all.itemPaths().count == 3)
            let r = try await client.execute(
                uri: "/api/library/items/\(TestLibrary.id("Movies", "big.mp4"))/stream", method: .get,
                headers: bearer(holder))
            #expect(r.status == .ok)
        }
    }

    @Test("a hand-edited profile token is refused, and the profile claim and type must come together")
    func tampering() async throws {
        let server = try await library.makeServer(signer: signer)
        let kid = profileToken(max: "PG")
        let parts = kid.split(separator: ".").map(String.init)
        var payload = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while payload.count % 4 != 0 { payload += "=" }
        let text = String(decoding: Data(base64Encoded: payload)!, as: UTF8.self)
        #expect(text.contains("\"max\":\"PG\""))
        let edited = text.replacingOccurrences(of: "\"max\":\"PG\"", with: "\"max\":\"NC-17\"")
        let forged = "v1." + TestSigner.base64url(Array(edited.utf8)) + "." + parts[2]
        let stripped =
            "v1."
            + TestSigner.base64url(
                Array(text.replacingOccurrences(of: "\"typ\":\"media-profile\"", with: "\"typ\":\"media\"").utf8)) + "."
            + parts[2]
        let big = TestLibrary.id("Movies", "big.mp4")
        try await makeApp(server).test(.router) { client in
            for token in [forged, stripped] {
                let response = try await client.execute(
                    uri: "/api/library/items/\(big)/stream", method: .get, headers: bearer(token))
                #expect(response.status == .unauthorized)
                #expect(response.errorCode == "bad_signature")
            }
            // Correctly signed but inconsistent: a restriction claim in a plain token, or a profile type without one.
            for token in [profileToken(typ: "media"), profileToken(withClaim: false)] {
                let response = try await client.execute(
                    uri: "/api/library/sections", method: .get, headers: bearer(token))
                #expect(response.status == .unauthorized)
            }
        }
    }

    @Test("sections and labels: a profile's section list and allowed/blocked labels are enforced")
    func sectionsAndLabels() async throws {
        let server = try await library.makeServer(signer: signer)
        try await makeApp(server).test(.router) { client in
            // Only Music: Movies looks like a section that does not exist, and its items like missing ones.
            let musicOnly = profileToken(max: nil, sec: ["Music"])
            let sections = try await client.execute(
                uri: "/api/library/sections", method: .get, headers: bearer(musicOnly))
            let names =
                ((try JSONSerialization.jsonObject(with: Data(sections.body.readableBytesView)) as? [String: Any])?[
                    "sections"]
                as? [[String: Any]])?.compactMap { $0["name"] as? String }
            #expect(names == ["Music"])
            #expect(
                try await client.execute(
                    uri: "/api/library/sections/Movies/items", method: .get, headers: bearer(musicOnly)
                ).status == .notFound)
            #expect(
                try await client.execute(
                    uri: "/api/library/items/\(TestLibrary.id("Movies", "film.mkv"))", method: .get,
                    headers: bearer(musicOnly)
                ).status == .notFound)
            // Allowed labels: only film.mkv carries "kids".
            let kidsLabel = profileToken(max: nil, lab: ["Kids"])
            let listing = try await client.execute(
                uri: "/api/library/sections/Movies/items", method: .get, headers: bearer(kidsLabel))
            #expect(try listing.itemPaths() == ["film.mkv"])
            // Blocked labels win: "christmas" hides film.mkv even within the ceiling.
            let noChristmas = profileToken(max: "NC-17", blk: ["christmas"])
            let blocked = try await client.execute(
                uri: "/api/library/sections/Movies/items", method: .get, headers: bearer(noChristmas))
            #expect(try blocked.itemPaths() == ["big.mp4"])
            #expect(
                try await client.execute(
                    uri: "/api/library/items/\(TestLibrary.id("Movies", "film.mkv"))/stream", method: .get,
                    headers: bearer(noChristmas)
                ).status == .notFound)
        }
    }
}

extension TestResponse {
    /// The `path`s of a section listing.
    func itemPaths() throws -> [String] {
        let object = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
        return ((object?["items"] as? [[String: Any]]) ?? []).compactMap { $0["path"] as? String }.sorted()
    }
}
