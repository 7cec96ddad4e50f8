import Foundation
import GatehouseReleases
import Testing

@testable import GatehouseMedia

/// A release key and the manifests it signs, the way the hub's publisher makes them.
struct Publisher {
    let key: ReleaseSigningKey

    init(id: String = "r1") {
        key = ReleaseSigningKey.generate(id: id)
    }

    var pin: ReleaseKeyList.Key {
        get throws { try key.publicKey() }
    }

    func release(
        _ version: String, channel: String = "stable", date: String = "2025-06-01T10:00:00Z", size: Int64 = 10
    ) throws -> SignedManifest {
        let manifest = ReleaseManifest(
            version: try #require(SemanticVersion(version)), channel: channel, date: date,
            artifact: .init(name: "gatehouse-\(version)", sha256: String(repeating: "ab", count: 32), size: size),
            notes: "")
        return try key.sign(manifest)
    }

    func keyList(_ sequence: Int, keys: [ReleaseKeyList.Key]) throws -> SignedKeyList {
        try key.sign(ReleaseKeyList(sequence: sequence, keys: keys))
    }

    func advisory(_ id: String, affected: String, fixed: String) throws -> PublishedAdvisory {
        PublishedAdvisory(
            id: id,
            signed: try key.sign(
                AdvisoryDocument(
                    id: id, affected: affected, fixed: fixed, severity: "high", summary: "",
                    date: "2025-06-01T10:00:00Z")))
    }
}

