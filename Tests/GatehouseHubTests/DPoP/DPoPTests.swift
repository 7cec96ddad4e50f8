import Crypto
import Foundation
import GatehouseCore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import GatehouseHub

/// DPoP (RFC 9449): the proof rules on their own, then bound credentials through the hub's router on both
/// databases.
@Suite("DPoP proofs and bound credentials")
struct DPoPTests {
    static let now = Date(epochSeconds: 1_900_000_000)
    static let url = "https://hub.example/api/v1/account"

    static func verifier(requireNonce: Bool = false) -> DPoPVerifier {
        DPoPVerifier(
            replay: DPoPReplayCache(), nonces: DPoPNonceSource(secret: Array(repeating: 7, count: 32)),
            policy: .init(requireNonce: requireNonce))
    }

    // MARK: The proof on its own

    @Test("A well-formed proof verifies with ES256 and with EdDSA, and gives the RFC 7638 thumbprint")
    func acceptsGoodProofs() throws {
        for kind in [TestDPoPKey.Kind.es256, .eddsa] {
            let key = TestDPoPKey(kind)
            let jkt = try Self.verifier().verify(
                proof: key.proof(method: "GET", url: Self.url, token: "ghd_x", iat: Self.now), method: "GET",
                url: Self.url, accessToken: "ghd_x", now: Self.now)
            #expect(jkt.utf8.count == 43)
        }
    }

    @Test("The thumbprint is RFC 7638: SHA-256 of the required members in order, computed here by hand")
    func thumbprintMatchesHandComputation() throws {
        let key = TestDPoPKey(.es256)
        let jwk = key.jwk
        let canonical = #"{"crv":"P-256","kty":"EC","x":""# + jwk["x"]! + #"","y":""# + jwk["y"]! + #""}"#
        let expected = Encoding.base64URL(SHA256.hash(data: Array(canonical.utf8)))
        let jkt = try Self.verifier().verify(
            proof: key.proof(method: "GET", url: Self.url, iat: Self.now), method: "GET", url: Self.url,
            accessToken: nil, now: Self.now)
        #expect(jkt == expected)
    }

