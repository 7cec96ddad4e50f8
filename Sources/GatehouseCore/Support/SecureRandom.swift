import Crypto
import Foundation

/// Cryptographically secure random bytes and identifiers.
public enum SecureRandom {
    /// `count` random bytes from the system's CSPRNG.
    public static func bytes(_ count: Int) -> [UInt8] {
        // Eight bytes per draw from the system generator (getrandom on Linux), not one.
        var generator = SystemRandomNumberGenerator()
        var out: [UInt8] = []
        out.reserveCapacity(count + 7)
        while out.count < count {
            withUnsafeBytes(of: generator.next() as UInt64) { out.append(contentsOf: $0) }
        }
        out.removeLast(out.count - count)
        return out
    }

    /// A random identifier (128 bits, base64url) used as a primary key.
    ///
    /// Never begins with `-`, so an id typed on a command line (`gatehouse invites revoke ID`) is never taken for an
    /// option: such draws (1 in 64) are drawn again, which leaves about 127.98 bits.
    public static func identifier() -> String {
        while true {
            let id = Encoding.base64URL(bytes(16))
            if id.first != "-" { return id }
        }
    }
}

/// Constant-time comparison of secrets.
public enum ConstantTime {
    /// True when `a` and `b` hold the same bytes; time depends only on the lengths.
    public static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in 0..<a.count { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    /// String form of ``equals(_:_:)`` on UTF-8 bytes.
    public static func equals(_ a: String, _ b: String) -> Bool {
        equals(Array(a.utf8), Array(b.utf8))
    }
}

/// SHA-256 helpers for tokens that are stored only as digests.
public enum Digest {
    /// Lower-case hex SHA-256 of the UTF-8 bytes of `text`.
    public static func sha256Hex(_ text: String) -> String {
        Encoding.hex(SHA256.hash(data: Array(text.utf8)))
    }

    /// Lower-case hex SHA-256 of `bytes`.
    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        Encoding.hex(SHA256.hash(data: bytes))
    }
}
