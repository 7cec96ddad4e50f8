@testable import QRCode

/// A deterministic generator (SplitMix64) so a failing oracle case can be reproduced.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}

/// Inputs for the zbarimg oracle: every version 1...40 at every level, random lengths, and otpauth URIs.
struct OracleCase: Sendable, CustomStringConvertible {
    let text: String
    let correction: QRCode.ErrorCorrection
    let expectedVersion: Int?

    var description: String {
        let preview = text.count > 40 ? String(text.prefix(40)) + "..." : text
        let version = expectedVersion.map { "v\($0)" } ?? "any version"
        return "\(correction) \(version), \(text.utf8.count) bytes \(preview.debugDescription)"
    }

    /// Non-ASCII pieces: Latin-1 letters, other scripts, symbols and an emoji, 2 to 4 bytes each in UTF-8.
    static let nonASCII = ["é", "ß", "ü", "€", "Ω", "д", "日本", "한", "→", "😀", "ñ", "✓"]

    static func all() -> [OracleCase] {
        var random = SplitMix64(seed: 0x6761_7465_686F_7573)
        var cases: [OracleCase] = []
        // One case per (version, level), with a length that needs exactly that version.
        for version in QRCode.versions {
            for correction in QRCode.ErrorCorrection.allCases {
                let withUnicode = (version + correction.rawValue) % 3 == 0
                // Non-ASCII text carries a 12-bit ECI header, which the capacities must leave room for.
                let headerBits = withUnicode ? QRSegmentEncoder.eciHeaderBits : 0
                func capacity(_ version: Int) -> Int {
                    QRVersionTable.byteCapacity(version: version, correction: correction, headerBits: headerBits)
                }
                let low = version == 1 ? 1 : capacity(version - 1) + 1
                let length = Int.random(in: low...capacity(version), using: &random)
                let text = randomText(byteCount: length, nonASCII: withUnicode, using: &random)
                cases.append(OracleCase(text: text, correction: correction, expectedVersion: version))
            }
        }
        // Short strings of any length up to 120 bytes, where authenticator URIs live.
        for index in 0..<40 {
            let length = Int.random(in: 2...120, using: &random)
            let text = randomText(byteCount: length, nonASCII: index % 2 == 0, using: &random)
            cases.append(OracleCase(text: text, correction: .allCases[index % 4], expectedVersion: nil))
        }
        for index in 0..<24 {
            cases.append(
                OracleCase(text: otpauthURI(using: &random), correction: .allCases[index % 4], expectedVersion: nil)
            )
        }
        return cases
    }

    /// Random text of exactly `byteCount` UTF-8 bytes: printable ASCII, or if asked, a non-ASCII letter first
    /// (so the text is never all ASCII) and more non-ASCII pieces among the ASCII.
    static func randomText(byteCount: Int, nonASCII: Bool, using random: inout SplitMix64) -> String {
        var text = ""
        var bytes = 0
        if nonASCII && byteCount >= 2 {
            text = "é"
            bytes = 2
        }
        while bytes < byteCount {
            if nonASCII, Int.random(in: 0..<6, using: &random) == 0,
                let piece = Self.nonASCII.randomElement(using: &random), bytes + piece.utf8.count <= byteCount
            {
                text += piece
                bytes += piece.utf8.count
            } else {
                text.unicodeScalars.append(Unicode.Scalar(UInt8.random(in: 0x20...0x7E, using: &random)))
                bytes += 1
            }
        }
        return text
    }

    /// A URI as authenticator apps scan it (Key Uri Format), with a random 20-byte secret in base32.
    static func otpauthURI(using random: inout SplitMix64) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        let secret = String((0..<32).map { _ in alphabet[Int.random(in: 0..<32, using: &random)] })
        let users = ["alice", "bob.smith", "carol+media", "d", "eve_the_admin", "frank%40example.org"]
        let user = users[Int.random(in: 0..<users.count, using: &random)]
        let issuer = ["Gatehouse", "Gatehouse%20Home", "My%20Media%20Hub"][Int.random(in: 0..<3, using: &random)]
        return "otpauth://totp/\(issuer):\(user)?secret=\(secret)&issuer=\(issuer)&algorithm=SHA1&digits=6&period=30"
    }
}
