import Testing

@testable import GatehouseMedia

@Suite("Configuration")
struct ConfigurationTests {
    @Test("--library NAME=PATH and --library PATH")
    func sectionArguments() {
        let named = MediaServerConfiguration.Section(argument: "TV Shows=/srv/tv")
        #expect(named.name == "TV Shows")
        #expect(named.path == "/srv/tv")
        #expect(named.kind == .show)
        let bare = MediaServerConfiguration.Section(argument: "/srv/media/Music/")
        #expect(bare.name == "Music")
        #expect(bare.path == "/srv/media/Music")
        #expect(bare.kind == .music)
        let odd = MediaServerConfiguration.Section(argument: "/srv/a=b")
        #expect(odd.name == "a=b")
        #expect(odd.path == "/srv/a=b")
        #expect(MediaServerConfiguration.Section(argument: "Stuff=/x").kind == nil)
    }

    @Test("offline keys must be 32 raw bytes in base64url")
    func offlineKey() throws {
        #expect(throws: (any Error).self) {
            _ = try MediaServerConfiguration.OfflineIdentity(serverID: "s", publicKeyBase64URL: "AAAA")
        }
        let signer = TestSigner()
        let identity = try MediaServerConfiguration.OfflineIdentity(
            serverID: "s", publicKeyBase64URL: TestSigner.base64url(signer.publicKey.rawRepresentation))
        #expect(identity.keys["s1"] == signer.publicKey)
    }

    @Test("the server credential is ghs_ plus 32 random bytes, and only its SHA-256 hex is sent")
    func credential() {
        let credential = ServerCredentialStore.makeCredential()
        #expect(credential.hasPrefix("ghs_"))
        #expect(Base64URL.decode(credential.dropFirst(4))?.count == 32)
        #expect(ServerCredentialStore.makeCredential() != credential)
        // SHA-256("abc"), FIPS 180-2 test vector.
        #expect(
            ServerCredentialStore.digest(of: "abc")
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
