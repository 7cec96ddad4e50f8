import Crypto
import Foundation
import GatehouseBasics

/// The "This wasn't me" link every security mail carries: `ghx1.<payload>.<mac>`, where the payload names the
/// account, a random link id and the expiry, and the MAC is HMAC-SHA-256 (first 16 bytes) under a key derived
/// from the keyring's first pepper for this purpose only.
///
/// Nothing of it is stored when the mail is written: a copy of the database (outbox included, whose bodies are
/// sealed) gives no usable link, and the hub can still check one without a lookup. Single use is kept by the id
/// of each used link (`lock_links_used`), which outlives the link's 7 days.
public struct LockLinkSigner: Sendable {
    /// How long a link works.
    public static let lifetime: TimeInterval = 7 * 86_400
    static let prefix = "ghx1"
    /// Longest token accepted before any work (account id, link id, expiry, MAC, in base64url).
    static let maximumBytes = 256

    private let key: SymmetricKeyBox

    public init(secret: [UInt8]) {
        key = SymmetricKeyBox(
            HKDF<SHA256>.deriveKey(
                inputKeyMaterial: SymmetricKey(data: secret), info: Array("gatehouse lock link v1".utf8),
                outputByteCount: 32))
    }

    /// What a valid link says.
    public struct Claims: Sendable, Equatable {
        public var accountID: String
        public var linkID: String
        public var expiresAt: Date
    }

    /// A new link token for `accountID`, valid ``lifetime`` from `now`.
    public func token(accountID: String, now: Date) -> String {
        let expiry = Int64(now.addingTimeInterval(Self.lifetime).timeIntervalSince1970)
        let payload = accountID + "|" + SecureRandom.identifier() + "|" + String(expiry)
        let encoded = Encoding.base64URL(Array(payload.utf8))
        return Self.prefix + "." + encoded + "." + Encoding.base64URL(mac(encoded))
    }

    /// The claims of a well-formed token with a valid MAC that has not expired at `now`; nil otherwise. The MAC is
    /// compared in constant time and checked before the payload is read.
    public func open(_ token: String, now: Date) -> Claims? {
        guard token.utf8.count <= Self.maximumBytes else { return nil }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == Self.prefix, let given = Encoding.bytes(base64URL: String(parts[2]))
        else { return nil }
        let encoded = String(parts[1])
        guard ConstantTime.equals(given, mac(encoded)), let payload = Encoding.bytes(base64URL: encoded),
            let text = String(bytes: payload, encoding: .utf8)
        else { return nil }
        let fields = text.split(separator: "|", omittingEmptySubsequences: false)
        guard fields.count == 3, !fields[0].isEmpty, !fields[1].isEmpty, let expiry = Int64(fields[2]) else {
            return nil
        }
        let expiresAt = Date(timeIntervalSince1970: TimeInterval(expiry))
        guard now < expiresAt else { return nil }
        return Claims(accountID: String(fields[0]), linkID: String(fields[1]), expiresAt: expiresAt)
    }

    private func mac(_ encodedPayload: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array(encodedPayload.utf8), using: key.key).prefix(16))
    }
}

/// `SymmetricKey` is immutable after creation; swift-crypto does not mark it `Sendable`.
final class SymmetricKeyBox: @unchecked Sendable {
    let key: SymmetricKey
    init(_ key: SymmetricKey) { self.key = key }
}