func planner(_ policy: UpdatePolicy = .all, running: String = "1.0.0", channel: String = "stable")
    throws -> UpdatePlanner
{
    UpdatePlanner(policy: policy, channel: channel, running: try #require(SemanticVersion(running)))
}

func installs(_ decision: UpdateDecision) -> String? {
    if case .install(let manifest) = decision { return manifest.version.description }
    return nil
}

func refusal(_ decision: UpdateDecision) -> String? {
    if case .refuse(_, let reason) = decision { return reason }
    return nil
}

@Suite("Update decisions")
struct UpdatePlannerTests {
    @Test("Policy all installs the newest release of the channel")
    func installsNewest() throws {
        let publisher = Publisher()
        var state = UpdateState(pinned: try publisher.pin)
        let listing = ReleaseListing(
            releases: [try publisher.release("1.1.0"), try publisher.release("1.2.0"), try publisher.release("0.9.0")],
            keyLists: [])
        #expect(installs(try planner().plan(listing: listing, advisories: [], state: &state)) == "1.2.0")
        #expect(state.seen["stable"]?.version.description == "1.2.0")
    }

    @Test("Security installs only a release that fixes an advisory covering the running version; notify never")
    func policies() throws {
        let publisher = Publisher()
        let listing = ReleaseListing(releases: [try publisher.release("1.1.0")], keyLists: [])
        let covering = try publisher.advisory("GH-1", affected: ">=1.0.0, <1.1.0", fixed: "1.1.0")
        let elsewhere = try publisher.advisory("GH-2", affected: "<0.9.0", fixed: "0.9.0")
        let later = try publisher.advisory("GH-3", affected: "*", fixed: "1.2.0")
        func decide(_ policy: UpdatePolicy, _ advisories: [PublishedAdvisory]) throws -> UpdateDecision {
            var state = UpdateState(pinned: try publisher.pin)
            return try planner(policy).plan(listing: listing, advisories: advisories, state: &state)
        }
        #expect(installs(try decide(.security, [covering])) == "1.1.0")
        guard case .available = try decide(.security, []) else { Issue.record("no advisory: no install"); return }
        guard case .available = try decide(.security, [elsewhere]) else { Issue.record("not affected"); return }
        guard case .available = try decide(.security, [later]) else { Issue.record("1.1.0 does not fix GH-3"); return }
        guard case .available = try decide(.notify, [covering]) else { Issue.record("notify never installs"); return }
        #expect(installs(try decide(.all, [])) == "1.1.0")
    }

    @Test("A manifest whose bytes changed after signing is refused, and is not remembered as seen")
    func badSignature() throws {
        let publisher = Publisher()
        var signed = try publisher.release("1.1.0")
        let bytes = try #require(GatehouseReleases.Base64URL.decode(signed.manifest))
        let text = String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\"size\":10", with: "\"size\":11")
        signed.manifest = GatehouseReleases.Base64URL.encode(Array(text.utf8))
        var state = UpdateState(pinned: try publisher.pin)
        let decision = try planner().plan(
            listing: .init(releases: [signed], keyLists: []), advisories: [], state: &state)
        #expect(refusal(decision) == "\(ReleaseError.badSignature)")
        #expect(state.seen.isEmpty)
    }

    @Test("A manifest signed by a key never trusted is refused, even under a trusted key's id")
    func unknownKey() throws {
        let publisher = Publisher()
        let stranger = Publisher(id: "r9")
        let impostor = Publisher(id: "r1")
        var state = UpdateState(pinned: try publisher.pin)
        let unknown = try planner().plan(
            listing: .init(releases: [try stranger.release("1.1.0")], keyLists: []), advisories: [], state: &state)
        #expect(refusal(unknown) == "\(ReleaseError.unknownKey("r9"))")
        let forged = try planner().plan(
            listing: .init(releases: [try impostor.release("1.1.0")], keyLists: []), advisories: [], state: &state)
        #expect(refusal(forged) == "\(ReleaseError.badSignature)")
    }

    @Test("Downgrades are refused; the running version is not installed again")
    func downgrade() throws {
        let publisher = Publisher()
        var state = UpdateState(pinned: try publisher.pin)
        let older = try planner(running: "1.2.0").plan(
            listing: .init(releases: [try publisher.release("1.1.0")], keyLists: []), advisories: [], state: &state)
        #expect(refusal(older)?.contains("no downgrades") == true)
        var fresh = UpdateState(pinned: try publisher.pin)
        let same = try planner(running: "1.1.0").plan(
            listing: .init(releases: [try publisher.release("1.1.0")], keyLists: []), advisories: [], state: &fresh)
        #expect(same == .upToDate)
    }

    @Test("An older listing replayed after a newer one was seen is refused")
    func replay() throws {
        let publisher = Publisher()
        var state = UpdateState(pinned: try publisher.pin)
        let notify = try planner(.notify)
        _ = notify.plan(
            listing: .init(releases: [try publisher.release("1.2.0", date: "2025-06-02T00:00:00Z")], keyLists: []),
            advisories: [], state: &state)
        let older = try planner().plan(
            listing: .init(releases: [try publisher.release("1.1.0")], keyLists: []), advisories: [], state: &state)
        #expect(refusal(older)?.hasPrefix("replay") == true)
        let earlierSignature = try planner().plan(
            listing: .init(releases: [try publisher.release("1.2.0", date: "2025-06-01T00:00:00Z")], keyLists: []),
            advisories: [], state: &state)
        #expect(refusal(earlierSignature)?.hasPrefix("replay") == true)
        let same = try planner().plan(
            listing: .init(releases: [try publisher.release("1.2.0", date: "2025-06-02T00:00:00Z")], keyLists: []),
            advisories: [], state: &state)
        #expect(installs(same) == "1.2.0")
    }

    @Test("Key lists move trust to the new key; dropping them later does not bring the old key back")
    func keyRotation() throws {
        let first = Publisher(id: "r1")
        let second = Publisher(id: "r2")
        let lists = [
            try first.keyList(0, keys: [try first.pin]), try first.keyList(1, keys: [try second.pin]),
        ]
        var state = UpdateState(pinned: try first.pin)
        let rotated = try planner().plan(
            listing: .init(releases: [try second.release("1.1.0")], keyLists: lists), advisories: [], state: &state)
        #expect(installs(rotated) == "1.1.0")
        #expect(state.trusted == [try second.pin] && state.keySequence == 1)
        // The old key is retired, even when a hub serves only the first list again.
        let retired = try planner().plan(
            listing: .init(releases: [try first.release("1.3.0")], keyLists: [lists[0]]), advisories: [],
            state: &state)
        #expect(refusal(retired) == "\(ReleaseError.unknownKey("r1"))")
    }

    @Test("A server pinned to a later key skips the part of the chain before it")
    func pinnedLater() throws {
        let first = Publisher(id: "r1")
        let second = Publisher(id: "r2")
        let lists = [try first.keyList(0, keys: [try first.pin]), try first.keyList(1, keys: [try second.pin])]
        var state = UpdateState(pinned: try second.pin)
        let decision = try planner().plan(
            listing: .init(releases: [try second.release("1.1.0")], keyLists: lists), advisories: [], state: &state)
        #expect(installs(decision) == "1.1.0")
    }

    @Test("A key list that names a trusted signer but does not verify is refused, skipped and changes nothing")
    func brokenChain() throws {
        let first = Publisher(id: "r1")
        let intruder = Publisher(id: "r1")
        let forged = try intruder.keyList(1, keys: [try intruder.pin])
        var state = UpdateState(pinned: try first.pin)
        let plan = try planner().evaluate(
            listing: .init(releases: [try intruder.release("1.1.0"), try first.release("1.0.5")], keyLists: [forged]),
            advisories: [], state: &state)
        #expect(plan.refused.contains(.init(version: "key list 1", reason: "\(ReleaseError.brokenKeyChain(1))")))
        #expect(plan.refused.contains(.init(version: "1.1.0", reason: "\(ReleaseError.badSignature)")))
        #expect(state.trusted == [try first.pin] && state.keySequence == -1)
        // The broken list stops nothing: the genuine release behind it still installs.
        #expect(installs(plan.decision) == "1.0.5")
    }

    @Test("A rolled-back version is not tried again")
    func rejected() throws {
        let publisher = Publisher()
        var state = UpdateState(pinned: try publisher.pin)
        state.rejected = ["1.1.0"]
        let decision = try planner().plan(
            listing: .init(releases: [try publisher.release("1.1.0")], keyLists: []), advisories: [], state: &state)
        #expect(decision == .upToDate)
    }

    @Test("Stable ignores beta releases; beta takes both")
    func channels() throws {
        let publisher = Publisher()
        let listing = ReleaseListing(
            releases: [try publisher.release("1.1.0"), try publisher.release("1.2.0-beta.1", channel: "beta")],
            keyLists: [])
        var stable = UpdateState(pinned: try publisher.pin)
        #expect(installs(try planner().plan(listing: listing, advisories: [], state: &stable)) == "1.1.0")
        var beta = UpdateState(pinned: try publisher.pin)
        #expect(
            installs(try planner(channel: "beta").plan(listing: listing, advisories: [], state: &beta))
                == "1.2.0-beta.1")
    }
}

