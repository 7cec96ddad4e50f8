import Foundation
import GatehouseCore
import GatehouseReleases
import GatehouseStore
import Testing

/// The store contract: what every domain relies on, run against SQLite and PostgreSQL alike.
@Suite("Store contract")
struct StoreContractTests {
    let now = Date(epochSeconds: 1_800_000_000)

    @Test("accounts: insert, look up by username or email in any case, refuse duplicates", arguments: Backend.allCases)
    func accounts(backend: Backend) async throws {
        try await withStore(backend) { (store: SQLStore) async throws in
            let alice = makeAccount("alice")
            try await store.transaction { try await $0.insertAccount(alice, passwordHash: "h1") }
            #expect(try await store.autocommit.account(id: alice.id) == alice)
            #expect(try await store.autocommit.account(identifier: "ALICE")?.id == alice.id)
            #expect(try await store.autocommit.account(identifier: "Alice@Example.com")?.id == alice.id)
            #expect(try await store.autocommit.account(identifier: "bob") == nil)
            var clash = makeAccount("ALICE")
            clash.id = "other"
            let duplicate = clash
            await #expect(throws: StoreError.self) {
                try await store.transaction { try await $0.insertAccount(duplicate, passwordHash: "h") }
            }
            var emailClash = makeAccount("alice2")
            emailClash.email = "ALICE@example.com"
            let sameEmail = emailClash
            await #expect(throws: StoreError.self) {
                try await store.transaction { try await $0.insertAccount(sameEmail, passwordHash: "h") }
            }
            #expect(try await store.autocommit.accountCount() == 1)
            var updated = alice
            updated.isEmailVerified = true
            updated.isResetRequired = true
            updated.antiPhishingPhrase = "blue heron"
            try await store.autocommit.updateAccount(updated)
            #expect(try await store.autocommit.account(id: alice.id) == updated)
            #expect(try await store.autocommit.searchAccounts("LIC", limit: 10).map(\.id) == [alice.id])
            #expect(try await store.autocommit.searchAccounts("%", limit: 10).isEmpty)
        }
    }

    @Test("a failed transaction leaves nothing behind", arguments: Backend.allCases)
    func rollback(backend: Backend) async throws {
        struct Boom: Error {}
        try await withStore(backend) { (store: SQLStore) async throws in
            await #expect(throws: Boom.self) {
                try await store.transaction { tx in
                    try await tx.insertAccount(makeAccount("carol"), passwordHash: "h")
                    try await tx.enqueueMail(
                        OutboxMessage(
                            id: "m1", recipient: "c@example.com", subject: "s", textBody: "t", htmlBody: "h",
                            kind: "k", createdAt: now, nextAttemptAt: now))
                    throw Boom()
                }
            }
            #expect(try await store.autocommit.accountCount() == 0)
            #expect(try await store.autocommit.dueMail(now: now, limit: 10).isEmpty)
        }
    }

    @Test("credentials: password history keeps the retired hashes, newest first", arguments: Backend.allCases)
    func credentials(backend: Backend) async throws {
        try await withStore(backend) { (store: SQLStore) async throws in
            let dave = makeAccount("dave")
            try await store.transaction { try await $0.insertAccount(dave, passwordHash: "h1") }
            try await store.transaction { try await $0.setPasswordHash(accountID: dave.id, hash: "h2", at: now) }
            try await store.transaction { try await $0.setPasswordHash(accountID: dave.id, hash: "h3", at: now) }
            try await store.autocommit.replacePasswordHash(accountID: dave.id, hash: "h3b")
            #expect(try await store.autocommit.passwordHash(accountID: dave.id) == "h3b")
            #expect(try await store.autocommit.passwordHistory(accountID: dave.id, limit: 5) == ["h2", "h1"])
            #expect(try await store.autocommit.passwordHistory(accountID: dave.id, limit: 1) == ["h2"])
        }
    }

    @Test("devices: found only by digest while live; revoke one, revoke all but one", arguments: Backend.allCases)
    func devices(backend: Backend) async throws {
        try await withStore(backend) { (store: SQLStore) async throws in
            let erin = makeAccount("erin")
            try await store.transaction { tx in
                try await tx.insertAccount(erin, passwordHash: "h")
                try await tx.insertDevice(makeDevice("d1", account: erin.id), tokenDigest: "digest1")
                try await tx.insertDevice(makeDevice("d2", account: erin.id, client: "c2"), tokenDigest: "digest2")
                try await tx.insertDevice(makeDevice("d3", account: erin.id, client: "c3"), tokenDigest: "digest3")
            }
            #expect(try await store.autocommit.device(tokenDigest: "digest1")?.id == "d1")
            #expect(try await store.autocommit.devices(accountID: erin.id).count == 3)
            try await store.autocommit.setKnownDigest(deviceID: "d2", digest: "known2")
            #expect(try await store.autocommit.isKnownDevice(accountID: erin.id, knownDigest: "known2"))
            #expect(!(try await store.autocommit.isKnownDevice(accountID: erin.id, knownDigest: "known9")))
            #expect(!(try await store.autocommit.isKnownDevice(accountID: "someone-else", knownDigest: "known2")))
            #expect(try await store.autocommit.revokeDevice(id: "d1", accountID: erin.id, at: now))
            #expect(!(try await store.autocommit.revokeDevice(id: "d1", accountID: erin.id, at: now)))
            #expect(!(try await store.autocommit.revokeDevice(id: "d2", accountID: "someone-else", at: now)))
            #expect(try await store.autocommit.device(tokenDigest: "digest1") == nil)
            let revoked = try await store.autocommit.revokeDevices(accountID: erin.id, keeping: "d3", at: now)
            #expect(revoked == ["d2"])
            #expect(try await store.autocommit.devices(accountID: erin.id).map(\.id) == ["d3"])
            try await store.autocommit.touchDevice(id: "d3", at: now.addingTimeInterval(60), ipAddress: "198.51.100.7")
            let seen = try await store.autocommit.device(id: "d3")
            #expect(seen?.ipAddress == "198.51.100.7")
            #expect(seen?.lastSeenAt == now.addingTimeInterval(60))
        }
    }

    @Test("one-time tokens: single use, expiry, a newer token voids the older", arguments: Backend.allCases)
    func tokens(backend: Backend) async throws {
        try await withStore(backend) { (store: SQLStore) async throws in
            let token = OneTimeToken(
                purpose: .passwordReset, accountID: "a1", digest: "t1", payload: "",
                expiresAt: now.addingTimeInterval(60))
            try await store.autocommit.issueToken(token)
            #expect(try await store.autocommit.peekToken(purpose: .passwordReset, digest: "t1", now: now) != nil)
            #expect(try await store.autocommit.peekToken(purpose: .verifyEmail, digest: "t1", now: now) == nil)
            #expect(
                try await store.autocommit.peekToken(
                    purpose: .passwordReset, digest: "t1", now: now.addingTimeInterval(61)) == nil)
            var newer = token
            newer.digest = "t2"
            try await store.autocommit.issueToken(newer)
            #expect(try await store.autocommit.consumeToken(purpose: .passwordReset, digest: "t1", now: now) == nil)
            #expect(
                try await store.autocommit.consumeToken(purpose: .passwordReset, digest: "t2", now: now)?.accountID
                    == "a1"
            )
            #expect(try await store.autocommit.consumeToken(purpose: .passwordReset, digest: "t2", now: now) == nil)
            var challenge = token
            challenge.purpose = .signInChallenge
            challenge.digest = "c1"
            try await store.autocommit.issueToken(challenge)
            #expect(try await store.autocommit.countTokenAttempt(purpose: .signInChallenge, digest: "c1") == 1)
            #expect(try await store.autocommit.countTokenAttempt(purpose: .signInChallenge, digest: "c1") == 2)
        }
    }

    @Test("audit: chains per account verify, and an edit is detected", arguments: Backend.allCases)
    func audit(backend: Backend) async throws {
        try await withStore(backend) { (store: SQLStore) async throws in
            for index in 0..<5 {
                try await store.transaction { tx in
                    try await tx.appendAudit(
                        AuditRecord(accountID: "a1", kind: .signIn, ipAddress: "192.0.2.\(index)"),
                        at: now.addingTimeInterval(Double(index)))
                    try await tx.appendAudit(
                        AuditRecord(accountID: nil, kind: .signInFailed, ipAddress: "203.0.113.1"), at: now)
                }
            }
            let chain = try await store.autocommit.auditChain("a1")
            #expect(chain.count == 5)
            #expect(AuditChain.verify(chain) == nil)
            #expect(try await store.autocommit.auditChains().sorted() == ["-", "a1"])
            #expect(
                try await store.autocommit.auditEvents(chain: "a1", limit: 2).map(\.ipAddress) == [
                    "192.0.2.4", "192.0.2.3",
                ])
            try await store.execute(
                "UPDATE audit_events SET ip_address = '10.9.9.9' WHERE chain = 'a1' AND ip_address = '192.0.2.2'")
            #expect(AuditChain.verify(try await store.autocommit.auditChain("a1")) != nil)
        }
    }

    @Test("outbox: due order, sent once, failures back off and can give up", arguments: Backend.allCases)
    func outbox(backend: Backend) async throws {
        try await withStore(backend) { (store: SQLStore) async throws in
            for index in 0..<3 {
                try await store.autocommit.enqueueMail(
                    OutboxMessage(
                        id: "m\(index)", recipient: "r@example.com", subject: "s\(index)", textBody: "t", htmlBody: "h",
                        kind: "k", createdAt: now.addingTimeInterval(Double(index)), nextAttemptAt: now))
            }
            #expect(try await store.autocommit.dueMail(now: now, limit: 10).map(\.id) == ["m0", "m1", "m2"])
            try await store.autocommit.markMailSent(id: "m0", at: now)
            try await store.autocommit.markMailFailed(
                id: "m1", error: "421", nextAttemptAt: now.addingTimeInterval(30), giveUp: false)
            try await store.autocommit.markMailFailed(id: "m2", error: "550", nextAttemptAt: now, giveUp: true)
            #expect(try await store.autocommit.dueMail(now: now, limit: 10).isEmpty)
            #expect(try await store.autocommit.dueMail(now: now.addingTimeInterval(30), limit: 10).map(\.id) == ["m1"])
            let counts = try await store.autocommit.mailCounts()
            #expect(counts.pending == 1 && counts.sent == 1 && counts.failed == 1)
        }
    }

    @Test("throttle: failures count up and clear", arguments: Backend.allCases)
    func throttle(backend: Backend) async throws {
        try await withStore(backend) { (store: SQLStore) async throws in
            #expect(try await store.autocommit.throttleState(key: "ip:1") == nil)
            try await store.autocommit.recordThrottleFailure(key: "ip:1", at: now)
            try await store.autocommit.recordThrottleFailure(key: "ip:1", at: now.addingTimeInterval(5))
            let state = try await store.autocommit.throttleState(key: "ip:1")
            #expect(state?.failures == 2)
            #expect(state?.lastFailure == now.addingTimeInterval(5))
            try await store.autocommit.recordThrottleFailure(key: "ip:1", at: now.addingTimeInterval(200_000))
            #expect(try await store.autocommit.throttleState(key: "ip:1")?.failures == 1)
            try await store.autocommit.clearThrottle(key: "ip:1")
            #expect(try await store.autocommit.throttleState(key: "ip:1") == nil)
        }
    }

    @Test("two-factor: a time step is claimed once; recovery codes work once", arguments: Backend.allCases)
    func twoFactor(backend: Backend) async throws {
        try await withStore(backend) { (store: SQLStore) async throws in
            let fay = makeAccount("fay")
            try await store.transaction { try await $0.insertAccount(fay, passwordHash: "h") }
            try await store.autocommit.saveTOTPEnrollment(
                TOTPEnrollment(accountID: fay.id, sealedSecret: "sealed", confirmedAt: nil, lastUsedStep: 0))
            #expect(try await store.autocommit.totpEnrollment(accountID: fay.id)?.isConfirmed == false)
            try await store.autocommit.confirmTOTP(accountID: fay.id, at: now, step: 100)
            #expect(try await store.autocommit.totpEnrollment(accountID: fay.id)?.isConfirmed == true)
            #expect(!(try await store.autocommit.claimTOTPStep(accountID: fay.id, step: 100)))
            #expect(try await store.autocommit.claimTOTPStep(accountID: fay.id, step: 101))
            #expect(!(try await store.autocommit.claimTOTPStep(accountID: fay.id, step: 101)))
            try await store.autocommit.replaceRecoveryCodes(accountID: fay.id, digests: ["r1", "r2"], at: now)
            #expect(try await store.autocommit.useRecoveryCode(accountID: fay.id, digest: "r1", at: now))
            #expect(!(try await store.autocommit.useRecoveryCode(accountID: fay.id, digest: "r1", at: now)))
            #expect(try await store.autocommit.remainingRecoveryCodes(accountID: fay.id) == 1)
            try await store.autocommit.deleteTOTP(accountID: fay.id)
            #expect(try await store.autocommit.totpEnrollment(accountID: fay.id) == nil)
        }
    }

    @Test("incidents: batches advance a cursor exactly once", arguments: Backend.allCases)
    func incidents(backend: Backend) async throws {
        try await withStore(backend) { (store: SQLStore) async throws in
            try await store.transaction { tx in
                for index in 0..<5 {
                    try await tx.insertAccount(makeAccount("user\(index)"), passwordHash: "h")
                    try await tx.insertDevice(
                        makeDevice("dev\(index)", account: "acc-user\(index)"), tokenDigest: "dg\(index)")
                }
            }
            let incident = Incident(
                id: "inc1", reason: "test", scope: .all, forceReset: true, signOutAll: true, notify: false, banner: "b",
                state: .running, cursor: "", processed: 0, total: 5, createdAt: now, resolvedAt: nil)
            try await store.autocommit.insertIncident(incident, targets: [])
            let stored = try #require(try await store.autocommit.incident(id: "inc1"))
            #expect(stored.forceReset && stored.scope == .all)
            let batch = try await store.autocommit.incidentBatch(stored, limit: 3)
            #expect(batch.count == 3)
            let ids = batch.map(\.id)
            // The bulk primitives an incident's batch is made of, each owned by its domain's store.
            let moved = try await store.transaction { tx -> Bool in
                guard try await tx.advanceIncident(stored, to: ids[2], count: 3) else { return false }
                try await tx.requireReset(accountIDs: ids)
                try await tx.voidTokens(purpose: .passwordReset, accountIDs: ids)
                try await tx.revokeEverything(accountIDs: ids, at: now)
                try await tx.enqueueMail([])
                try await tx.appendAudit(
                    kind: .incidentApplied, detail: "incident inc1", ipAddress: "operator", toChains: ids, at: now)
                return true
            }
            #expect(moved)
            let after = try #require(try await store.autocommit.incident(id: "inc1"))
            #expect(after.processed == 3 && after.cursor == ids[2])
            // A second run that read the old cursor does not move it (and so writes nothing else).
            #expect(!(try await store.transaction { tx in try await tx.advanceIncident(stored, to: ids[2], count: 3) }))
            #expect(try await store.autocommit.incident(id: "inc1")?.processed == 3)
            #expect(try await store.autocommit.account(id: batch[0].id)?.isResetRequired == true)
            #expect(try await store.autocommit.devices(accountID: batch[0].id).isEmpty)
            #expect(try await store.autocommit.devices(accountID: "acc-user3").count == 1)
            #expect(try await store.autocommit.latestFullRevocation(accountID: batch[0].id, serverID: nil) != nil)
            #expect(
                try await store.autocommit.auditChain(batch[0].id).map(\.kind) == [
                    AuditEvent.Kind.incidentApplied.rawValue
                ])
            #expect(try await store.autocommit.incidentBatch(after, limit: 10).count == 2)
            #expect(try await store.autocommit.activeBanners() == ["b"])
            #expect(AuditChain.verify(try await store.autocommit.auditChain(batch[0].id)) == nil)
            try await store.autocommit.setIncidentState(id: "inc1", state: .resolved, at: now)
            #expect(try await store.autocommit.activeBanners().isEmpty)
        }
    }
}

