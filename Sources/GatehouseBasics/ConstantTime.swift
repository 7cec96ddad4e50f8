/// Comparisons of secrets whose running time does not depend on where (or whether) the inputs differ.
///
/// The one implementation for every module (Argon2, WebAuthn, the hub and the media server): standard library only,
/// so depending on it pulls in nothing else.
public enum ConstantTime {
    /// Whether `a` and `b` hold the same bytes, in time that depends only on their lengths: every byte is visited,
    /// the differences are OR-ed together, and nothing branches on the data (no early exit).
    @inline(never)
    public static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        a.withUnsafeBufferPointer { left in
            b.withUnsafeBufferPointer { right in
                for index in 0..<left.count {
                    difference |= left[index] ^ right[index]
                }
            }
        }
        return difference == 0
    }

    /// ``equals(_:_:)-(UInt8,UInt8)`` on the UTF-8 bytes of two strings.
    public static func equals(_ a: String, _ b: String) -> Bool {
        equals(Array(a.utf8), Array(b.utf8))
    }
}
