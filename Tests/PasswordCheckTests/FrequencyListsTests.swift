import Foundation
import Testing

@testable import PasswordCheck

/// The word lists are `Sources/PasswordCheck/Embedded/*.txt`, put in the module by the EmbedText plugin.
@Suite("Frequency lists")
struct FrequencyListsTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/PasswordCheck/Embedded")

    @Test("each list file is embedded byte for byte, and nothing else is")
    func filesAreEmbeddedExactly() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path).filter { !$0.hasPrefix(".") }
        #expect(names.sorted() == EmbeddedText.files.keys.sorted())
        for name in names {
            var text = try #require(
                String(data: try Data(contentsOf: Self.folder.appendingPathComponent(name)), encoding: .utf8))
            if text.hasSuffix("\n") { text.removeLast() }
            #expect(Array(EmbeddedText.files[name, default: ""].utf8) == Array(text.utf8), "\(name) differs")
        }
    }

    @Test("every list has zxcvbn 4.5.0's length and order")
    func listsHaveTheirWords() {
        var counts: [FrequencyLists.Name: Int] = [:]
        for entries in FrequencyLists.ranked.values {
            for entry in entries { counts[entry.list, default: 0] += 1 }
        }
        #expect(counts[.passwords] == 30_000)
        #expect(counts[.englishWikipedia] == 30_000)
        #expect(counts[.femaleNames] == 3_712)
        #expect(counts[.surnames] == 10_000)
        #expect(counts[.usTVAndFilm] == 19_160)
        #expect(counts[.maleNames] == 983)
        #expect(FrequencyLists.ranked["123456"]?.first.map { [$0.list.rawValue: $0.rank] } == ["passwords": 1])
        #expect(FrequencyLists.ranked["password"]?.first.map { [$0.list.rawValue: $0.rank] } == ["passwords": 2])
        #expect(FrequencyLists.ranked["the"]?.contains { $0.list == .englishWikipedia && $0.rank == 1 } == true)
        #expect(FrequencyLists.commonPasswords.count == 30_000)
    }
}
