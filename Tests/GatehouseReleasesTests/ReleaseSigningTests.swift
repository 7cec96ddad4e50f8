import Foundation
import GatehouseReleases
import Testing

@Suite("Versions and ranges")
struct VersionTests {
    @Test func ordering() throws {
        let ordered = [
            "0.9.9", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
            "1.0.0-rc.1", "1.0.0", "1.0.1", "1.10.0", "2.0.0",
        ].map { SemanticVersion($0)! }
        #expect(ordered == ordered.shuffled().sorted())
        for text in ["1.2", "1.2.3.4", "01.2.3", "1.2.x", "", "1.2.3-", "1.2.3-a..b", "-1.2.3", "1.2.3 "] {
            #expect(SemanticVersion(text) == nil, "\(text) must not parse")
        }
        #expect(SemanticVersion("v2.1.0")?.description == "2.1.0")
    }

    @Test func ranges() throws {
        let range = try #require(VersionRange(">=1.0.0, <1.4.2"))
        #expect(range.contains(SemanticVersion("1.0.0")!))
        #expect(range.contains(SemanticVersion("1.4.1")!))
        #expect(!range.contains(SemanticVersion("1.4.2")!))
        #expect(!range.contains(SemanticVersion("0.9.0")!))
        #expect(VersionRange("*")!.contains(SemanticVersion("9.9.9")!))
        #expect(VersionRange("1.2.3")!.contains(SemanticVersion("1.2.3")!))
        #expect(VersionRange("<=x") == nil)
        #expect(VersionRange("") == nil)
    }
}

@Suite("Release signatures")
struct ReleaseSigningTests {
    let manifest = ReleaseManifest(
        version: SemanticVersion("1.2.0")!, channel: "stable", date: "2026-11-29T00:00:00Z",
        artifact: .init(name: "gatehouse-1.2.0", sha256: String(repeating: "a", count: 64), size: 42), notes: "fixes")

    @Test func signedManifestVerifiesAndTamperingFails() throws {
        let key = ReleaseSigningKey.generate(id: "r1")
        let verifier = ReleaseVerifier(pinned: [try key.publicKey()])
        let signed = try key.sign(manifest)
        #expect(try verifier.verify(signed) == manifest)

        var edited = manifest
        edited.artifact.sha256 = String(repeating: "b", count: 64)
        var tampered = signed
        tampered.manifest = try key.sign(edited).manifest
        #expect(throws: ReleaseError.badSignature) { try verifier.verify(tampered) }

        let stranger = ReleaseSigningKey.generate(id: "r1")
        #expect(throws: ReleaseError.badSignature) { try verifier.verify(try stranger.sign(manifest)) }
        let unknown = ReleaseSigningKey.generate(id: "other")
        #expect(throws: ReleaseError.unknownKey("other")) { try verifier.verify(try unknown.sign(manifest)) }
    }

    @Test func keyRotationFollowsSignedLists() throws {
        let first = ReleaseSigningKey.generate(id: "r1")
        let second = ReleaseSigningKey.generate(id: "r2")
        let third = ReleaseSigningKey.generate(id: "r3")
        let lists = [
            try first.sign(ReleaseKeyList(sequence: 1, keys: [try second.publicKey()])),
            try second.sign(ReleaseKeyList(sequence: 2, keys: [try third.publicKey()])),
        ]
        var verifier = ReleaseVerifier(pinned: [try first.publicKey()])
        try verifier.follow(lists.reversed())
        #expect(try verifier.verify(try third.sign(manifest)) == manifest)
        #expect(throws: ReleaseError.unknownKey("r1")) { try verifier.verify(try first.sign(manifest)) }

        // A list signed by a key nobody trusted yet breaks the chain.
        let intruder = ReleaseSigningKey.generate(id: "r2")
        var fresh = ReleaseVerifier(pinned: [try first.publicKey()])
        let forged = try intruder.sign(ReleaseKeyList(sequence: 1, keys: [try intruder.publicKey()]))
        #expect(throws: ReleaseError.self) { try fresh.follow([forged]) }
    }
}
