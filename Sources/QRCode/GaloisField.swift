/// Arithmetic in GF(2^8) modulo x^8 + x^4 + x^3 + x^2 + 1 (0x11D), the field QR codes use.
enum GaloisField {
    /// `exponents[i]` is alpha^i for i in 0..<255 (alpha = 2), repeated once so sums of two logs need no modulo.
    static let exponents: [UInt8] = {
        var table = [UInt8](repeating: 0, count: 510)
        var value = 1
        for index in 0..<255 {
            table[index] = UInt8(value)
            table[index + 255] = UInt8(value)
            value <<= 1
            if value & 0x100 != 0 {
                value ^= 0x11D
            }
        }
        return table
    }()

    /// `logarithms[v]` is i such that alpha^i == v, for v in 1...255 (entry 0 is unused).
    static let logarithms: [Int] = {
        var table = [Int](repeating: 0, count: 256)
        for index in 0..<255 {
            table[Int(exponents[index])] = index
        }
        return table
    }()

    static func multiply(_ lhs: UInt8, _ rhs: UInt8) -> UInt8 {
        if lhs == 0 || rhs == 0 {
            return 0
        }
        return exponents[logarithms[Int(lhs)] + logarithms[Int(rhs)]]
    }
}
