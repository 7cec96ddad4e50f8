import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import GatehouseMedia

/// A stand-in hub speaking docs/media-protocol.md: claims, /servers/me, heartbeat, keys and the revocation stream.
final class FakeHub: @unchecked Sendable {
    private let lock = NSLock()
    private var digest: String?
    private var claimed = false
    private var refusing = false
    private var refusingServer = false
    private var streams: [AsyncStream<String>.Continuation] = []
    private(set) var claimRequests: [[String: Any]] = []
    private(set) var helloTimes: [Int64] = []
    let signer: TestSigner

    init(signer: TestSigner) {
        self.signer = signer
    }

    var credentialDigest: String? { lock.withLock { digest } }
    var connectedStreams: Int { lock.withLock { streams.count } }
    var hellos: [Int64] { lock.withLock { helloTimes } }

    func claim() { lock.withLock { claimed = true } }

    /// Makes the hub answer 401 to the server's credential (as after a removal, or a hub that lies).
    func refuseServer(_ refuse: Bool) { lock.withLock { refusingServer = refuse } }

    /// Sends one revocation event to every open stream.
    func revoke(account: String, devices: [String], allDevices: Bool) {
        let at = Int64(Date().timeIntervalSince1970 * 1000)
        let list = devices.map { "\"\($0)\"" }.joined(separator: ",")
        let text = """
            event: revocation
            data: {"account_id": "\(account)", "device_ids": [\(list)], "all_devices": \(allDevices), "at": \(at)}


            """
        lock.withLock { streams.forEach { $0.yield(text) } }
    }

    /// Ends open streams and refuses new ones.
    func stopStreaming() {
        lock.withLock { refusing = true }
        dropStreams()
    }

    /// Ends every open stream, as a hub restart would.
    func dropStreams() {
        let open = lock.withLock { () -> [AsyncStream<String>.Continuation] in
            defer { streams = [] }
            return streams
        }
        open.forEach { $0.finish() }
    }

    private func isServer(_ request: Request) -> Bool {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ghs_") else { return false }
        let credential = String(header.dropFirst("Bearer ".count))
        let hex = SHA256.hash(data: Array(credential.utf8)).map { String(format: "%02x", $0) }.joined()
        return lock.withLock { hex == digest && claimed && !refusingServer }
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/api/v1/servers/claims") { request, _ in
            let body = try await request.body.collect(upTo: 1 << 16)
            let json = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] ?? [:]
            self.lock.withLock {
                self.digest = json["credential_digest"] as? String
                self.claimRequests.append(json)
            }
            let expires = Int64(Date().timeIntervalSince1970) + 600
            return Response(
                status: .created, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: "{\"code\": \"ABCD-EFGH\", \"expires_at\": \(expires)}")))
        }
        router.get("/api/v1/servers/me") { request, _ in
            guard self.isServer(request) else { return Response(status: .unauthorized) }
            let body = "{\"server_id\": \"\(TestLibrary.serverID)\", \"owner_id\": \"acct-owner\", \"name\": \"den\"}"
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        router.post("/api/v1/servers/me/heartbeat") { request, _ in
            Response(status: self.isServer(request) ? .noContent : .unauthorized)
        }
        router.get("/api/v1/keys/media") { _, _ in
            let key = TestSigner.base64url(self.signer.key.publicKey.rawRepresentation)
            let body = "{\"keys\": [{\"kid\": \"\(self.signer.kid)\", \"public_key\": \"\(key)\"}]}"
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        router.get("/api/v1/servers/me/revocations") { request, _ in
            guard self.isServer(request), !self.lock.withLock({ self.refusing }) else {
                return Response(status: .unauthorized)
            }
            let (stream, continuation) = AsyncStream<String>.makeStream()
            let at = Int64(Date().timeIntervalSince1970 * 1000)
            self.lock.withLock {
                self.streams.append(continuation)
                self.helloTimes.append(at)
            }
            return Response(
                status: .ok, headers: [.contentType: "text/event-stream"],
                body: ResponseBody { writer in
                    try await writer.write(ByteBuffer(string: ": welcome\n\nevent: hello\ndata: {\"at\": \(at)}\n\n"))
                    for await text in stream {
                        try await writer.write(ByteBuffer(string: text))
                    }
                    try await writer.finish(nil)
                })
        }
        return router
    }
}

