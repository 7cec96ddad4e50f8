import Argon2
import Foundation

/// Keyed Argon2id password hashes in PHC form, with the pepper's key id inside:
/// `$argon2id$v=19$m=19456,t=2,p=1,keyid=cDE$salt$tag`.
///
/// Hashing runs on a ``WorkPool`` sized to the cores with pooled Argon2 memory (faulted in by its first hash,
/// released after a minute idle); past the pool's queue bound callers get ``WorkPool/Overloaded`` (503) instead
/// of an unbounded queue.
public final class Argon2PasswordHasher: PasswordHashing {
    public enum Error: Swift.Error {
        case unknownPepper(String)
    }

    public let parameters: Argon2.Parameters
    private let keyring: Keyring
    private let pool: WorkPool
    private let hasher: Argon2Hasher
    private let dummy: PHCString

    /// - Parameters:
    ///   - parameters: cost for new hashes; at least OWASP's minimum (m=19456 KiB, t=2, p=1) in production.
    ///   - pool: where hashing runs.
    public init(keyring: Keyring, parameters: Argon2.Parameters = .owaspMinimum, pool: WorkPool) throws {
        self.keyring = keyring
        self.parameters = parameters
        self.pool = pool
        self.hasher = Argon2Hasher(maxConcurrent: pool.threads)
        let pepper = keyring.currentPepper
        self.dummy = try PHCString.make(
            password: SecureRandom.bytes(16), salt: SecureRandom.bytes(16), parameters: parameters,
            secret: pepper.material, keyID: Array(pepper.id.utf8), using: hasher)
    }

    public func hash(_ password: String) async throws -> String {
        let pepper = keyring.currentPepper
        let parameters = self.parameters
        let hasher = self.hasher
        let bytes = Array(password.utf8)
        return try await pool.run {
            try PHCString.make(
                password: bytes, salt: SecureRandom.bytes(16), parameters: parameters, secret: pepper.material,
                keyID: Array(pepper.id.utf8), using: hasher
            ).description
        }
    }

    public func verify(_ password: String, against storedHash: String) async throws -> PasswordVerification {
        guard let phc = try? PHCString(parsing: storedHash) else { return .invalid }
        let keyID = phc.keyID.map { String(decoding: $0, as: UTF8.self) }
        let secret: [UInt8]
        if let keyID {
            guard let pepper = keyring.pepper(id: keyID) else { throw Error.unknownPepper(keyID) }
            secret = pepper.material
        } else {
            secret = []
        }
        let hasher = self.hasher
        let bytes = Array(password.utf8)
        let matches = try await pool.run { try phc.verify(password: bytes, secret: secret, using: hasher) }
        guard matches else { return .invalid }
        let stale = phc.needsRehash(for: parameters) || keyID != keyring.currentPepper.id
        return .valid(needsRehash: stale)
    }

    public func verifyDummy(_ password: String) async throws {
        let dummy = self.dummy
        let hasher = self.hasher
        let secret = keyring.currentPepper.material
        let bytes = Array(password.utf8)
        _ = try await pool.run { try dummy.verify(password: bytes, secret: secret, using: hasher) }
    }
}
