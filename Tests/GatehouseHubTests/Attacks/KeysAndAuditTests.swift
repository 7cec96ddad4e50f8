import Crypto
import Foundation
import GatehouseStore
import Testing

@testable import GatehouseCore
@testable import GatehouseHub

/// Issue 13, items 8 and 9: keys that retire, and an audit log whose edits a signed checkpoint catches even when
/// the plain hash chain was recomputed by whoever edited the database.
@Suite("Attacks: retired keys and a rewritten audit log")
struct KeysAndAuditTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("keys retire: refuses what is still needed, keeps the endorsement chain and the keyring check")
    func retireRules() throws {
        var ring = Keyring.generate(now: Self.start)
        let check = KeyringCheck.value(for: ring)
        #expect(throws: Keyring.RetireRefusal.current("s1")) { try ring.retire(id: "s1") }
        ring.rotate(now: Self.start)
        ring.rotate(now: Self.start)
        #expect(throws: Keyring.RetireRefusal.self) { try ring.retire(id: "p1") }
        #expect(throws: Keyring.RetireRefusal.inUse("d1", count: 1, what: "sealed values")) {
            try ring.retire(id: "d1", valuesInUse: 1)
        }
        #expect(throws: Keyring.RetireRefusal.inUse("p2", count: 4, what: "password hashes")) {
            try ring.retire(id: "p2", valuesInUse: 4)
        }
        #expect(throws: Keyring.RetireRefusal.notOldest("s2", oldest: "s1")) { try ring.retire(id: "s2") }
        #expect(throws: Keyring.RetireRefusal.unknown("s9")) { try ring.retire(id: "s9") }
        let before = MediaTokenSigner(keyring: ring).publishedKeys()
        try ring.retire(id: "s1")
        try ring.retire(id: "p2", valuesInUse: 0)
        try ring.retire(id: "d1", valuesInUse: 0)
        #expect(ring.dataKeys.map(\.id) == ["d2", "d3"])
        #expect(ring.signingKeys.map(\.id) == ["s2", "s3"])
        #expect(ring.peppers.map(\.id) == ["p1", "p3"])
        let after = MediaTokenSigner(keyring: ring).publishedKeys()
        #expect(after.map(\.kid) == ["s2", "s3"])
        // s2 still carries s1's endorsement, so a server that pinned only s1 follows to s2 and s3.
        #expect(after[0] == before[1])
        let s1Bytes = try #require(Encoding.bytes(base64URL: before[0].publicKey))
        let s1 = try Curve25519.Signing.PublicKey(rawRepresentation: s1Bytes)
        let endorsement = try #require(after[0].signature)
        let signature = try #require(Encoding.bytes(base64URL: endorsement))
        #expect(
            s1.isValidSignature(
                signature, for: MediaTokenSigner.endorsementMessage(kid: "s2", publicKey: after[0].publicKey)))
        #expect(KeyringCheck.value(for: ring) == check)
        // Ids are never reused, and the retired key survives a save and load.
        ring.rotate(now: Self.start)
        #expect(ring.signingKeys.map(\.id) == ["s2", "s3", "s4"])
        #expect(ring.peppers.map(\.id) == ["p1", "p3", "p4"])
        let decoded = try JSONDecoder().decode(Keyring.self, from: try JSONEncoder().encode(ring))
        #expect(decoded == ring)
        #expect(decoded.retiredSigningKeys?.map(\.id) == ["s1"])
    }

    @Test("keys retire counts the stored values a pepper or data key still protects", arguments: Backend.allCases)
    func usageIsCounted(backend: Backend) async throws {
        try await withHub(backend) { hub in
            try await hub.makeAccount("alice")
            try await hub.makeAccount("bob")
            let pepper = hub.environment.keyring.currentPepper.id
            #expect(try await hub.store.valuesUsingKey(pepper, kind: .pepper) == 2)
            #expect(try await hub.store.valuesUsingKey("p9", kind: .pepper) == 0)
            let data = hub.environment.keyring.currentDataKey.id
            let sealed = try await hub.store.valuesUsingKey(data, kind: .data)
            #expect(try await hub.store.valuesUsingKey("d9", kind: .data) == 0)
            #expect(sealed >= 0)

            // keys reseal: two-factor secrets move to the current data key, so the old one can retire.
            let alice = try #require(try await hub.store.autocommit.account(identifier: "alice"))
            _ = try await hub.services.twoFactor.regenerateRecoveryCodesForTest(hub, alice)
            let withSeed = try await hub.store.valuesUsingKey(data, kind: .data)
            #expect(withSeed > sealed)
            var rotated = hub.environment.keyring
            rotated.rotate()
            #expect(try await hub.store.resealTwoFactorSecrets(keyring: rotated) == 1)
            #expect(try await hub.store.resealTwoFactorSecrets(keyring: rotated) == 0)
            #expect(try await hub.store.valuesUsingKey(data, kind: .data) == withSeed - 1)
            #expect(try await hub.store.valuesUsingKey(rotated.currentDataKey.id, kind: .data) == 1)
            let stored = try #require(try await hub.store.autocommit.totpEnrollment(accountID: alice.id))
            #expect(stored.sealedSecret.hasPrefix(rotated.currentDataKey.id + ":"))
            #expect(throws: Never.self) {
                _ = try SecretBox(keyring: rotated).open(stored.sealedSecret, owner: alice.id)
            }
        }
    }

    /// What someone who can write the database does: edit an entry and recompute every later hash of its chain.
    static func rewrite(_ hub: TestHub, chain: String, editing index: Int) async throws {
        var events = try await hub.store.autocommit.auditChain(chain)
        events[index].detail = "nothing happened here"
        var previous = index == 0 ? AuditChain.genesis : events[index - 1].hash
        for position in index..<events.count {
            let event = events[position]
            let hash = AuditChain.hash(
                chain: event.chain, kind: event.kind, ipAddress: event.ipAddress, detail: event.detail,
                createdAt: event.createdAt, previousHash: previous)
            try await hub.store.execute(
                "UPDATE audit_events SET detail = '\(event.detail.replacingOccurrences(of: "'", with: "''"))', "
                    + "previous_hash = '\(previous)', hash = '\(hash)' WHERE id = \(event.id)")
            previous = hash
        }
    }

    @Test(
        "an edited (and rehashed) or deleted audit entry is caught by the signed checkpoint",
        arguments: Backend.allCases)
    func checkpointCatchesTampering(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let alice = try await hub.makeAccount("alice")
            let bob = try await hub.makeAccount("bob")
            _ = try await hub.signIn("alice")
            _ = try await hub.signIn("bob")
            _ = try await hub.signIn("bob", address: "192.0.2.77")
            let service = AuditCheckpointService(environment: hub.environment)
            let checkpoint = try await service.write()
            #expect(checkpoint.heads.contains { $0.chain == alice.id })
            #expect(try await service.latest() == checkpoint.note)
            #expect(try await service.writeIfChanged() == nil)
            #expect(try await service.verify(note: checkpoint.note).problems.isEmpty)

            // Events written after the checkpoint are fine.
            _ = try await hub.signIn("alice")
            #expect(try await service.verify(note: checkpoint.note).problems.isEmpty)

            let key = hub.environment.keyring.derivedKey(purpose: AuditChain.keyPurpose)
            let keyedAfter = try await hub.store.autocommit.auditKeyedAfter()
            #expect(keyedAfter == 0)
            #expect(
                try await hub.store.autocommit.auditChain(alice.id).allSatisfy {
                    $0.hash.hasPrefix(AuditChain.keyedPrefix)
                })
            #expect(try await service.verifyChains().broken.isEmpty)

            // 1. Edit alice's first entry and recompute her chain with the plain rule (the key is not in the
            //    database): the keyed chain and the checkpoint both catch it.
            try await Self.rewrite(hub, chain: alice.id, editing: 0)
            let rewritten = try await hub.store.autocommit.auditChain(alice.id)
            #expect(AuditChain.verify(rewritten) == nil)
            #expect(AuditChain.verify(rewritten, key: key, keyedAfter: keyedAfter)?.reason.contains("unkeyed") == true)
            #expect(try await service.verifyChains().broken.map(\.chain) == [alice.id])
            let edited = try await service.verify(note: checkpoint.note).problems
            #expect(edited.count == 1)
            #expect(edited.first?.contains(alice.id) == true)

            // 2. Delete bob's newest entry (covered by the checkpoint): a truncation no chain rule can see.
            let bobs = try await hub.store.autocommit.auditChain(bob.id)
            try await hub.store.execute("DELETE FROM audit_events WHERE id = \(try #require(bobs.last).id)")
            #expect(
                AuditChain.verify(try await hub.store.autocommit.auditChain(bob.id), key: key, keyedAfter: keyedAfter)
                    == nil)
            let deleted = try await service.verify(note: checkpoint.note).problems
            #expect(deleted.count == 2)
            #expect(deleted.contains { $0.contains(bob.id) && $0.contains("truncated") })

            // 3. Delete an entry inside bob's chain (not its newest): the chain rule catches it.
            let remaining = try await hub.store.autocommit.auditChain(bob.id)
            #expect(remaining.count >= 2)
            try await hub.store.execute("DELETE FROM audit_events WHERE id = \(remaining[0].id)")
            #expect(try await service.verifyChains([bob.id]).broken.count == 1)

            // 4. The cut-over moved (to pass rewritten entries off as old plain ones): the checkpoint says so.
            try await hub.store.execute(
                "UPDATE hub_facts SET value = '999999' WHERE name = '\(AuditChain.keyedAfterFact)'")
            #expect(try await service.verify(note: checkpoint.note).problems.contains { $0.contains("cut-over") })

            // 5. A forged checkpoint (the attacker's own heads) does not verify.
            let forged = checkpoint.note.replacingOccurrences(
                of: checkpoint.heads[0].hash, with: String(repeating: "a", count: 64))
            await #expect(throws: AuditCheckpoint.Failure.self) { _ = try await service.verify(note: forged) }
            var stranger = Keyring.generate()
            stranger.rotate()
            let foreign = try AuditCheckpoint.sign(heads: checkpoint.heads, at: Date(), keyring: stranger)
            await #expect(throws: AuditCheckpoint.Failure.self) { _ = try await service.verify(note: foreign.note) }
        }
    }

    @Test("entries written before the cut-over keep their plain chain; new ones are keyed", arguments: Backend.allCases)
    func oldPlainEntriesStayVerifiable(backend: Backend) async throws {
        try await withHub(backend) { hub in
            // A database from before migration 19: two plain entries on one chain.
            var previous = AuditChain.genesis
            for detail in ["old one", "old two"] {
                let stamp = Date(epochSeconds: 1_700_000_000)
                let hash = AuditChain.hash(
                    chain: "acct-old", kind: "signin.succeeded", ipAddress: "192.0.2.1", detail: detail,
                    createdAt: stamp, previousHash: previous)
                try await hub.store.execute(
                    "INSERT INTO audit_events (chain, kind, ip_address, detail, created_at, previous_hash, hash) "
                        + "VALUES ('acct-old', 'signin.succeeded', '192.0.2.1', '\(detail)', 1700000000, '\(previous)', '\(hash)')"
                )
                previous = hash
            }
            let last = try await hub.store.autocommit.auditChain("acct-old").last?.id ?? 0
            try await hub.store.execute(
                "UPDATE hub_facts SET value = '\(last)' WHERE name = '\(AuditChain.keyedAfterFact)'")
            try await hub.store.transaction { tx in
                try await tx.appendAudit(
                    AuditRecord(accountID: "acct-old", kind: .signIn, ipAddress: "192.0.2.2", detail: "new"),
                    at: hub.clock.now())
            }
            let chain = try await hub.store.autocommit.auditChain("acct-old")
            #expect(chain.map { $0.hash.hasPrefix(AuditChain.keyedPrefix) } == [false, false, true])
            let service = AuditCheckpointService(environment: hub.environment)
            #expect(try await service.verifyChains(["acct-old"]).broken.isEmpty)
            // An old plain entry edited without the keyring is still caught by the plain rule.
            try await hub.store.execute("UPDATE audit_events SET detail = 'edited' WHERE id = \(chain[0].id)")
            #expect(try await service.verifyChains(["acct-old"]).broken.count == 1)
        }
    }

    @Test(
        "recovery codes: digests under a key of their own, bound to the account; older digests still work",
        arguments: Backend.allCases)
    func recoveryDigestsAreBoundToTheAccount(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let alice = try await hub.makeAccount("alice")
            let bob = try await hub.makeAccount("bob")
            let twoFactor = hub.services.twoFactor
            let aliceCodes = try await twoFactor.regenerateRecoveryCodesForTest(hub, alice)
            let bobCodes = try await twoFactor.regenerateRecoveryCodesForTest(hub, bob)
            #expect(
                try await hub.store.number("SELECT count(*) AS n FROM recovery_codes WHERE digest LIKE 'r1:%'") == 20)
            let code = aliceCodes[0]
            #expect(
                twoFactor.recoveryDigest(code, accountID: alice.id) != twoFactor.recoveryDigest(code, accountID: bob.id)
            )
            // The digest is not an HMAC under the pepper itself (which Argon2 uses as its secret input).
            let pepper = hub.environment.keyring.peppers[0]
            let underPepper = Encoding.hex(
                HMAC<SHA256>.authenticationCode(for: Array(code.utf8), using: SymmetricKey(data: pepper.material)))
            #expect(!twoFactor.recoveryDigest(code, accountID: alice.id).contains(underPepper))

            // A code stored the old way (before this change) still works, once.
            let legacy = twoFactor.recoveryDigests(aliceCodes[1], accountID: alice.id)[1]
            #expect(legacy.hasPrefix(pepper.id + ":"))
            try await hub.store.execute(
                "UPDATE recovery_codes SET digest = '\(legacy)' WHERE digest = '\(twoFactor.recoveryDigest(aliceCodes[1], accountID: alice.id))'"
            )
            let now = hub.clock.now()
            func spend(_ code: String, _ account: Account) async throws -> Bool {
                try await hub.store.transaction { tx in
                    try await twoFactor.useRecoveryCode(code, accountID: account.id, at: now, in: tx)
                }
            }
            #expect(try await spend(aliceCodes[1], alice))
            #expect(try await spend(aliceCodes[1], alice) == false)
            #expect(try await spend(aliceCodes[0], alice))
            // Bob's code is no good for alice, and alice's none for bob.
            #expect(try await spend(bobCodes[0], alice) == false)
            #expect(try await spend(aliceCodes[2], bob) == false)
            #expect(try await spend(bobCodes[0], bob))
        }
    }

    @Test(
        "checkpoints taken while hundreds of entries are appended at once all verify (no false alarm)",
        arguments: Backend.allCases)
    func checkpointsUnderConcurrentAppends(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let service = AuditCheckpointService(environment: hub.environment)
            let chains = (0..<8).map { "acct-\($0)" }
            let notes = try await withThrowingTaskGroup(of: String?.self) { group in
                for index in 0..<240 {
                    group.addTask {
                        try await hub.store.transaction { tx in
                            try await tx.appendAudit(
                                AuditRecord(
                                    accountID: chains[index % chains.count], kind: .signInFailed,
                                    ipAddress: "192.0.2.\(index % 250)", detail: "attempt \(index)"),
                                at: hub.clock.now())
                        }
                        return nil
                    }
                    if index % 40 == 0 {
                        group.addTask { try await service.write().note }
                    }
                }
                var notes: [String] = []
                for try await note in group { if let note { notes.append(note) } }
                return notes
            }
            #expect(notes.count == 6)
            for note in notes {
                #expect(try await service.verify(note: note).problems.isEmpty)
            }
            let final = try await service.write()
            #expect(final.size == 240)
            #expect(try await service.verify(note: final.note).problems.isEmpty)
            #expect(try await service.verifyChains().broken.isEmpty)
        }
    }

    @Test("a checkpoint signed by a since-retired key still verifies")
    func retiredKeyCheckpointVerifies() throws {
        var ring = Keyring.generate()
        let heads = [AuditCheckpoint.Head(chain: "a1", lastID: 3, count: 3, hash: String(repeating: "1", count: 64))]
        let old = try AuditCheckpoint.sign(heads: heads, at: Date(), keyring: ring)
        ring.rotate()
        try ring.retire(id: "s1")
        let opened = try AuditCheckpoint.open(old.note, keyring: ring)
        #expect(opened.keyID == "s1")
        #expect(opened.heads == heads)
        #expect(
            try AuditCheckpoint.open(AuditCheckpoint.sign(heads: heads, at: Date(), keyring: ring).note, keyring: ring)
                .keyID == "s2")
    }
}
