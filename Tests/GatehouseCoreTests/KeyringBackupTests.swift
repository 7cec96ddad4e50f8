import Foundation
import Testing

@testable import GatehouseCore

@Suite("Keyring export (passphrase-sealed) and the keyring check a database keeps")
struct KeyringBackupTests {
    /// Cheap KDF settings for tests; the command uses ``KeyringExport/defaultParameters``.
    static func sealCheaply(_ ring: Keyring, _ passphrase: String) throws -> KeyringExport {
        try KeyringExport.seal(ring, passphrase: passphrase, memoryKiB: 64, iterations: 1)
    }

    @Test func exportRoundTripsWithThePassphraseOnly() throws {
        var ring = Keyring.generate()
        ring.rotate()
        let export = try Self.sealCheaply(ring, "a passphrase long enough")
        let reread = try KeyringExport.parse(try export.encoded())
        #expect(try reread.open(passphrase: "a passphrase long enough") == ring)
        #expect(throws: KeyringExport.Error.self) { try reread.open(passphrase: "a passphrase long enougH") }
        #expect(throws: KeyringExport.Error.self) { try reread.open(passphrase: "") }
    }

    @Test func exportHoldsNoKeyMaterialInTheClear() throws {
        let ring = Keyring.generate()
        let text = try Self.sealCheaply(ring, "another passphrase").encoded()
        for key in ring.peppers + ring.dataKeys + ring.signingKeys {
            #expect(text.range(of: Data(key.material)) == nil)
            #expect(text.range(of: Data(Encoding.hex(key.material).utf8)) == nil)
            #expect(text.range(of: Data(Data(key.material).base64EncodedString().utf8)) == nil)
        }
    }

    @Test func editedParametersOrSaltDoNotOpen() throws {
        let ring = Keyring.generate()
        let export = try Self.sealCheaply(ring, "edit me not")
        var cheaper = export
        cheaper.kdf.memoryKiB = 32
        #expect(throws: KeyringExport.Error.self) { try cheaper.open(passphrase: "edit me not") }
        var salted = export
        salted.kdf.salt = Data(SecureRandom.bytes(16)).base64EncodedString()
        #expect(throws: KeyringExport.Error.self) { try salted.open(passphrase: "edit me not") }
        var flipped = export
        var bytes = Array(Data(base64Encoded: export.sealed)!)
        bytes[bytes.count / 2] ^= 1
        flipped.sealed = Data(bytes).base64EncodedString()
        #expect(throws: KeyringExport.Error.self) { try flipped.open(passphrase: "edit me not") }
    }

    @Test func absurdParametersAreRefusedBeforeAnyWork() throws {
        var export = try Self.sealCheaply(Keyring.generate(), "planted")
        export.kdf.memoryKiB = 1 << 30
        #expect(throws: KeyringExport.Error.self) { try KeyringExport.parse(try export.encoded()) }
        #expect(throws: KeyringExport.Error.self) { try KeyringExport.parse(Data("{}".utf8)) }
    }

    @Test func keyringCheckTellsTheRightKeyringAndSurvivesRotation() throws {
        var ring = Keyring.generate()
        let stored = KeyringCheck.value(for: ring)
        #expect(KeyringCheck.evaluate(keyring: ring, stored: stored, samples: []).isMatch)
        ring.rotate()
        #expect(KeyringCheck.value(for: ring) == stored)
        let other = Keyring.generate()
        #expect(KeyringCheck.evaluate(keyring: other, stored: stored, samples: []).isMismatch)
        #expect(
            "\(KeyringCheck.evaluate(keyring: other, stored: stored, samples: []))".hasPrefix(
                "keyring does not match this database"))
        // The value is a MAC, not key material.
        for key in ring.peppers + ring.dataKeys + ring.signingKeys {
            #expect(!stored.contains(Encoding.hex(key.material)))
        }
    }

    @Test func sealedValuesWitnessTheKeyringWithoutAStoredCheck() throws {
        let ring = Keyring.generate()
        let sealed = try SecretBox(keyring: ring).seal(Array("JBSWY3DPEHPK3PXP".utf8), owner: "acct1")
        let sample = KeyringCheck.SealedSample(sealed: sealed, owner: "acct1", what: "a two-factor secret")
        #expect(KeyringCheck.evaluate(keyring: ring, stored: nil, samples: [sample]).isMatch)
        #expect(KeyringCheck.evaluate(keyring: Keyring.generate(), stored: nil, samples: [sample]).isMismatch)
        #expect(KeyringCheck.evaluate(keyring: ring, stored: nil, samples: []) == .unknown)
    }
}
