import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import GatehouseMedia

@Suite("Token verification")
struct TokenTests: Sendable {
    let library: TestLibrary
    let signer = TestSigner()

    init() throws {
        library = try TestLibrary()
    }

    /// Requests the sections list with `headers` and returns status and error code.
    func probe(_ server: MediaServer, uri: String = "/api/library/sections", headers: HTTPFields) async throws
        -> (HTTPResponse.Status, String?)
    {
        try await makeApp(server).test(.router) { client in
            try await client.execute(uri: uri, method: .get, headers: headers) { ($0.status, $0.errorCode) }
        }
    }

    @Test("a valid owner token is accepted, in the header or the query")
    func valid() async throws {
        let server = try await library.makeServer(signer: signer)
        let token = signer.token()
        #expect(try await probe(server, headers: bearer(token)).0 == .ok)
        #expect(try await probe(server, uri: "/api/library/sections?token=\(token)", headers: [:]).0 == .ok)
    }

    @Test("misused tokens are refused with 401", arguments: [
        "other-audience", "expired", "issued-in-future", "lifetime-too-long", "wrong-typ", "unknown-kid",
        "other-key", "tampered-payload", "tampered-signature", "device-credential", "server-credential",
        "garbage", "empty-bearer", "missing", "truncated", "v2",
    ])
    func misuse(kind: String) async throws {
        let server = try await library.makeServer(signer: signer)
        let now = Int64(Date().timeIntervalSince1970)
        let good = signer.token()
        let parts = good.split(separator: ".").map(String.init)
        let token: String?
        let code: String
        switch kind {
        case "other-audience": (token, code) = (signer.token(aud: "srv-someone-else"), "wrong_audience")
        case "expired": (token, code) = (signer.token(iat: now - 400, exp: now - 40), "token_expired")
        case "issued-in-future": (token, code) = (signer.token(iat: now + 3_600, exp: now + 3_780), "token_not_yet_valid")
        case "lifetime-too-long":
            (token, code) = (signer.token(iat: now, exp: now + 86400 * 30), "token_lifetime_too_long")
        case "wrong-typ": (token, code) = (signer.token(typ: "device"), "wrong_token_type")
        case "unknown-kid": (token, code) = (signer.token(kid: "never-published"), "unknown_key")
        case "other-key": (token, code) = (TestSigner(kid: "s1").token(), "bad_signature")
        case "tampered-payload":
            // Same signature, payload claiming another audience and ownership.
            let forged = signer.token(aud: TestLibrary.serverID, sub: "acct-attacker", own: true)
            let forgedPayload = forged.split(separator: ".")[1]
            (token, code) = ("v1.\(forgedPayload).\(parts[2])", "bad_signature")
        case "tampered-signature":
            var signature = Array(Data(base64Encoded: base64(parts[2])) ?? Data())
            signature[10] ^= 0x01
            (token, code) = ("v1.\(parts[1]).\(TestSigner.base64url(signature))", "bad_signature")
        case "device-credential": (token, code) = ("ghd_" + String(repeating: "A", count: 43), "wrong_token_type")
        case "server-credential": (token, code) = ("ghs_" + String(repeating: "B", count: 43), "wrong_token_type")
        case "garbage": (token, code) = ("not a token at all", "wrong_token_type")
        case "empty-bearer": (token, code) = ("", "missing_token")
        case "missing": (token, code) = (nil, "missing_token")
        case "truncated": (token, code) = ("v1.\(parts[1])", "malformed_token")
        case "v2": (token, code) = ("v2.\(parts[1]).\(parts[2])", "wrong_token_type")
        default: Issue.record("unknown case"); return
        }
        let headers: HTTPFields = token.map { [.authorization: "Bearer \($0)"] } ?? [:]
        let (status, errorCode) = try await probe(server, headers: headers)
        #expect(status == .unauthorized)
        #expect(errorCode == code)
        if token?.hasPrefix("ghd_") == true {
            // The same refusal through the query parameter.
            let uri = "/api/library/sections?token=\(token ?? "")"
            let (queryStatus, _) = try await probe(server, uri: uri, headers: [:])
            #expect(queryStatus == .unauthorized)
        }
    }