    @Test("Bad proofs are refused with invalid_dpop_proof, and none of them crashes")
    func refusesBadProofs() throws {
        let key = TestDPoPKey(.es256)
        let other = TestDPoPKey(.es256)
        var privateJWK: [String: Any] = key.jwk
        privateJWK["d"] = Encoding.base64URL(Array(repeating: UInt8(1), count: 32))
        let cases: [(String, String)] = [
            (
                "wrong typ",
                key.proof(
                    method: "GET", url: Self.url, iat: Self.now, header: ["typ": "JWT", "alg": "ES256", "jwk": key.jwk])
            ),
            (
                "alg none",
                key.proof(
                    method: "GET", url: Self.url, iat: Self.now,
                    header: ["typ": "dpop+jwt", "alg": "none", "jwk": key.jwk])
            ),
            (
                "alg HS256",
                key.proof(
                    method: "GET", url: Self.url, iat: Self.now,
                    header: ["typ": "dpop+jwt", "alg": "HS256", "jwk": key.jwk])
            ),
            (
                "alg/key mismatch",
                key.proof(
                    method: "GET", url: Self.url, iat: Self.now,
                    header: ["typ": "dpop+jwt", "alg": "EdDSA", "jwk": key.jwk])
            ),
            (
                "private jwk",
                key.proof(
                    method: "GET", url: Self.url, iat: Self.now,
                    header: ["typ": "dpop+jwt", "alg": "ES256", "jwk": privateJWK])
            ),
            (
                "no jwk",
                key.proof(method: "GET", url: Self.url, iat: Self.now, header: ["typ": "dpop+jwt", "alg": "ES256"])
            ),
            (
                "other key's jwk",
                key.proof(
                    method: "GET", url: Self.url, iat: Self.now,
                    header: ["typ": "dpop+jwt", "alg": "ES256", "jwk": other.jwk])
            ),
            (
                "crit",
                key.proof(
                    method: "GET", url: Self.url, iat: Self.now,
                    header: ["typ": "dpop+jwt", "alg": "ES256", "jwk": key.jwk, "crit": ["x"]])
            ),
            ("wrong method", key.proof(method: "POST", url: Self.url, iat: Self.now)),
            ("wrong path", key.proof(method: "GET", url: "https://hub.example/api/v1/devices", iat: Self.now)),
            ("wrong host", key.proof(method: "GET", url: "https://evil.example/api/v1/account", iat: Self.now)),
            ("wrong scheme", key.proof(method: "GET", url: "http://hub.example/api/v1/account", iat: Self.now)),
            ("old iat", key.proof(method: "GET", url: Self.url, iat: Self.now.addingTimeInterval(-61))),
            ("future iat", key.proof(method: "GET", url: Self.url, iat: Self.now.addingTimeInterval(61))),
            ("iat as text", key.proof(method: "GET", url: Self.url, iat: Self.now, claims: ["iat": "1900000000"])),
            ("no jti", key.proof(method: "GET", url: Self.url, iat: Self.now, claims: ["jti": ""])),
            ("ath for another token", key.proof(method: "GET", url: Self.url, token: "ghd_other", iat: Self.now)),
            ("no ath", key.proof(method: "GET", url: Self.url, iat: Self.now)),
            ("not a JWS", "abc.def"),
            ("garbage", String(repeating: "A", count: 5000)),
            ("padded base64", key.proof(method: "GET", url: Self.url, token: "ghd_x", iat: Self.now) + "="),
        ]
        for (name, proof) in cases {
            #expect(throws: DPoPError.self, "\(name)") {
                _ = try Self.verifier().verify(
                    proof: proof, method: "GET", url: Self.url, accessToken: "ghd_x", now: Self.now)
            }
        }
        // A tampered signature.
        var tampered = Array(key.proof(method: "GET", url: Self.url, token: "ghd_x", iat: Self.now).utf8)
        tampered[tampered.count - 5] =
            tampered[tampered.count - 5] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(throws: DPoPError.self) {
            _ = try Self.verifier().verify(
                proof: String(decoding: tampered, as: UTF8.self), method: "GET", url: Self.url, accessToken: "ghd_x",
                now: Self.now)
        }
    }

    @Test("base64url is strict: no padding, no other letters, no stray bits, so every byte string has one encoding")
    func strictBase64URL() {
        #expect(DPoPBase64URL.decode("QQ") == [0x41])
        #expect(DPoPBase64URL.decode("QUJD") == [0x41, 0x42, 0x43])
        #expect(DPoPBase64URL.decode("-_8") == [0xfb, 0xff])
        #expect(DPoPBase64URL.decode("") == [])
        for bad in ["QR", "Q", "QQ==", "QQ=", "Q+", "Q/", "Q Q", "QUJD\n"] {
            #expect(DPoPBase64URL.decode(bad) == nil, "\(bad)")
        }
        let bytes = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        #expect(DPoPBase64URL.decode(Encoding.base64URL(bytes)) == bytes)
    }

    @Test("htu is compared on scheme, host, port and path: case, default port, query and fragment do not matter")
    func htuNormalization() throws {
        let key = TestDPoPKey(.eddsa)
        for htu in [
            "HTTPS://Hub.Example/api/v1/account", "https://hub.example:443/api/v1/account",
            "https://hub.example/api/v1/account?x=1", "https://hub.example/api/v1/account#f",
            "https://hub.example/api/v1/%61ccount",
        ] {
            _ = try Self.verifier().verify(
                proof: key.proof(method: "GET", url: htu, iat: Self.now), method: "GET", url: Self.url,
                accessToken: nil,
                now: Self.now)
        }
        #expect(throws: DPoPError.self) {
            _ = try Self.verifier().verify(
                proof: key.proof(method: "GET", url: "https://hub.example:8443/api/v1/account", iat: Self.now),
                method: "GET", url: Self.url, accessToken: nil, now: Self.now)
        }
    }

    @Test("A jti is accepted once; 200 concurrent presentations of one proof pass exactly once")
    func replayIsRefusedEvenConcurrently() async throws {
        let verifier = Self.verifier()
        let key = TestDPoPKey(.es256)
        let proof = key.proof(method: "GET", url: Self.url, token: "ghd_x", iat: Self.now)
        let accepted = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<200 {
                group.addTask {
                    (try? verifier.verify(
                        proof: proof, method: "GET", url: Self.url, accessToken: "ghd_x", now: Self.now))
                        != nil
                }
            }
            var count = 0
            for await ok in group where ok { count += 1 }
            return count
        }
        #expect(accepted == 1)
        // Still refused later within the window, and a fresh jti from the same key passes.
        #expect(throws: DPoPError.self) {
            _ = try verifier.verify(
                proof: proof, method: "GET", url: Self.url, accessToken: "ghd_x", now: Self.now.addingTimeInterval(59))
        }
        _ = try verifier.verify(
            proof: key.proof(method: "GET", url: Self.url, token: "ghd_x", iat: Self.now), method: "GET", url: Self.url,
            accessToken: "ghd_x", now: Self.now)
    }

    @Test("The replay cache forgets expired entries and refuses (503), never evicts, when full of live ones")
    func replayCacheIsBounded() throws {
        let cache = DPoPReplayCache(capacity: 3)
        for index in 0..<3 {
            #expect(try cache.insert("k\(index)", expiry: Self.now.addingTimeInterval(10), now: Self.now))
        }
        #expect(throws: DPoPError.self) {
            _ = try cache.insert("k3", expiry: Self.now.addingTimeInterval(10), now: Self.now)
        }
        #expect(try !cache.insert("k0", expiry: Self.now.addingTimeInterval(10), now: Self.now))
        let later = Self.now.addingTimeInterval(11)
        #expect(try cache.insert("k3", expiry: later.addingTimeInterval(10), now: later))
        #expect(cache.count == 1)
    }

    @Test("Nonces: required ones are asked for with use_dpop_nonce and a DPoP-Nonce header; stale ones refused")
    func nonces() throws {
        let verifier = Self.verifier(requireNonce: true)
        let key = TestDPoPKey(.es256)
        var nonce = ""
        do {
            _ = try verifier.verify(
                proof: key.proof(method: "GET", url: Self.url, iat: Self.now), method: "GET", url: Self.url,
                accessToken: nil, now: Self.now)
            Issue.record("a proof without a nonce passed")
        } catch {
            #expect(error.kind == .useNonce)
            #expect(error.headers.contains { $0.0 == "WWW-Authenticate" && $0.1.contains("use_dpop_nonce") })
            nonce = try #require(error.nonce)
        }
        _ = try verifier.verify(
            proof: key.proof(method: "GET", url: Self.url, iat: Self.now, nonce: nonce), method: "GET", url: Self.url,
            accessToken: nil, now: Self.now)
        // Ten minutes on, the nonce is two windows old.
        let later = Self.now.addingTimeInterval(600)
        #expect(throws: DPoPError.self) {
            _ = try verifier.verify(
                proof: key.proof(method: "GET", url: Self.url, iat: later, nonce: nonce), method: "GET", url: Self.url,
                accessToken: nil, now: later)
        }
        #expect(throws: DPoPError.self) {
            _ = try verifier.verify(
                proof: key.proof(
                    method: "GET", url: Self.url, iat: Self.now, nonce: "forged-nonce-forged-nonce-forged"),
                method: "GET", url: Self.url, accessToken: nil, now: Self.now)
        }
    }

    // MARK: Through the hub

    static let hubURL = "http://hub.test/api/v1"

    /// Signs `name` in through the router with a proof from `key`; returns the credential.
    static func boundSignIn(_ hub: TestHub, _ client: any TestClientProtocol, _ name: String, key: TestDPoPKey)
        async throws
        -> String
    {
        var headers = JSON.headers
        headers[HTTPField.Name("DPoP")!] = key.proof(method: "POST", url: hubURL + "/sessions", iat: hub.clock.now())
        let response = try await client.execute(
            uri: "/api/v1/sessions", method: .post, headers: headers,
            body: JSON.body(["identifier": name, "password": TestHub.password]))
        #expect(response.status == .created)
        let object = JSON.object(response)
        #expect(object["token_type"] as? String == "DPoP")
        return try #require(object["token"] as? String)
    }

    static func dpopHeaders(_ token: String, _ proof: String) -> HTTPFields {
        var headers = JSON.headers
        headers[.authorization] = "DPoP " + token
        headers[HTTPField.Name("DPoP")!] = proof
        return headers
    }

    @Test(
        "A proof at sign-in binds the credential: it then works only as DPoP with a fresh proof from that key",
        arguments: Backend.allCases)
    func boundCredentialNeedsItsKey(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("dana")
            let key = TestDPoPKey(.es256)
            try await hub.withRouter { client in
                let token = try await Self.boundSignIn(hub, client, "dana", key: key)
                let now = hub.clock.now()
                let url = Self.hubURL + "/account"
                let ok = try await client.execute(
                    uri: "/api/v1/account", method: .get,
                    headers: Self.dpopHeaders(token, key.proof(method: "GET", url: url, token: token, iat: now)))
                #expect(ok.status == .ok)
                // As a bearer token, or without a proof: refused.
                let bearer = try await client.execute(uri: "/api/v1/account", method: .get, headers: JSON.bearer(token))
                #expect(bearer.status == .unauthorized)
                #expect(bearer.headers[.wwwAuthenticate]?.hasPrefix("DPoP") == true)
                var noProof = JSON.headers
                noProof[.authorization] = "DPoP " + token
                #expect(
                    try await client.execute(uri: "/api/v1/account", method: .get, headers: noProof).status
                        == .unauthorized)
                // Replayed, for another URL, another method, another key, or without ath.
                let used = key.proof(method: "GET", url: url, token: token, iat: now)
                _ = try await client.execute(
                    uri: "/api/v1/account", method: .get, headers: Self.dpopHeaders(token, used))
                let refused: [(String, HTTPFields, String, HTTPRequest.Method)] = [
                    ("replay", Self.dpopHeaders(token, used), "/api/v1/account", .get),
                    (
                        "other url",
                        Self.dpopHeaders(
                            token, key.proof(method: "GET", url: Self.hubURL + "/devices", token: token, iat: now)),
                        "/api/v1/account", .get
                    ),
                    (
                        "other method",
                        Self.dpopHeaders(token, key.proof(method: "POST", url: url, token: token, iat: now)),
                        "/api/v1/account", .get
                    ),
                    (
                        "other key",
                        Self.dpopHeaders(
                            token, TestDPoPKey(.es256).proof(method: "GET", url: url, token: token, iat: now)),
                        "/api/v1/account", .get
                    ),
                    (
                        "no ath", Self.dpopHeaders(token, key.proof(method: "GET", url: url, iat: now)),
                        "/api/v1/account", .get
                    ),
                ]
                for (name, headers, uri, method) in refused {
                    let response = try await client.execute(uri: uri, method: method, headers: headers)
                    #expect(response.status == .unauthorized, "\(name)")
                    let error = JSON.object(response)["error"] as? [String: Any]
                    #expect(error?["code"] as? String == "invalid_dpop_proof", "\(name)")
                    #expect(response.headers[.wwwAuthenticate]?.contains("invalid_dpop_proof") == true, "\(name)")
                }
                // The device list says it is bound.
                let devices = try await client.execute(
                    uri: "/api/v1/devices", method: .get,
                    headers: Self.dpopHeaders(
                        token, key.proof(method: "GET", url: Self.hubURL + "/devices", token: token, iat: now)))
                let listed =
                    try JSONSerialization.jsonObject(with: Data(devices.body.readableBytesView)) as? [[String: Any]]
                #expect(listed?.first?["dpop_bound"] as? Bool == true)
            }
            let devices = try await hub.services.devices.devices(of: account)
            #expect(devices.count == 1 && devices[0].dpopThumbprint != nil)
        }
    }

    @Test(
        "With two-factor sign-in, the proof on the second-factor request binds the credential",
        arguments: Backend.allCases)
    func secondFactorBinds(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("ruth")
            let totp = try await ConcurrentGuessingTests.enableTwoFactor(hub, account)
            hub.clock.advance(60)
            let key = TestDPoPKey(.eddsa)
            try await hub.withRouter { client in
                let first = try await client.execute(
                    uri: "/api/v1/sessions", method: .post, headers: JSON.headers,
                    body: JSON.body(["identifier": "ruth", "password": TestHub.password]))
                let challenge = try #require(JSON.object(first)["challenge"] as? String)
                var headers = JSON.headers
                headers[HTTPField.Name("DPoP")!] = key.proof(
                    method: "POST", url: Self.hubURL + "/sessions/second-factor", iat: hub.clock.now())
                let second = try await client.execute(
                    uri: "/api/v1/sessions/second-factor", method: .post, headers: headers,
                    body: JSON.body(["challenge": challenge, "code": totp.code(step: totp.step(at: hub.clock.now()))]))
                #expect(second.status == .created)
                #expect(JSON.object(second)["token_type"] as? String == "DPoP")
                let token = try #require(JSON.object(second)["token"] as? String)
                #expect(
                    try await client.execute(uri: "/api/v1/account", method: .get, headers: JSON.bearer(token)).status
                        == .unauthorized)
                let ok = try await client.execute(
                    uri: "/api/v1/account", method: .get,
                    headers: Self.dpopHeaders(
                        token,
                        key.proof(method: "GET", url: Self.hubURL + "/account", token: token, iat: hub.clock.now())))
                #expect(ok.status == .ok)
            }
        }
    }

    @Test("An unbound credential is refused as DPoP and still works as Bearer", arguments: Backend.allCases)
    func unboundCredentialStaysBearer(backend: Backend) async throws {
        try await withHub(backend) { hub in
            try await hub.makeAccount("erin")
            let signedIn = try await hub.signIn("erin")
            #expect(signedIn.device.dpopThumbprint == nil)
            let key = TestDPoPKey(.eddsa)
            try await hub.withRouter { client in
                let token = signedIn.token.value
                #expect(
                    try await client.execute(uri: "/api/v1/account", method: .get, headers: JSON.bearer(token)).status
                        == .ok)
                let asDPoP = try await client.execute(
                    uri: "/api/v1/account", method: .get,
                    headers: Self.dpopHeaders(
                        token,
                        key.proof(method: "GET", url: Self.hubURL + "/account", token: token, iat: hub.clock.now())))
                #expect(asDPoP.status == .unauthorized)
            }
        }
    }

    @Test("A bad proof at sign-in is refused with 400 before the password is checked", arguments: Backend.allCases)
    func badProofAtSignIn(backend: Backend) async throws {
        try await withHub(backend) { hub in
            try await hub.makeAccount("fay")
            let key = TestDPoPKey(.es256)
            try await hub.withRouter { client in
                var headers = JSON.headers
                headers[HTTPField.Name("DPoP")!] = key.proof(
                    method: "POST", url: Self.hubURL + "/devices", iat: hub.clock.now())
                let before = hub.hasher.verified
                let response = try await client.execute(
                    uri: "/api/v1/sessions", method: .post, headers: headers,
                    body: JSON.body(["identifier": "fay", "password": TestHub.password]))
                #expect(response.status == .badRequest)
                #expect((JSON.object(response)["error"] as? [String: Any])?["code"] as? String == "invalid_dpop_proof")
                #expect(hub.hasher.verified == before)
            }
        }
    }

    @Test(
        "50 concurrent requests with one proof and a bound credential: exactly one is served",
        arguments: Backend.allCases)
    func concurrentReplayThroughTheHub(backend: Backend) async throws {
        try await withHub(backend) { hub in
            try await hub.makeAccount("gus")
            let key = TestDPoPKey(.es256)
            try await hub.withRouter { client in
                let token = try await Self.boundSignIn(hub, client, "gus", key: key)
                let proof = key.proof(method: "GET", url: Self.hubURL + "/account", token: token, iat: hub.clock.now())
                let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<50 {
                        group.addTask {
                            Int(
                                try await client.execute(
                                    uri: "/api/v1/account", method: .get, headers: Self.dpopHeaders(token, proof)
                                ).status.code)
                        }
                    }
                    var all: [Int] = []
                    for try await status in group { all.append(status) }
                    return all
                }
                #expect(statuses.filter { $0 == 200 }.count == 1, "\(statuses)")
                #expect(statuses.filter { $0 == 401 }.count == 49)
            }
        }
    }

    @Test(
        "With nonces required, the hub answers use_dpop_nonce with a DPoP-Nonce header, then accepts the nonce",
        arguments: Backend.allCases)
    func requiredNonceAtSignIn(backend: Backend) async throws {
        try await withHub(backend, configure: { $0.dpopRequireNonce = true }) { hub in
            try await hub.makeAccount("hal")
            let key = TestDPoPKey(.eddsa)
            try await hub.withRouter { client in
                var headers = JSON.headers
                headers[HTTPField.Name("DPoP")!] = key.proof(
                    method: "POST", url: Self.hubURL + "/sessions", iat: hub.clock.now())
                let first = try await client.execute(
                    uri: "/api/v1/sessions", method: .post, headers: headers,
                    body: JSON.body(["identifier": "hal", "password": TestHub.password]))
                #expect(first.status == .badRequest)
                #expect((JSON.object(first)["error"] as? [String: Any])?["code"] as? String == "use_dpop_nonce")
                let nonce = try #require(first.headers[HTTPField.Name("DPoP-Nonce")!])
                headers[HTTPField.Name("DPoP")!] = key.proof(
                    method: "POST", url: Self.hubURL + "/sessions", iat: hub.clock.now(), nonce: nonce)
                let second = try await client.execute(
                    uri: "/api/v1/sessions", method: .post, headers: headers,
                    body: JSON.body(["identifier": "hal", "password": TestHub.password]))
                #expect(second.status == .created)
            }
        }
    }

    @Test("Media tokens of a bound device carry cnf.jkt; of an unbound one, no cnf", arguments: Backend.allCases)
    func mediaTokensCarryTheThumbprint(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let owner = try await hub.makeAccount("ida")
            try await DPoPTests.claimServer(hub, owner: owner, id: "srv1")
            let bound = try await hub.environment.store.transaction {
                [environment = hub.environment, now = hub.clock.now()] tx in
                try await DeviceService.createDevice(
                    in: tx, environment: environment, account: owner, info: TestHub.info("tv"), kind: .api,
                    ipAddress: "192.0.2.1", proof: .password, now: now, dpopThumbprint: "jkt-of-the-tv")
            }.0
            let plain = try await hub.signIn("ida").device
            func claims(_ token: String) throws -> [String: Any] {
                let payload = try #require(Encoding.bytes(base64URL: String(token.split(separator: ".")[1])))
                return try #require(try JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any])
            }
            let boundToken = try await hub.services.servers.accessToken(serverID: "srv1", account: owner, device: bound)
            #expect((try claims(boundToken.token)["cnf"] as? [String: String])?["jkt"] == "jkt-of-the-tv")
            let plainToken = try await hub.services.servers.accessToken(serverID: "srv1", account: owner, device: plain)
            #expect(try claims(plainToken.token)["cnf"] == nil)
        }
    }

    /// A claimed media server `id` of `owner`, straight through the store.
    static func claimServer(_ hub: TestHub, owner: Account, id: String) async throws {
        try await hub.store.autocommit.insertClaim(
            ServerClaim(
                codeDigest: "code-" + id, name: "den", version: "1.0.0", platform: "linux", url: "http://den.test",
                credentialDigest: "cred-" + id, expiresAt: hub.clock.now().addingTimeInterval(600)))
        _ = try await hub.store.autocommit.completeClaim(
            codeDigest: "code-" + id, serverID: id, ownerID: owner.id, at: hub.clock.now())
    }

    @Test(
        "A device created unbound can be bound once, never re-bound (the token endpoint's hook)",
        arguments: Backend.allCases)
    func bindOnce(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("joan")
            let device = try await hub.signIn("joan").device
            #expect(try await hub.services.devices.bind(deviceID: device.id, accountID: account.id, thumbprint: "a"))
            #expect(try await !hub.services.devices.bind(deviceID: device.id, accountID: account.id, thumbprint: "b"))
            #expect(try await hub.store.autocommit.device(id: device.id)?.dpopThumbprint == "a")
        }
    }
}