@Suite("Update files")
struct UpdateFilesTests {
    let folder: String

    init() throws {
        folder = NSTemporaryDirectory() + "gh-updates-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    @Test("The state is kept across restarts; pinning another key starts afresh")
    func stateStore() throws {
        let store = UpdateStateStore(dataFolder: folder)
        let pin = try ReleaseSigningKey.generate(id: "r1").publicKey()
        #expect(store.load(pin: nil) == nil)
        var state = try #require(store.load(pin: pin))
        state.rejected = ["1.1.0"]
        try store.save(state)
        #expect(store.load(pin: nil) == state)
        #expect(store.load(pin: pin) == state)
        let other = try ReleaseSigningKey.generate(id: "r2").publicKey()
        #expect(store.load(pin: other) == UpdateState(pinned: other))
        let mode = try FileManager.default.attributesOfItem(atPath: store.path)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
    }

    @Test("current switches by replacing the link, and goes away for the supervisor's own build")
    func switching() throws {
        let versions = VersionsFolder(dataFolder: folder)
        #expect(versions.currentExecutable == nil && versions.currentTarget == nil)
        for version in ["1.0.0", "1.1.0"] {
            let dir = versions.folder(version: try #require(SemanticVersion(version)))
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let exe = dir.appendingPathComponent(VersionsFolder.executableName).path
            #expect(FileManager.default.createFile(atPath: exe, contents: Data("#!/bin/sh\n".utf8)))
            #expect(chmod(exe, 0o755) == 0)
        }
        try versions.switchCurrent(to: "1.0.0")
        #expect(versions.currentTarget == "1.0.0")
        try versions.switchCurrent(to: "1.1.0")
        #expect(versions.currentTarget == "1.1.0")
        #expect(versions.currentExecutable?.hasSuffix("versions/current/gatehouse") == true)
        try versions.switchCurrent(to: nil)
        #expect(versions.currentExecutable == nil)
        try versions.write(.init(version: "1.1.0", previous: "1.0.0"), as: .pending)
        #expect(versions.read(.pending) == .init(version: "1.1.0", previous: "1.0.0"))
        versions.remove(.pending)
        #expect(versions.read(.pending) == nil)
    }
}
