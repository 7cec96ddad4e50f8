import Argon2
import Foundation
import Testing

@testable import GatehouseCore

/// Attacks on stored password hashes and on the hasher's settings (issue 12), one test per attack.
@Suite("Password hashing attacks")
struct PasswordHashingAttackTests {
    let keyring = Keyring.generate()
    var pepperID: String { keyring.currentPepper.id }

    /// A hash planted in the database with an enormous cost is refused before any hashing: with a pool that
    /// refuses every job (queue limit 0), hashing would throw ``WorkPool/Overloaded``; the answer is `.invalid`,
    /// at once.
    @Test func plantedHashWithHugeCostIsRefusedWithoutHashing() async throws {
        let pool = WorkPool(threads: 1, queueLimit: 0)
        defer { pool.shutdown() }
        let hasher = try Argon2PasswordHasher(
            keyring: keyring, parameters: cheap, pool: pool, logger: CapturedLogs().logger)
        let planted = [
            plantedHash(memoryKiB: 1 << 20, iterations: Int(UInt32.max), keyID: pepperID),
            plantedHash(memoryKiB: 64, iterations: Int(UInt32.max), keyID: pepperID),
            plantedHash(memoryKiB: 1 << 20, iterations: 1, keyID: pepperID),
            plantedHash(memoryKiB: 4 * 64 + 1, iterations: 1, keyID: pepperID),
            plantedHash(memoryKiB: 64, iterations: 4 + 1, keyID: pepperID),
            plantedHash(memoryKiB: 64, iterations: 1, parallelism: 5, keyID: pepperID),
            plantedHash(memoryKiB: 64, iterations: 1, keyID: pepperID, saltLength: 4),
            plantedHash(memoryKiB: 64, iterations: 1, keyID: pepperID, saltLength: 1000),
            plantedHash(memoryKiB: 64, iterations: 1, keyID: pepperID, tagLength: 2000),
            "$argon2id$v=19$m=64,t=1,p=1,keyid=cDE$" + String(repeating: "A", count: 5000) + "$AAAA",
        ]
        let start = ContinuousClock.now
        for stored in planted {
            #expect(try await hasher.verify("guess", against: stored, accountID: "acct_planted") == .invalid)
        }
        #expect(ContinuousClock.now - start < .milliseconds(500))

        #expect(throws: Argon2PasswordHasher.Refusal.costTooHigh) { _ = try hasher.screen(planted[0]) }
        #expect(throws: Argon2PasswordHasher.Refusal.costTooHigh) { _ = try hasher.screen(planted[3]) }
        #expect(throws: Argon2PasswordHasher.Refusal.costTooHigh) { _ = try hasher.screen(planted[4]) }
        #expect(throws: Argon2PasswordHasher.Refusal.parallelismTooHigh) { _ = try hasher.screen(planted[5]) }
        #expect(throws: Argon2PasswordHasher.Refusal.sizeOutOfRange) { _ = try hasher.screen(planted[6]) }
        #expect(throws: Argon2PasswordHasher.Refusal.sizeOutOfRange) { _ = try hasher.screen(planted[8]) }
        #expect(throws: Argon2PasswordHasher.Refusal.malformed) { _ = try hasher.screen(planted[9]) }
        // Exactly 4x the configured memory and passes, and 4 lanes, is still a hash the hub may have written.
        _ = try hasher.screen(plantedHash(memoryKiB: 4 * 64, iterations: 4, parallelism: 4, keyID: pepperID))
    }

    /// A hash made without the keyring's pepper (no `keyid`) is refused even for the right password, and the
    /// refusal is logged once per account, without the hash or the password.
    @Test func unkeyedPHCStringIsRefused() async throws {
        let pool = WorkPool(threads: 1, queueLimit: 8)
        defer { pool.shutdown() }
        let logs = CapturedLogs()
        let hasher = try Argon2PasswordHasher(keyring: keyring, parameters: cheap, pool: pool, logger: logs.logger)
        let password = "correct horse battery staple"
        let keyed = try storedHash(password, keyring: keyring, keyID: pepperID)
        #expect(try await hasher.verify(password, against: keyed, accountID: "acct_1") == .valid(needsRehash: false))

        let unkeyed = try storedHash(password, keyring: keyring, keyID: nil)
        for _ in 0..<3 {
            #expect(try await hasher.verify(password, against: unkeyed, accountID: "acct_2") == .invalid)
        }
        #expect(try await hasher.verify(password, against: unkeyed, accountID: "acct_3") == .invalid)
        #expect(try await hasher.verify(password, against: unkeyed) == .invalid)
        #expect(throws: Argon2PasswordHasher.Refusal.unkeyed) { _ = try hasher.screen(unkeyed) }

        let warnings = logs.all.filter { $0.hasPrefix("warning") }
        #expect(warnings.count == 3, "once for acct_2, once for acct_3, once for the hash without an account")
        #expect(warnings.filter { $0.contains("account=acct_2") }.count == 1)
        #expect(warnings.allSatisfy { $0.contains("reason=unkeyed") })
        let tag = try #require(unkeyed.split(separator: "$").last)
        for line in logs.all {
            #expect(!line.contains(password) && !line.contains(tag) && !line.contains(unkeyed))
        }
    }

