import Foundation
import GatehouseCore
import GatehouseStore
import Logging
import Testing

@Suite("The keyring check a database keeps, and the SQLite online backup")
struct KeyringCheckStoreTests {
    @Test("the first keyring is recorded; another keyring is told apart at once", arguments: Backend.allCases)
    func firstKeyringIsRecordedAndAnotherIsRefused(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let ring = Keyring.generate()
            #expect(try await store.keyringVerdict(ring) == .unknown)
            #expect(try await store.checkKeyring(ring).isMatch)
            #expect(try await store.fact(KeyringCheck.factName) == KeyringCheck.value(for: ring))
            let other = Keyring.generate()
            let verdict = try await store.checkKeyring(other)
            #expect(verdict.isMismatch)
            // A mismatch never overwrites the recorded check.
            #expect(try await store.fact(KeyringCheck.factName) == KeyringCheck.value(for: ring))
            let versions = try await store.appliedSchemaVersions()
            #expect(versions.last == SQLStore.latestSchemaVersion, "\(versions)")
        }
    }

    @Test("without a recorded check, a sealed two-factor secret tells the keyring", arguments: Backend.allCases)
    func sealedSecretsWitnessAnOlderDatabase(_ backend: Backend) async throws {
        try await withStore(backend) { store in
            let ring = Keyring.generate()
            let account = Account(
                id: "acc-w", username: "w", email: "w@example.com", createdAt: Date(epochSeconds: 1_800_000_000))
            try await store.transaction { tx in try await tx.insertAccount(account, passwordHash: "x") }
            let sealed = try SecretBox(keyring: ring).seal(Array("JBSWY3DPEHPK3PXP".utf8), owner: account.id)
            try await store.execute(
                "INSERT INTO totp (account_id, sealed_secret, last_used_step) VALUES ('acc-w', '\(sealed)', 0)")
            #expect(try await store.keyringVerdict(ring).isMatch)
            #expect(try await store.checkKeyring(Keyring.generate()).isMismatch)
            #expect(try await store.fact(KeyringCheck.factName) == nil)
        }
    }

    @Test("the online backup copies a database another connection is writing to")
    func onlineBackupIsConsistent() async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gh-backup-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = folder.appendingPathComponent("db.sqlite").path
        let store = try await SQLStore.open(url: "sqlite:" + source, logger: logger)
        _ = try await store.checkKeyring(Keyring.generate())
        let writer = Task {
            for index in 0..<200 {
                try await store.execute(
                    "INSERT INTO hub_facts (name, value) VALUES ('n\(index)', '\(String(repeating: "x", count: 512))')")
            }
        }
        let copy = folder.appendingPathComponent("copy.sqlite").path
        try SQLStore.backupSQLite(from: source, to: copy)
        try await writer.value
        try await store.shutdown()
        let inspection = try await SQLStore.inspectSQLite(path: copy, logger: logger)
        #expect(inspection.integrity == "ok")
        #expect(inspection.schemaVersions.last == SQLStore.latestSchemaVersion)
        #expect(inspection.keyringCheck != nil)
        let mode = try FileManager.default.attributesOfItem(atPath: copy)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        #expect(throws: (any Error).self) { try SQLStore.backupSQLite(from: source, to: copy) }
    }
}