/// Two hub instances on one database: with `GATEHOUSE_DPOP_REPLAY=database` a proof is spent once across both.
@Suite("DPoP replay shared by instances")
struct DPoPSharedReplayTests {
    /// A second instance over the same store and keyring, with its own memory (credential cache, replay cache).
    static func secondInstance(_ hub: TestHub) -> HubRuntime {
        let first = hub.environment
        let environment = HubEnvironment(
            store: hub.store, hasher: first.hasher, rules: first.rules, mail: first.mail, clock: first.clock,
            revocations: RevocationBus(), cache: CredentialCache(lifetime: 30), keyring: first.keyring,
            settings: first.settings, logger: first.logger)
        let twoFactor = TwoFactorService(environment: environment)
        let recovery = RecoveryService(environment: environment)
        let services = HubServices(
            environment: environment, accounts: AccountService(environment: environment),
            signIn: SignInService(environment: environment, secondFactors: twoFactor, recovery: recovery),
            devices: DeviceService(environment: environment), twoFactor: twoFactor, recovery: recovery,
            incidents: IncidentService(environment: environment), servers: ServerService(environment: environment),
            releases: hub.services.releases, configuration: hub.services.configuration)
        return HubRuntime(
            configuration: hub.runtime.configuration, store: hub.store, keyring: first.keyring, services: services,
            pool: hub.runtime.pool, logger: first.logger)
    }