@Suite("Live media server against a stand-in hub")
struct LiveHubTests {
    @Test("claim, browse, stream, and revocations over the stream with reconnect")
    func claimAndRevoke() async throws {
        let library = try TestLibrary()
        let signer = TestSigner()
        let hub = FakeHub(signer: signer)
        let hubApp = Application(router: hub.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await hubApp.test(.live) { hubClient in
            let hubPort = try #require(hubClient.port)
            let configuration = MediaServerConfiguration(
                sections: [.init(name: "Movies", path: library.sectionPath("Movies"))],
                dataFolder: library.dataFolder.path, port: 0, hubURL: "http://127.0.0.1:\(hubPort)",
                publicURL: "http://media.local:32400", name: "den", version: "1.2.3")
            var logger = Logger(label: "media")
            logger.logLevel = .warning
            let server = try await MediaServer(
                configuration: configuration, logger: logger, probe: MediaProbe(executable: nil))
            try await server.makeApplication().test(.live) { client in
                // 1. Unclaimed: the claim code shows on the status API and page.
                let code = try await eventually {
                    try await client.execute(uri: "/api/status", method: .get) { response in
                        let json = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))
                        return ((json as? [String: Any])?["claim_code"] as? String)
                    }
                }
                #expect(code == "ABCD-EFGH")
                try await client.execute(uri: "/", method: .get) {
                    #expect(String(buffer: $0.body).contains("ABCD-EFGH"))
                }
                // Only the digest left the machine; the credential file is private.
                let credentialFile = library.dataFolder.appendingPathComponent("server-credential").path
                let credential = try String(contentsOfFile: credentialFile, encoding: .utf8)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                let expectedDigest = SHA256.hash(data: Array(credential.utf8)).map { String(format: "%02x", $0) }
                    .joined()
                #expect(hub.credentialDigest == expectedDigest)
                #expect(!String(describing: hub.claimRequests).contains(credential))
                #expect(hub.claimRequests.first?["url"] as? String == "http://media.local:32400")
                #expect(hub.claimRequests.first?["version"] as? String == "1.2.3")
                let attributes = try FileManager.default.attributesOfItem(atPath: credentialFile)
                #expect((attributes[.posixPermissions] as? Int) == 0o600)

                // 2. The owner claims it; the server notices and opens the revocation stream.
                hub.claim()
                let serverID = try await eventually {
                    try await client.execute(uri: "/api/status", method: .get) { response in
                        let json = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))
                        return ((json as? [String: Any])?["server_id"] as? String)
                    }
                }
                #expect(serverID == TestLibrary.serverID)
                _ = try await eventually { hub.connectedStreams == 1 ? true : nil }
                try await Task.sleep(for: .milliseconds(100))

                let now = Int64(Date().timeIntervalSince1970)
                let phone = signer.token(dev: "dev-phone", iat: now)
                let laptop = signer.token(dev: "dev-laptop", iat: now)
                let id = TestLibrary.id("Movies", "big.mp4")
                var ranged = bearer(phone)
                ranged[.range] = "bytes=10-19"
                try await client.execute(uri: "/api/library/items/\(id)/stream", method: .get, headers: ranged) {
                    #expect($0.status == .partialContent)
                    #expect($0.bytes == Array(library.bytes(section: "Movies", path: "big.mp4")[10...19]))
                }

                // 3. A device revocation reaches the server at once: pushed on the open stream, no poll. The promise
                // is a second on a quiet machine (measured in milliseconds there); the bound here is 3 s because this
                // runs beside ninety other suites on two cores.
                let started = ContinuousClock.now
                hub.revoke(account: "acct-owner", devices: ["dev-phone"], allDevices: false)
                _ = try await eventually(timeout: 3) {
                    try await client.execute(uri: "/api/library/sections", method: .get, headers: bearer(phone)) {
                        $0.status == .unauthorized ? true : nil
                    }
                }
                #expect(ContinuousClock.now - started < .seconds(3))
                try await client.execute(uri: "/api/library/sections", method: .get, headers: bearer(laptop)) {
                    #expect($0.status == .ok)
                }

                // 4. The stream drops; on reconnect every token issued before the new hello is refused.
                try await Task.sleep(for: .milliseconds(1100))
                let before = signer.token(dev: "dev-laptop")
                try await Task.sleep(for: .milliseconds(1100))
                hub.dropStreams()
                _ = try await eventually(timeout: 5) { hub.hellos.count >= 2 ? true : nil }
                try await Task.sleep(for: .milliseconds(200))
                for token in [laptop, before] {
                    try await client.execute(uri: "/api/library/sections", method: .get, headers: bearer(token)) {
                        #expect($0.status == .unauthorized)
                        #expect($0.errorCode == "token_revoked")
                    }
                }
                let fresh = signer.token(dev: "dev-laptop")
                try await client.execute(uri: "/api/library/sections", method: .get, headers: bearer(fresh)) {
                    #expect($0.status == .ok)
                }
            }
            // An open event stream would keep the stand-in hub from shutting down.
            hub.stopStreaming()
        }
    }
}

/// Polls `probe` until it returns a value, or fails after `timeout` seconds.
func eventually<T: Sendable>(
    timeout: Double = 8, _ probe: @Sendable () async throws -> T?
) async throws -> T {
    let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
    while ContinuousClock.now < deadline {
        if let value = try await probe() { return value }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw EventuallyTimedOut()
}

struct EventuallyTimedOut: Error {}
