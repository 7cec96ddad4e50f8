import Crypto
import Foundation

/// One of the hub's Ed25519 public keys, kept as its raw 32 bytes so it can cross concurrency domains.
public struct HubPublicKey: Sendable, Equatable {
    /// Errors creating a key.
    public enum Failure: Error, Equatable {
        case invalidKey
    }

    /// The raw 32-byte key.
    public let rawRepresentation: [UInt8]

    /// Wraps a swift-crypto key.
    public init(_ key: Curve25519.Signing.PublicKey) {
        rawRepresentation = Array(key.rawRepresentation)
    }

    /// Validates and wraps a raw key.
    public init(rawRepresentation raw: [UInt8]) throws(Failure) {
        guard raw.count == 32, (try? Curve25519.Signing.PublicKey(rawRepresentation: raw)) != nil else {
            throw .invalidKey
        }
        rawRepresentation = raw
    }

    /// Whether `signature` is a valid Ed25519 signature of `message` under this key.
    func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: rawRepresentation) else { return false }
        return key.isValidSignature(signature, for: message)
    }
}
