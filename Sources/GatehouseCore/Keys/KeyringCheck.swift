import Crypto
import Foundation
import GatehouseBasics

/// Tells whether a keyring is the one a database was written with, without revealing anything about the keys.
///
/// The hub stores ``value(for:)`` in the database (`hub_facts.keyring_check`) the first time it starts with a
/// keyring: an HMAC-SHA-256 of a fixed label under a key derived (HKDF) from the keyring's *first* pepper, data key
/// and signing key. Rotation only appends keys, so the value stays the same for the life of a keyring. A copy of the
/// database cannot use it to learn or confirm any key (each input key is 256 random bits), but the right keyring
/// reproduces it exactly, and any other keyring does not.
///
/// Sealed values already in the database (TOTP seeds, sealed mail bodies) are a second witness, for databases
/// written before the check existed.
public enum KeyringCheck {
    /// The name of the row in `hub_facts`.
    public static let factName = "keyring_check"

    /// What comparing a keyring with a database found.
    public enum Verdict: Sendable, Equatable, CustomStringConvertible {
        /// The stored check value matches, or a sealed value from the database opened with this keyring.
        case matches(evidence: String)
        /// The stored check value differs, or sealed values from the database do not open.
        case mismatch(evidence: String)
        /// Nothing in the database depends on a keyring yet (no check value, no sealed value).
        case unknown

        public var isMatch: Bool { if case .matches = self { return true } else { return false } }
        public var isMismatch: Bool { if case .mismatch = self { return true } else { return false } }

        public var description: String {
            switch self {
            case .matches(let evidence): "keyring matches this database (\(evidence))"
            case .mismatch(let evidence):
                "keyring does not match this database (\(evidence)): no password, device, two-factor secret, "
                    + "recovery code or mailed link made before will verify"
            case .unknown: "nothing in this database depends on a keyring yet"
            }
        }
    }

    /// A sealed value found in the database and the owner it is bound to.
    public struct SealedSample: Sendable {
        public let sealed: String
        public let owner: String
        public let what: String

        public init(sealed: String, owner: String, what: String) {
            self.sealed = sealed
            self.owner = owner
            self.what = what
        }
    }

    /// The check value of `keyring`: `v1:` and 64 hex digits.
    public static func value(for keyring: Keyring) -> String {
        let key = SymmetricKey(data: checkKey(for: keyring))
        let mac = HMAC<SHA256>.authenticationCode(for: Array("this database belongs to this keyring".utf8), using: key)
        return "v1:" + Encoding.hex(mac)
    }

    /// The key the check value is a MAC under: derived (HKDF) from the keyring's first pepper, data key and signing
    /// key, or the copy the keyring kept when one of those was retired (``Keyring/retire(id:valuesInUse:now:)``).
    public static func checkKey(for keyring: Keyring) -> [UInt8] {
        if let kept = keyring.checkKey { return kept }
        let material = keyring.peppers[0].material + keyring.dataKeys[0].material + keyring.signingKeys[0].material
        let key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: material), info: Array("gatehouse keyring check v1".utf8),
            outputByteCount: 32)
        return key.withUnsafeBytes { Array($0) }
    }

    /// Compares `keyring` with what the database holds: the stored check value first, then sealed values.
    public static func evaluate(keyring: Keyring, stored: String?, samples: [SealedSample]) -> Verdict {
        if let stored {
            return ConstantTime.equals(stored, value(for: keyring))
                ? .matches(evidence: "the stored keyring check")
                : .mismatch(evidence: "the stored keyring check differs")
        }
        guard let sample = samples.first else { return .unknown }
        let box = SecretBox(keyring: keyring)
        var opened = 0
        for sample in samples where (try? box.open(sample.sealed, owner: sample.owner)) != nil { opened += 1 }
        if opened == samples.count { return .matches(evidence: "\(opened) sealed values open, e.g. \(sample.what)") }
        return .mismatch(evidence: "\(samples.count - opened) of \(samples.count) sealed values do not open")
    }
}
