import Testing

@testable import QRCode

@Suite struct ReedSolomonTests {
    @Test func annexIExampleOfTheStandard() {
        // ISO/IEC 18004 Annex I: "01234567" as version 1-M, 16 data codewords and 10 error-correction codewords.
        let data: [UInt8] = [
            0x10, 0x20, 0x0C, 0x56, 0x61, 0x80, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11,
        ]
        let expected: [UInt8] = [0xA5, 0x24, 0xD4, 0xC1, 0xED, 0x36, 0xC7, 0x87, 0x2C, 0x55]
        #expect(ReedSolomon(degree: 10).remainder(of: data) == expected)
    }

    @Test func helloWorldVersion1M() {
        // The widely published "HELLO WORLD" 1-M walk-through (thonky.com QR code tutorial).
        let data: [UInt8] = [32, 91, 11, 120, 209, 114, 220, 77, 67, 64, 236, 17, 236, 17, 236, 17]
        let expected: [UInt8] = [196, 35, 39, 119, 235, 215, 231, 226, 93, 23]
        #expect(ReedSolomon(degree: 10).remainder(of: data) == expected)
    }

    @Test func codewordIsDivisibleByTheGenerator() {
        // Data followed by its remainder is a codeword: dividing it again leaves nothing.
        let data: [UInt8] = (0..<40).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        let coder = ReedSolomon(degree: 22)
        let codeword = data + coder.remainder(of: data)
        #expect(coder.remainder(of: codeword) == [UInt8](repeating: 0, count: 22))
    }

    @Test func fieldTablesAreInverse() {
        for value in 1...255 {
            #expect(Int(GaloisField.exponents[GaloisField.logarithms[value]]) == value)
        }
        // alpha^8 = alpha^4 + alpha^3 + alpha^2 + 1 under 0x11D.
        #expect(GaloisField.exponents[8] == 0x1D)
        #expect(GaloisField.multiply(0x80, 2) == 0x1D)
    }

    @Test func interleavingTakesColumnsAcrossBlocks() {
        // Version 5-Q: two blocks of 15 then two of 16 data codewords, 18 error-correction codewords each.
        let data = (0..<62).map { UInt8($0) }
        let result = QRBlockInterleaver.finalCodewords(data: data, version: 5, correction: .quartile)
        #expect(result.count == 134)
        #expect(Array(result.prefix(8)) == [0, 15, 30, 46, 1, 16, 31, 47])
        // After column 14 only the long blocks have a 16th data codeword.
        #expect(Array(result[56..<62]) == [14, 29, 44, 60, 45, 61])
        let firstBlockEC = ReedSolomon(degree: 18).remainder(of: data[0..<15])
        #expect(result[62] == firstBlockEC[0])
        #expect(result[66] == firstBlockEC[1])
    }
}