    /// On a fixed clock: through a live server the check once ran 48 s after the token was made on a loaded
    /// machine, and a token 5 s past its expiry was then 53 s past it.
    @Test("a token within the clock leeway is still accepted")
    func leeway() async throws {
        let source = CountingKeySource(first: ["s1": signer.publicKey], later: ["s1": signer.publicKey])
        let ring = MediaKeyRing(source: source, logger: .init(label: "test"), unknownKeyRefetchInterval: 0.3)
        await ring.refresh()
        let now: Int64 = 1_900_000_000
        let verifier = MediaTokenVerifier(
            keys: ring, revocations: RevocationState(),
            identity: ServerIdentity(.claimed(serverID: TestLibrary.serverID, ownerID: "o", name: "n")),
            now: { Double(now) })
        _ = try await verifier.verify(signer.token(iat: now - 300, exp: now - 5))
        _ = try await verifier.verify(signer.token(iat: now + 10, exp: now + 300))
        await #expect(throws: MediaError.expired) {
            try await verifier.verify(signer.token(iat: now - 300, exp: now - MediaTokenVerifier.leeway - 1))
        }
        await #expect(throws: MediaError.notYetValid) {
            try await verifier.verify(signer.token(iat: now + MediaTokenVerifier.leeway + 1, exp: now + 300))
        }
    }

    @Test("an unknown key id refetches the keys at most once per interval")
    func unknownKeyRefetch() async throws {
        let rotated = TestSigner(kid: "s2")
        let source = CountingKeySource(first: ["s1": signer.publicKey], later: [
            "s1": signer.publicKey, "s2": rotated.publicKey,
        ])
        let ring = MediaKeyRing(source: source, logger: .init(label: "test"), unknownKeyRefetchInterval: 0.3)
        await ring.refresh()
        #expect(source.count == 1)
        let verifier = MediaTokenVerifier(
            keys: ring, revocations: RevocationState(), identity: ServerIdentity(
                .claimed(serverID: TestLibrary.serverID, ownerID: "o", name: "n")))
        // Within the interval after the last fetch: no new fetch, refused.
        await #expect(throws: MediaError.unknownKey) { try await verifier.verify(rotated.token()) }
        #expect(source.count == 1)
        try await Task.sleep(for: .milliseconds(400))
        // A flood of forged key ids causes one fetch, not one per token.
        for index in 0..<20 {
            _ = try? await verifier.verify(signer.token(kid: "forged-\(index)"))
        }
        #expect(source.count == 2)
        // The rotated key arrived with that fetch and now verifies.
        #expect(try await verifier.verify(rotated.token()).accountID == "acct-owner")
    }

    func base64(_ url: String) -> String {
        var text = url.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        return text
    }
}

final class CountingKeySource: HubKeySource, @unchecked Sendable {
    private let lock = NSLock()
    private var fetches = 0
    let first: [String: HubPublicKey]
    let later: [String: HubPublicKey]

    init(first: [String: HubPublicKey], later: [String: HubPublicKey]) {
        self.first = first
        self.later = later
    }

    var count: Int { lock.withLock { fetches } }

    func fetchKeys() async throws -> [String: HubPublicKey] {
        lock.withLock {
            fetches += 1
            return fetches == 1 ? first : later
        }
    }
}

@Suite("Base64url")
struct Base64URLTests {
    @Test func roundTrip() {
        var generator = SplitMix(seed: 7)
        for length in 0..<70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let encoded = TestSigner.base64url(bytes)
            #expect(Base64URL.encode(bytes) == encoded)
            #expect(Base64URL.decode(encoded) == bytes)
        }
        #expect(Base64URL.decode("ab+c") == nil)
        #expect(Base64URL.decode("abc=") == nil)
        #expect(Base64URL.decode("a") == nil)
        #expect(Base64URL.decode("QR") == nil)  // non-zero trailing bits
    }
}
