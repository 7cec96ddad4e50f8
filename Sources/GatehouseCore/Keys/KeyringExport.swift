import Argon2
import Crypto
import Foundation

/// The keyring sealed under a passphrase, for a copy kept apart from the database's backups.
///
/// Format (JSON, version 1): the key is Argon2id(passphrase, salt, m, t, p) with 32-byte output; the keyring's JSON is
/// sealed with AES-256-GCM under it. Every header field (format, version, KDF and its parameters, salt, cipher) is
/// bound as associated data, so a file whose parameters were edited (say, to a cheaper cost) does not open.
public struct KeyringExport: Codable, Sendable {
    public static let formatName = "gatehouse-keyring-export"

    public struct KDF: Codable, Sendable {
        public var algorithm: String
        public var memoryKiB: Int
        public var iterations: Int
        public var parallelism: Int
        public var salt: String
    }

    public enum Error: Swift.Error, CustomStringConvertible {
        case notAnExport
        case unsupported(String)
        case emptyPassphrase
        case wrongPassphraseOrDamaged
        case notAKeyring

        public var description: String {
            switch self {
            case .notAnExport: "not a Gatehouse keyring export"
            case .unsupported(let what): "unsupported keyring export: \(what)"
            case .emptyPassphrase: "the passphrase is empty"
            case .wrongPassphraseOrDamaged: "the passphrase is wrong or the keyring export is damaged"
            case .notAKeyring: "the keyring export opened but does not hold a usable keyring"
            }
        }
    }

    public var format: String
    public var version: Int
    public var kdf: KDF
    public var cipher: String
    /// base64(nonce | ciphertext | tag).
    public var sealed: String
    public var createdAt: String

    /// The cost of new exports: Argon2id, 64 MiB, 3 passes, one lane (above OWASP's minimum for password storage; a
    /// keyring export is opened rarely and by an operator, so it can afford more).
    public static let defaultParameters = (memoryKiB: 65_536, iterations: 3, parallelism: 1)
    /// Exports asking for more than this are refused before any work (a planted file must not exhaust memory).
    static let maximumMemoryKiB = 4 * 1_048_576
    static let maximumIterations = 64

    /// Seals `keyring` under `passphrase`.
    public static func seal(
        _ keyring: Keyring, passphrase: String, memoryKiB: Int = defaultParameters.memoryKiB,
        iterations: Int = defaultParameters.iterations, now: Date = Date()
    ) throws -> KeyringExport {
        guard !passphrase.isEmpty else { throw Error.emptyPassphrase }
        let salt = SecureRandom.bytes(16)
        var export = KeyringExport(
            format: formatName, version: 1,
            kdf: KDF(
                algorithm: "argon2id", memoryKiB: memoryKiB, iterations: iterations,
                parallelism: defaultParameters.parallelism, salt: Data(salt).base64EncodedString()),
            cipher: "aes-256-gcm", sealed: "", createdAt: ISO8601DateFormatter().string(from: now))
        let key = try export.derivedKey(passphrase: passphrase)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let plain = try encoder.encode(keyring)
        let box = try AES.GCM.seal(plain, using: key, authenticating: export.associatedData)
        guard let combined = box.combined else { throw Error.wrongPassphraseOrDamaged }
        export.sealed = combined.base64EncodedString()
        return export
    }

    /// Reads an export file's bytes (no passphrase needed yet).
    public static func parse(_ data: Data) throws -> KeyringExport {
        guard let export = try? JSONDecoder().decode(KeyringExport.self, from: data), export.format == formatName else {
            throw Error.notAnExport
        }
        guard export.version == 1 else { throw Error.unsupported("version \(export.version)") }
        guard export.kdf.algorithm == "argon2id" else { throw Error.unsupported("KDF \(export.kdf.algorithm)") }
        guard export.cipher == "aes-256-gcm" else { throw Error.unsupported("cipher \(export.cipher)") }
        guard (8...maximumMemoryKiB).contains(export.kdf.memoryKiB),
            (1...maximumIterations).contains(export.kdf.iterations),
            export.kdf.parallelism == 1
        else { throw Error.unsupported("KDF parameters out of range") }
        return export
    }

    /// Opens the export with `passphrase`.
    public func open(passphrase: String) throws -> Keyring {
        guard !passphrase.isEmpty else { throw Error.emptyPassphrase }
        let key = try derivedKey(passphrase: passphrase)
        guard let bytes = Data(base64Encoded: sealed) else { throw Error.wrongPassphraseOrDamaged }
        let plain: Data
        do {
            plain = try AES.GCM.open(AES.GCM.SealedBox(combined: bytes), using: key, authenticating: associatedData)
        } catch {
            throw Error.wrongPassphraseOrDamaged
        }
        guard let keyring = try? JSONDecoder().decode(Keyring.self, from: plain), !keyring.peppers.isEmpty,
            !keyring.dataKeys.isEmpty, !keyring.signingKeys.isEmpty
        else { throw Error.notAKeyring }
        return keyring
    }

    /// The file's bytes.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    var associatedData: [UInt8] {
        Array(
            "\(format) v\(version) \(kdf.algorithm) m=\(kdf.memoryKiB) t=\(kdf.iterations) p=\(kdf.parallelism) salt=\(kdf.salt) \(cipher)"
                .utf8)
    }

    func derivedKey(passphrase: String) throws -> SymmetricKey {
        guard let salt = Data(base64Encoded: kdf.salt), salt.count >= 16 else { throw Error.unsupported("salt") }
        let parameters = Argon2.Parameters(
            variant: .id, memoryKiB: kdf.memoryKiB, iterations: kdf.iterations, parallelism: kdf.parallelism,
            tagLength: 32)
        let normalized = passphrase.precomposedStringWithCompatibilityMapping
        let tag = try Argon2.hash(password: Array(normalized.utf8), salt: Array(salt), parameters: parameters)
        return SymmetricKey(data: tag)
    }
}
