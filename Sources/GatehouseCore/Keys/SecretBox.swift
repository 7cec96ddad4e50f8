import Crypto
import Foundation

/// Encrypts small secrets at rest (TOTP seeds) with AES-256-GCM under the keyring's data key.
///
/// The sealed form is `keyID:base64url(nonce|ciphertext|tag)`; the owner (e.g. the account id) is bound as
/// associated data, so a sealed secret copied onto another account does not open.
public struct SecretBox: Sendable {
    public enum Error: Swift.Error {
        case malformed
        case unknownKey
        case authenticationFailed
    }

    private let keyring: Keyring

    public init(keyring: Keyring) {
        self.keyring = keyring
    }

    /// Seals `plaintext`, binding `owner`.
    public func seal(_ plaintext: [UInt8], owner: String) throws -> String {
        let key = keyring.currentDataKey
        let box = try AES.GCM.seal(
            plaintext, using: SymmetricKey(data: key.material), authenticating: Array(owner.utf8))
        guard let combined = box.combined else { throw Error.malformed }
        return key.id + ":" + Encoding.base64URL(combined)
    }

    /// Opens a value made by ``seal(_:owner:)`` for the same `owner`.
    public func open(_ sealed: String, owner: String) throws -> [UInt8] {
        let parts = sealed.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, let bytes = Encoding.bytes(base64URL: parts[1]) else { throw Error.malformed }
        guard let key = keyring.dataKey(id: parts[0]) else { throw Error.unknownKey }
        do {
            let box = try AES.GCM.SealedBox(combined: bytes)
            let plain = try AES.GCM.open(
                box, using: SymmetricKey(data: key.material), authenticating: Array(owner.utf8))
            return Array(plain)
        } catch {
            throw Error.authenticationFailed
        }
    }
}