extension StoreContractTests {
    @Test("throttle: several keys read in one query", arguments: Backend.allCases)
    func throttleStates(backend: Backend) async throws {
        try await withStore(backend) { (store: SQLStore) async throws in
            try await store.autocommit.recordThrottleFailure(key: "ip:9", at: now)
            try await store.autocommit.recordThrottleFailure(key: "id:x", at: now)
            try await store.autocommit.recordThrottleFailure(key: "id:x", at: now)
            let states = try await store.autocommit.throttleStates(keys: ["ip:9", "id:x", "id:none"])
            #expect(states["ip:9"]?.failures == 1 && states["id:x"]?.failures == 2 && states["id:none"] == nil)
        }
    }

    @Test(
        "trust chain: expired claims are purged; signed advisories and release lists come back as stored",
        arguments: Backend.allCases)
    func trustChain(backend: Backend) async throws {
        try await withStore(backend) { (store: SQLStore) async throws in
            for (code, expires) in [("old", now.addingTimeInterval(-1)), ("live", now.addingTimeInterval(600))] {
                try await store.autocommit.insertClaim(
                    ServerClaim(
                        codeDigest: code, name: code, version: "1.0.0", platform: "linux", url: "",
                        credentialDigest: "digest-" + code, expiresAt: expires))
            }
            #expect(try await store.autocommit.purgeExpiredClaims(before: now) == 1)
            #expect(try await store.autocommit.purgeExpiredClaims(before: now) == 0)
            #expect(try await store.autocommit.purgeExpiredClaims(before: now.addingTimeInterval(600)) == 1)
            let signed = SignedAdvisory(advisory: "eyJ9", keyID: "r1", signature: "c2ln")
            try await store.autocommit.insertAdvisory(
                Advisory(
                    id: "GH-1", affected: "<1.0.0", fixed: "1.0.0", severity: "high", summary: "s", createdAt: now,
                    signed: signed))
            #expect(try await store.autocommit.advisories().map(\.signed) == [signed])
            for sequence in [Int64(5), 9, 7] {
                try await store.autocommit.storeReleaseList(
                    sequence: sequence, signed: SignedReleaseList(list: "l\(sequence)", keyID: "r1", signature: "s"))
            }
            #expect(try await store.autocommit.recentReleaseLists(limit: 2).map(\.sequence) == [9, 7])
            #expect(try await store.autocommit.recentReleaseLists(limit: 1).first?.signed.list == "l9")
        }
    }
}
