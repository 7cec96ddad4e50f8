import Testing

@testable import QRCode

@Suite struct ChecksumTests {
    @Test func crc32KnownValues() {
        // The check value of the CRC-32 catalogue, and zlib.crc32 for the others.
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([]) == 0)
        #expect(CRC32.checksum(Array("The quick brown fox jumps over the lazy dog".utf8)) == 0x414F_A339)
        #expect(CRC32.checksum([UInt8](repeating: 0xFF, count: 1_000_000)) == 0x13FB_DA0D)
        #expect(CRC32.checksum(Array("IEND".utf8)) == 0xAE42_6082)
    }

    @Test func adler32KnownValues() {
        // RFC 1950's algorithm; "Wikipedia" is the usual worked example, the rest are zlib.adler32 values.
        #expect(Adler32.checksum(Array("Wikipedia".utf8)) == 0x11E6_0398)
        #expect(Adler32.checksum([]) == 1)
        // Long enough to need the modulo reductions many times over.
        #expect(Adler32.checksum([UInt8](repeating: 0xFF, count: 1_000_000)) == 0x3843_E1BE)
    }
}
