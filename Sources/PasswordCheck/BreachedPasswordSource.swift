/// Something that can tell whether a password appears in a corpus of breached passwords.
///
/// Implementations receive only the SHA-1 of the (NFKC-normalised, UTF-8 encoded) password, never the password.
public protocol BreachedPasswordSource: Sendable {
    /// Returns whether the password whose SHA-1 digest is `sha1` (20 bytes) is known to be breached.
    ///
    /// Throws when the source cannot answer (for example a network failure with a fail-closed client).
    func isBreached(sha1: [UInt8]) async throws -> Bool
}

extension BreachedPasswordSource {
    /// Returns whether `password` (already normalised by the caller) is known to be breached.
    public func isBreached(password: String) async throws -> Bool {
        try await isBreached(sha1: SHA1.hash(password))
    }
}

/// Reads the leading 64 bits of a SHA-1 digest as a big-endian integer, the key the local index stores.
func leading64Bits(of sha1: [UInt8]) -> UInt64? {
    guard sha1.count == 20 else { return nil }
    var value: UInt64 = 0
    for index in 0..<8 {
        value = value << 8 | UInt64(sha1[index])
    }
    return value
}
