import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import GatehouseMedia

/// Stands in for the hub's signing key: makes tokens exactly as docs/media-protocol.md describes.
/// Immutable after creation; the private key is only read.
struct TestSigner: @unchecked Sendable {
    let key = Curve25519.Signing.PrivateKey()
    let kid: String

    var publicKey: HubPublicKey { HubPublicKey(key.publicKey) }

    init(kid: String = "s1") {
        self.kid = kid
    }

    static func base64url(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Signs an arbitrary payload JSON text.
    func sign(payload: String) -> String {
        let signedPart = "v1." + Self.base64url(Array(payload.utf8))
        // Signing cannot fail for an in-memory Curve25519 key.
        let signature = (try? key.signature(for: Array(signedPart.utf8))) ?? Data()
        return signedPart + "." + Self.base64url(signature)
    }

    /// A media token with sensible defaults: valid now for five minutes, for `aud`.
    func token(
        aud: String = TestLibrary.serverID, sub: String = "acct-owner", dev: String = "dev-1", own: Bool = true,
        sec: [String] = [], typ: String = "media", kid: String? = nil, iat: Int64? = nil, exp: Int64? = nil
    ) -> String {
        let now = Int64(Date().timeIntervalSince1970)
        let issued = iat ?? now
        let expires = exp ?? issued + 300
        let sections = sec.map { "\"\($0)\"" }.joined(separator: ",")
        let payload = """
            {"typ":"\(typ)","kid":"\(kid ?? self.kid)","aud":"\(aud)","sub":"\(sub)","dev":"\(dev)",\
            "iat":\(issued),"exp":\(expires),"jti":"\(UUID().uuidString)","own":\(own),"sec":[\(sections)]}
            """
        return sign(payload: payload)
    }
}

/// A temporary library of small generated media files, plus a secret file outside it.
final class TestLibrary: @unchecked Sendable {
    static let serverID = "srv-test-1"
    static let secretMarker = "TOP-SECRET-OUTSIDE-THE-LIBRARY"

    let root: URL
    let library: URL
    let dataFolder: URL
    let outsideFile: URL

    /// Section name → files (relative path → bytes).
    let files: [String: [String: [UInt8]]]

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-media-\(UUID().uuidString)")
        library = root.appendingPathComponent("library")
        dataFolder = root.appendingPathComponent("data")
        outsideFile = root.appendingPathComponent("secret.mp4")
        var generator = SplitMix(seed: 42)
        func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) } }
        files = [
            "Movies": ["big.mp4": bytes(700_000), "Sub Folder/clip.webm": bytes(4096), "film.mkv": bytes(1000)],
            "Music": ["song.mp3": bytes(50_000), "track.flac": bytes(2000)],
            "Photos": ["pic.jpg": bytes(3000), "shot.png": bytes(10)],
        ]
        for (section, entries) in files {
            for (path, content) in entries {
                let url = library.appendingPathComponent(section).appendingPathComponent(path)
                try FileManager.default.createDirectory(
                    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(content).write(to: url)
            }
        }
        try Data(Self.secretMarker.utf8).write(to: outsideFile)
        // Not media: must never be indexed.
        try Data("notes".utf8).write(to: library.appendingPathComponent("Movies/readme.txt"))
    }

    deinit {
        try? FileManager.default.removeItem(at: root)
    }

    func sectionPath(_ name: String) -> String { library.appendingPathComponent(name).path }

    func bytes(section: String, path: String) -> [UInt8] { files[section]?[path] ?? [] }

    func configuration(keys: [String: HubPublicKey]) -> MediaServerConfiguration {
        MediaServerConfiguration(
            sections: ["Movies", "Music", "Photos"].map { .init(name: $0, path: sectionPath($0)) },
            dataFolder: dataFolder.path, name: "test-server", version: "9.9.9",
            offline: .init(serverID: Self.serverID, keys: keys))
    }

    /// An offline media server trusting `signer`, with the library scanned.
    func makeServer(signer: TestSigner, keySource: (any HubKeySource)? = nil) async throws -> MediaServer {
        let server = try await MediaServer(
            configuration: configuration(keys: [signer.kid: signer.publicKey]), logger: quietLogger,
            keySource: keySource, probe: MediaProbe(executable: nil))
        await server.library.rescan()
        return server
    }

    static func id(_ section: String, _ path: String) -> String {
        LibraryScanner.itemID(section: section, relativePath: path)
    }
}

/// Deterministic generator so failures reproduce.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension TestResponse {
    var errorCode: String? {
        struct Body: Decodable {
            struct Detail: Decodable { var code: String }
            var error: Detail
        }
        return try? JSONDecoder().decode(Body.self, from: Data(body.readableBytesView)).error.code
    }

    var bytes: [UInt8] { Array(body.readableBytesView) }
}

func bearer(_ token: String) -> HTTPFields {
    [.authorization: "Bearer \(token)"]
}

func makeApp(_ server: MediaServer) -> some ApplicationProtocol {
    Application(router: server.makeRouter())
}

/// Warnings and errors only, so test output stays readable.
let quietLogger: Logger = {
    var logger = Logger(label: "gatehouse-media-test")
    logger.logLevel = .warning
    return logger
}()
