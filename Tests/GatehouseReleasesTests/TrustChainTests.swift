import Foundation
import GatehouseReleases
import Testing

/// Issue 13: whoever holds the hub's data folder (or a backup of it) must not hold the power to sign releases or
/// advisories. Each test is named after the attack it stops.
@Suite("Release key location, signed advisories and release lists")
struct TrustChainTests {
    let folder: String

    init() throws {
        folder = NSTemporaryDirectory() + "gh-trust-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder + "/data/keys", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: folder + "/offline", withIntermediateDirectories: true)
    }

    @Test("A release key kept in (or next to) the hub's data folder or keyring folder is refused")
    func releaseKeyInTheHubDataFolderIsRefused() throws {
        let data = folder + "/data"
        let hubFolders = [data, data + "/keys"]
        #expect(ReleaseKeyLocation.refusal(keyPath: data + "/keys/release-key.json", hubFolders: hubFolders) != nil)
        #expect(ReleaseKeyLocation.refusal(keyPath: data + "/release-key.json", hubFolders: hubFolders) != nil)
        // Through a relative path or a symbolic link, too.
        let link = folder + "/link-to-data"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: data)
        #expect(ReleaseKeyLocation.refusal(keyPath: link + "/keys/r.json", hubFolders: hubFolders) != nil)
        #expect(
            ReleaseKeyLocation.refusal(keyPath: folder + "/offline/release-key.json", hubFolders: hubFolders) == nil)
        #expect(ReleaseKeyLocation.refusal(keyPath: folder + "/data-other/k.json", hubFolders: hubFolders) == nil)
    }

    @Test("A release key inside a copied or restored hub data folder is refused wherever the copy lies")
    func releaseKeyInACopiedDataFolderIsRefused() throws {
        let copy = folder + "/backup-restore"
        try FileManager.default.createDirectory(atPath: copy + "/keys", withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: copy + "/keys/keyring.json", contents: Data("{}".utf8)))
        #expect(ReleaseKeyLocation.refusal(keyPath: copy + "/keys/release-key.json", hubFolders: []) != nil)
        #expect(ReleaseKeyLocation.refusal(keyPath: copy + "/release-key.json", hubFolders: []) != nil)
        let sqlite = folder + "/other-copy"
        try FileManager.default.createDirectory(atPath: sqlite + "/deep", withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: sqlite + "/gatehouse.sqlite", contents: Data()))
        #expect(ReleaseKeyLocation.refusal(keyPath: sqlite + "/deep/k.json", hubFolders: []) != nil)
    }

    @Test("A forged, edited or unknown-key advisory does not verify")
    func forgedAdvisoryDoesNotVerify() throws {
        let key = ReleaseSigningKey.generate(id: "r1")
        let verifier = ReleaseVerifier(pinned: [try key.publicKey()])
        let advisory = AdvisoryDocument(
            id: "GH-17", affected: ">=1.0.0, <1.4.2", fixed: "1.4.2", severity: "high", summary: "s",
            date: "2026-11-29T00:00:00Z")
        let signed = try key.sign(advisory)
        #expect(try verifier.verify(signed) == advisory)
        var everything = advisory
        everything.affected = ">=0.0.0"
        var edited = signed
        edited.advisory = try key.sign(everything).advisory
        #expect(throws: ReleaseError.badSignature) { try verifier.verify(edited) }
        #expect(throws: ReleaseError.badSignature) {
            try verifier.verify(try ReleaseSigningKey.generate(id: "r1").sign(advisory))
        }
        #expect(throws: ReleaseError.unknownKey("r9")) {
            try verifier.verify(try ReleaseSigningKey.generate(id: "r9").sign(advisory))
        }
        var malformed = advisory
        malformed.affected = "everything"
        #expect(throws: ReleaseError.self) { try verifier.verify(try key.sign(malformed)) }
    }

    @Test("A release list names every release and advisory by digest, with an expiry, and tampering fails")
    func tamperedReleaseListDoesNotVerify() throws {
        let key = ReleaseSigningKey.generate(id: "r1")
        let verifier = ReleaseVerifier(pinned: [try key.publicKey()])
        let manifest = try key.sign(
            ReleaseManifest(
                version: try #require(SemanticVersion("1.4.2")), channel: "stable", date: "2026-11-29T00:00:00Z",
                artifact: .init(name: "gatehouse-1.4.2", sha256: String(repeating: "a", count: 64), size: 1), notes: "")
        )
        let advisory = try key.sign(
            AdvisoryDocument(
                id: "GH-17", affected: "<1.4.2", fixed: "1.4.2", severity: "high", summary: "",
                date: "2026-11-29T00:00:00Z"))
        let now = Date()
        let list = try ReleaseList.covering(manifests: [manifest], advisories: [advisory], lifetime: 86_400, now: now)
        let signed = try key.sign(list)
        let verified = try verifier.verify(signed)
        let digest = try #require(manifest.digest)
        #expect(verified == list)
        #expect(verified.releases == [.init(name: "1.4.2", sha256: digest, channel: "stable")])
        #expect(verified.advisories.map(\.name) == ["GH-17"])
        let expiry = try #require(verified.expiryDate)
        #expect(abs(expiry.timeIntervalSince(now) - 86_400) < 2)
        var longer = list
        longer.expires = "2999-01-01T00:00:00Z"
        var tampered = signed
        tampered.list = try key.sign(longer).list
        #expect(throws: ReleaseError.badSignature) { try verifier.verify(tampered) }
    }
}
