/// Comparisons whose running time does not depend on where inputs differ.
public enum ConstantTime {
    /// Whether `a` and `b` hold the same bytes, in time that depends only on their lengths.
    @inline(never)
    public static func isEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in 0..<a.count {
            difference |= a[index] ^ b[index]
        }
        return difference == 0
    }
}