    /// An unknown account's dummy verification costs what real accounts' verifications cost: the configured
    /// parameters, and after a cost change, the parameters most accounts' stored hashes still have.
    @Test func dummyHashUsesConfiguredCost() async throws {
        let pool = WorkPool(threads: 1, queueLimit: 16)
        defer { pool.shutdown() }
        let old = Argon2.Parameters(memoryKiB: 128, iterations: 2, parallelism: 1)
        let new = Argon2.Parameters(memoryKiB: 256, iterations: 3, parallelism: 1)
        let hasher = try Argon2PasswordHasher(
            keyring: keyring, parameters: new, pool: pool, logger: CapturedLogs().logger)
        #expect(hasher.dummyParameters() == new)
        try await hasher.verifyDummy("anything")

        // The cost was raised: three accounts still have old-cost hashes, one has a new one.
        for account in ["a", "b", "c"] {
            let stored = try storedHash("pw-" + account, parameters: old, keyring: keyring, keyID: pepperID)
            #expect(try await hasher.verify("pw-" + account, against: stored, accountID: account).isValid)
        }
        let fresh = try storedHash("pw-d", parameters: new, keyring: keyring, keyID: pepperID)
        #expect(try await hasher.verify("pw-d", against: fresh, accountID: "d") == .valid(needsRehash: false))
        #expect(hasher.dummyParameters() == old)

        // Repeated attempts on one account weigh nothing; rehashed accounts move the dummy to the new cost.
        for _ in 0..<5 { _ = try await hasher.verify("wrong", against: fresh, accountID: "d") }
        #expect(hasher.dummyParameters() == old)
        for account in ["a", "b"] {
            let rehashed = try storedHash("pw-" + account, parameters: new, keyring: keyring, keyID: pepperID)
            _ = try await hasher.verify("pw-" + account, against: rehashed, accountID: account)
        }
        #expect(hasher.dummyParameters() == new)
        // Refused (planted) hashes never count.
        let planted = plantedHash(memoryKiB: 4096, iterations: 64, keyID: pepperID)
        for index in 0..<10 { _ = try await hasher.verify("x", against: planted, accountID: "p\(index)") }
        #expect(hasher.dummyParameters() == new)
    }

    /// The floor `HubRuntime.open` applies before anything else: OWASP's minimum pairs, unless overridden.
    @Test func weakArgon2SettingsRefusedAtStart() throws {
        func check(_ memory: Int, _ passes: Int, allowWeak: Bool = false) -> Bool {
            let parameters = Argon2.Parameters(memoryKiB: memory, iterations: passes, parallelism: 1)
            return (try? Argon2PasswordHasher.checkSettings(parameters, allowWeak: allowWeak)) != nil
        }
        for (memory, passes) in [(19_456, 2), (12_288, 3), (9_216, 4), (7_168, 5), (47_104, 1)] {
            #expect(check(memory, passes), "m=\(memory) t=\(passes) is OWASP's minimum")
            #expect(!check(memory - 1, passes), "m=\(memory - 1) t=\(passes) is below it")
        }
        #expect(check(65_536, 3))
        #expect(check(7_168, 40))
        #expect(!check(19_456, 1))
        #expect(!check(64, 1))
        #expect(!check(8, 1_000))
        #expect(check(64, 1, allowWeak: true), "the test/dev override")
        #expect(!check(2 << 20, 2, allowWeak: true), "above the hasher's memory limit, override or not")
        #expect(!check(19_456, 0, allowWeak: true), "invalid, override or not")
        let argon2i = Argon2.Parameters(variant: .i, memoryKiB: 19_456, iterations: 2, parallelism: 1)
        #expect(throws: Argon2PasswordHasher.WeakSettings.self) { try Argon2PasswordHasher.checkSettings(argon2i) }
    }
}