    @Test(
        "One proof sent to two instances (and 40 times at once across them) is accepted once",
        arguments: Backend.allCases)
    func sharedReplay(backend: Backend) async throws {
        try await withHub(backend, configure: { $0.dpopSharedReplay = true }) { hub in
            try await hub.makeAccount("quinn")
            let key = TestDPoPKey(.es256)
            let other = Application(router: HubApplication.makeRouter(runtime: Self.secondInstance(hub)))
            try await hub.withRouter { first in
                let token = try await DPoPTests.boundSignIn(hub, first, "quinn", key: key)
                let url = DPoPTests.hubURL + "/account"
                try await other.test(.router) { second in
                    let proof = key.proof(method: "GET", url: url, token: token, iat: hub.clock.now())
                    let headers = DPoPTests.dpopHeaders(token, proof)
                    #expect(
                        try await first.execute(uri: "/api/v1/account", method: .get, headers: headers).status == .ok)
                    #expect(
                        try await second.execute(uri: "/api/v1/account", method: .get, headers: headers).status
                            == .unauthorized)
                    let burst = key.proof(method: "GET", url: url, token: token, iat: hub.clock.now())
                    let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                        for index in 0..<40 {
                            group.addTask {
                                let client: any TestClientProtocol = index % 2 == 0 ? first : second
                                return Int(
                                    try await client.execute(
                                        uri: "/api/v1/account", method: .get,
                                        headers: DPoPTests.dpopHeaders(token, burst)
                                    ).status.code)
                            }
                        }
                        var all: [Int] = []
                        for try await status in group { all.append(status) }
                        return all
                    }
                    #expect(statuses.filter { $0 == 200 }.count == 1, "\(statuses)")
                }
            }
            #expect(
                try await hub.store.autocommit.purgeDPoPProofs(before: hub.clock.now().addingTimeInterval(600)) >= 2)
        }
    }
}
