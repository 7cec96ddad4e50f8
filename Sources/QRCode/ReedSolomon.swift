/// Reed-Solomon error-correction codewords for one block (ISO/IEC 18004 section 7.5.2).
struct ReedSolomon {
    /// Coefficients of the generator polynomial (x - a^0)(x - a^1)...(x - a^(degree-1)), highest power first,
    /// leading 1 omitted.
    let generator: [UInt8]

    init(degree: Int) {
        // Start from the polynomial 1 and multiply in one root at a time.
        var coefficients: [UInt8] = [1]
        for root in 0..<degree {
            let factor = GaloisField.exponents[root]
            var product = [UInt8](repeating: 0, count: coefficients.count + 1)
            for (index, coefficient) in coefficients.enumerated() {
                product[index] ^= coefficient
                product[index + 1] ^= GaloisField.multiply(coefficient, factor)
            }
            coefficients = product
        }
        generator = Array(coefficients.dropFirst())
    }

    /// The remainder of data(x) * x^degree divided by the generator: the error-correction codewords.
    func remainder(of data: some Collection<UInt8>) -> [UInt8] {
        var remainder = [UInt8](repeating: 0, count: generator.count)
        for byte in data {
            let factor = byte ^ remainder[0]
            remainder.removeFirst()
            remainder.append(0)
            if factor != 0 {
                for index in remainder.indices {
                    remainder[index] ^= GaloisField.multiply(generator[index], factor)
                }
            }
        }
        return remainder
    }
}
