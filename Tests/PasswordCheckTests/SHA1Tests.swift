import Testing

@testable import PasswordCheck

@Suite("SHA-1")
struct SHA1Tests {
    private func hex(_ bytes: [UInt8]) -> String { SHA1.hexString(bytes).lowercased() }

    @Test("FIPS 180 and common test vectors")
    func knownVectors() {
        #expect(hex(SHA1.hash("")) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(hex(SHA1.hash("abc")) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(
            hex(SHA1.hash("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))
                == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
        #expect(
            hex(SHA1.hash("The quick brown fox jumps over the lazy dog"))
                == "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12")
        #expect(hex(SHA1.hash("password")) == "5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8")
        #expect(hex(SHA1.hash("pässwörd")) == "f517ddf1d32a112ff1ad55c66d1b12cb38e7e8f7")
    }

    @Test("One million 'a' (FIPS 180 long message), fed in uneven pieces")
    func millionA() {
        var hasher = SHA1()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 999)
        var remaining = 1_000_000
        while remaining > 0 {
            let take = min(remaining, chunk.count)
            hasher.update(chunk[0..<take])
            remaining -= take
        }
        #expect(hex(hasher.finalize()) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
    }

    /// Expected digests from Python's hashlib for the bytes 0, 1, ..., n-1: the lengths around the padding edge.
    @Test(
        "Padding boundaries agree with hashlib",
        arguments: [
            (55, "8ae2d46729cfe68ff927af5eec9c7d1b66d65ac2"), (56, "636e2ec698dac903498e648bd2f3af641d3c88cb"),
            (63, "6d942da0c4392b123528f2905c713a3ce28364bd"), (64, "c6138d514ffa2135bfce0ed0b8fac65669917ec7"),
            (65, "69bd728ad6e13cd76ff19751fde427b00e395746"), (119, "41c89d06001bab4ab78736b44efe7ce18ce6ae08"),
            (120, "d3dbd653bd8597b7475321b60a36891278e6a04a"),
        ])
    func paddingBoundaries(length: Int, expected: String) {
        #expect(hex(SHA1.hash((0..<length).map { UInt8($0) })) == expected)
    }
}
