import Testing

@testable import Argon2

@Suite("BLAKE2b")
struct Blake2bTests {
    /// (message length, output length, key length, digest): digests from Python's hashlib.blake2b, an
    /// independent implementation, over message byte i = 7i+3 and key byte i = 5i+1 (mod 256).
    static let vectors: [(Int, Int, Int, String)] = [
        (
            0, 64, 0,
            "786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419"
                + "d25e1031afee585313896444934eb04b903a685b1448b755d56f701afe9be2ce"
        ),
        (
            3, 64, 0,
            "76ce7e90c577d436a65b691e51f0a1ad536130d70a18df3bf5368551327258b6"
                + "f706f4a47c45f2d0d8147cfbb5623077e798247972e4f9338603a13abc05a4db"
        ),
        (1, 32, 0, "e88bd757ad5b9bedf372d8d3f0cf6c962a469db61a265f6418e1ffed86da29ec"),
        (
            127, 64, 0,
            "71546bbf9110ad184cc60f2eb120fcfd9b4dbbca7a7f1270045b8a23a6a4f433"
                + "0f65c1f030dd2f5fabc6c57617242c37cf427bd90407fac5b9deffd3ae888c39"
        ),
        (
            128, 64, 0,
            "2d9e329f42afa3601d646692b81c13e87fcaff5bf15972e9813d7373cb6d181f"
                + "9599f4d513d4af4fd6ebd37497aceb29aba5ee23ed764d8510b552bd088814fb"
        ),
        (
            129, 64, 0,
            "47889df9eb4d717afc5019df5c6a83df00a0b8677395e078cd5778ace0f338a6"
                + "18e68b7d9afb065d9e6a01ccd31d109447e7fae771c3ee3e105709194122ba2b"
        ),
        (
            255, 48, 0,
            "35d2a811855f40526eeca836df8678f0998026b4c7e8695d9fc5e2f6c848e07d"
                + "3e324e00f3cb094336d7b0fddc2aff10"
        ),
        (
            256, 64, 0,
            "91019c558584980249ca43eceed27e19f1c3c24161b93eed1eee2a6a774f60bf"
                + "8a81b43750870bee1698feac9c5336ae4d5c842e7ead159bf3916387e8ded9ae"
        ),
        (1000, 1, 0, "ce"),
        (
            0, 64, 64,
            "4e1bc1a16b76f9eef0fecac679e1d440eeb596ad54c0bd8477cac00e9288f6d2"
                + "7e0222c82543916bfdf8c8946f227ae8878a1cba737f9f720424c02a66160bea"
        ),
        (
            1, 64, 64,
            "4dd2c9031bc33c72668e4b57ad9818f21f16c97bcb1e4b070692b9a3770618ba"
                + "8a706922b842cddd28379628828437a5a0a60f806b78d8efcdd90a149f088938"
        ),
        (
            128, 64, 32,
            "0d8ba3cca1e9b2cf17444f23edb2eb7cf64f74c7cf11882d667412a5f13b3dc6"
                + "5bd0a6bcdb73a6a28a1a0ce1698fb95ea9493c3535b12a328fd445049a7c1a87"
        ),
        (200, 20, 16, "c1fdc12223fc26204d35eb59f48140453eb5c793"),
        (
            3000, 64, 1,
            "f4c9f16f7c1b11b9798173694b36b222797ec271a6db3de8b86b4772f0127de2"
                + "b152e3f27d6342dd3bbd4e0f77863686e76205ed9a0d9250769178948a224519"
        ),
    ]

    static func message(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 * 7 + 3) } }
    static func key(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 * 5 + 1) } }

    @Test("RFC 7693 appendix A: BLAKE2b-512 of \"abc\"")
    func rfcAbc() throws {
        let digest = try Blake2b.hash(Array("abc".utf8))
        #expect(
            Hex.string(digest) == "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
                + "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923")
    }

    @Test("matches hashlib for lengths around block boundaries, keys and output sizes", arguments: vectors)
    func matchesHashlib(_ vector: (Int, Int, Int, String)) throws {
        let (length, outputLength, keyLength, expected) = vector
        let digest = try Blake2b.hash(Self.message(length), outputLength: outputLength, key: Self.key(keyLength))
        #expect(Hex.string(digest) == expected)
    }

    @Test("feeding in pieces gives the same digest as one call")
    func incremental() throws {
        let data = Self.message(1000)
        let whole = try Blake2b.hash(data)
        for pieceLength in [1, 7, 127, 128, 129, 500] {
            var hasher = try Blake2b(outputLength: 64)
            var start = 0
            while start < data.count {
                let end = min(start + pieceLength, data.count)
                hasher.update(Array(data[start..<end]))
                start = end
            }
            #expect(hasher.finalize() == whole)
        }
    }

    @Test("rejects output lengths outside 1...64 and keys over 64 bytes")
    func rejectsBadLengths() {
        #expect(throws: Blake2b.ParameterError.outputLengthOutOfRange(0)) { try Blake2b(outputLength: 0) }
        #expect(throws: Blake2b.ParameterError.outputLengthOutOfRange(65)) { try Blake2b(outputLength: 65) }
        #expect(throws: Blake2b.ParameterError.keyTooLong(65)) {
            try Blake2b(outputLength: 64, key: [UInt8](repeating: 1, count: 65))
        }
    }
}
