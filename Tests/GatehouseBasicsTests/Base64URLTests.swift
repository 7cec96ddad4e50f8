import Foundation
import GatehouseBasics
import Testing

@Suite("Base64URL")
struct Base64URLTests {
    /// The decoder this one replaced, on Foundation: the alphabet mapped to standard base64, padded, then
    /// `Data(base64Encoded:)`. Used here as the oracle.
    static func foundationDecode(_ text: String) -> [UInt8]? {
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        guard !standard.contains("=") || standard.hasSuffix("=") else { return nil }
        while standard.count % 4 != 0 { standard.append("=") }
        return Data(base64Encoded: standard).map(Array.init)
    }

    @Test("RFC 4648 test vectors, in the URL alphabet, unpadded and padded")
    func vectors() {
        let cases = [
            "": "", "f": "Zg", "fo": "Zm8", "foo": "Zm9v", "foob": "Zm9vYg", "fooba": "Zm9vYmE", "foobar": "Zm9vYmFy",
        ]
        for (plain, encoded) in cases {
            #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
            #expect(Base64URL.decode(encoded) == Array(plain.utf8))
            let padded = encoded + String(repeating: "=", count: (4 - encoded.count % 4) % 4)
            #expect(Base64URL.decode(padded) == Array(plain.utf8))
        }
        #expect(Base64URL.decode("-_8") == [0xFB, 0xFF])
    }

    @Test("every length of random bytes survives a round trip")
    func roundTrip() {
        var generator = SystemRandomNumberGenerator()
        for length in 0...96 {
            for _ in 0..<20 {
                let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
                #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
            }
        }
    }

    /// Whether `text` is padded as base64 allows: no `=` at all, or just enough to complete the last group (`xx=`,
    /// `xx==`, `xxx=`), and no group of one character.
    static func wellFormedPadding(_ text: String) -> Bool {
        let padding = text.reversed().prefix { $0 == "=" }.count
        let remainder = (text.count - padding) % 4
        if remainder == 1 { return false }
        return padding == 0 || (remainder >= 2 && padding <= 4 - remainder)
    }

    @Test(
        "on 30,000 random strings it answers as Foundation's decoder did, and refuses the excess padding Foundation let through"
    )
    func agreesWithFoundation() {
        // Foundation's decoder on Linux takes "=" for a zero byte and accepts any run of trailing "=" ("AOVp==", "tYI=="):
        // this decoder refuses those, and agrees everywhere else.
        #expect(Self.foundationDecode("=") == [0])
        #expect(Base64URL.decode("=") == nil)
        #expect(Base64URL.decode("AOVp==") == nil)
        let pool = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/==.! é")
        var generator = SystemRandomNumberGenerator()
        var disagreements: [String] = []
        var compared = 0
        for _ in 0..<30_000 {
            let length = Int.random(in: 0...14, using: &generator)
            var text = String((0..<length).map { _ in pool.randomElement(using: &generator)! })
            // Valid-looking shapes are rare by chance: half the time, end on a valid group with some padding.
            if Bool.random(using: &generator) {
                text = String(text.filter { $0.isASCII && ($0.isLetter || $0.isNumber) })
                text += String(repeating: "=", count: Int.random(in: 0...3, using: &generator))
            }
            if Self.wellFormedPadding(text) {
                compared += 1
                if Base64URL.decode(text) != Self.foundationDecode(text) { disagreements.append(text) }
            } else if Base64URL.decode(text) != nil {
                disagreements.append(text)
            }
        }
        #expect(compared > 10_000)
        #expect(disagreements.isEmpty, "\(disagreements.prefix(10))")
    }
}
