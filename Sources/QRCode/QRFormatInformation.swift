/// The BCH-protected format and version information words (ISO/IEC 18004 sections 7.9 and 7.10, Annex C and D).
enum QRFormatInformation {
    /// The 15-bit format word for a level and mask: 5 data bits, 10 BCH(15,5) bits, XORed with 0x5412 so that
    /// no combination is all light.
    static func formatBits(correction: QRCode.ErrorCorrection, mask: Int) -> Int {
        let data = correction.formatBits << 3 | mask
        return (data << 10 | bchRemainder(data, generator: 0b101_0011_0111, degree: 10)) ^ 0b101_0100_0001_0010
    }

    /// The 18-bit version word: 6 version bits then 12 BCH(18,6) bits.
    static func versionBits(version: Int) -> Int {
        version << 12 | bchRemainder(version, generator: 0b1_1111_0010_0101, degree: 12)
    }

    /// The remainder of value(x) * x^degree divided by generator(x), over GF(2).
    private static func bchRemainder(_ value: Int, generator: Int, degree: Int) -> Int {
        var remainder = value << degree
        var bit = Int.bitWidth - 1 - remainder.leadingZeroBitCount
        while bit >= degree {
            if (remainder >> bit) & 1 == 1 {
                remainder ^= generator << (bit - degree)
            }
            bit -= 1
        }
        return remainder
    }
}
