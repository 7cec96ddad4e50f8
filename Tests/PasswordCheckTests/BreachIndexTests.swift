import Foundation
import Testing

@testable import PasswordCheck

@Suite("Breach index: import and lookup")
struct BreachIndexTests {
    private func sha1Hex(_ password: String) -> String { SHA1.hexString(SHA1.hash(password)) }

    @Test("Full HASH:COUNT lines: present passwords are found, absent ones are not")
    func fullLayout() async throws {
        let directory = try TemporaryDirectory()
        let breached = ["password", "hunter2", "correct horse battery staple", "Tr0ub4dor&3"]
        let text = breached.map { sha1Hex($0) + ":\(Int.random(in: 1...9999))" }.joined(separator: "\r\n")
        let input = try directory.write("pwned.txt", text)
        let index = directory.file("breach.idx")
        let summary = try BreachIndexBuilder().build(inputs: [input], destination: index)
        #expect(summary.distinctHashes == 4)

        let opened = try BreachIndex(path: index)
        #expect(opened.count == 4)
        for password in breached {
            #expect(try await opened.isBreached(password: password))
        }
        for password in ["Password", "hunter3", "a unique passphrase nobody used", ""] {
            #expect(try await !opened.isBreached(password: password))
        }
    }

    @Test("Range layout: files named by prefix with SUFFIX:COUNT lines; padding (count 0) is skipped")
    func rangeLayout() async throws {
        let directory = try TemporaryDirectory()
        let target = sha1Hex("letmein")
        let prefix = String(target.prefix(5))
        let padded = sha1Hex("padded-only")
        var lines = [String(target.dropFirst(5)) + ":42"]
        // A padding line under the same prefix must not make its hash count as breached.
        let paddingSuffix = String(padded.dropFirst(5))
        lines.append(paddingSuffix + ":0")
        let input = try directory.write(prefix + ".txt", lines.joined(separator: "\n") + "\n")
        let other = sha1Hex("dragon")
        let second = try directory.write(String(other.prefix(5)), String(other.dropFirst(5)).lowercased() + ":7")
        let index = directory.file("range.idx")
        let summary = try BreachIndexBuilder().build(inputs: [input, second], destination: index)
        #expect(summary.distinctHashes == 2)
        #expect(summary.linesSkipped == 1)

        let opened = try BreachIndex(path: index)
        #expect(opened.contains(sha1: SHA1.hash("letmein")))
        #expect(opened.contains(sha1: SHA1.hash("dragon")))
        #expect(!opened.contains(sha1: SHA1.hash("padded-only")))
        #expect(!opened.contains(sha1: SHA1.hash("letmein2")))
    }

    @Test("Both layouts in one import, duplicates merged, minimum count honoured")
    func mixedLayoutsAndMinimumCount() throws {
        let directory = try TemporaryDirectory()
        let common = sha1Hex("123456")
        let rare = sha1Hex("rarely-leaked")
        let full = try directory.write("all.txt", "\(common):1000\n\(rare):1\n\(common):1000\n")
        let range = try directory.write(String(common.prefix(5)) + ".txt", String(common.dropFirst(5)) + ":1000")
        let everything = directory.file("all.idx")
        #expect(try BreachIndexBuilder().build(inputs: [full, range], destination: everything).distinctHashes == 2)

        let filtered = directory.file("filtered.idx")
        let summary = try BreachIndexBuilder(minimumCount: 10).build(inputs: [full, range], destination: filtered)
        #expect(summary.distinctHashes == 1)
        let opened = try BreachIndex(path: filtered)
        #expect(opened.minimumCount == 10)
        #expect(opened.contains(sha1: SHA1.hash("123456")))
        #expect(!opened.contains(sha1: SHA1.hash("rarely-leaked")))
    }

    @Test("Many hashes across read chunks: every one found, random others not, about 8 bytes a hash")
    func largeImport() throws {
        let directory = try TemporaryDirectory()
        var generator = SystemRandomNumberGenerator()
        var digests: [[UInt8]] = []
        var text = ""
        for _ in 0..<60_000 {
            let digest = (0..<20).map { _ in UInt8.random(in: 0...255, using: &generator) }
            digests.append(digest)
            text += SHA1.hexString(digest) + ":\(Int.random(in: 1...100, using: &generator))\n"
        }
        // Over 2.6 MB, so lines straddle the 1 MiB read chunks.
        let input = try directory.write("big.txt", text)
        let index = directory.file("big.idx")
        let reports = ProgressLog()
        let summary = try BreachIndexBuilder().build(inputs: [input], destination: index) { progress in
            reports.append(progress)
        }
        #expect(summary.distinctHashes == 60_000)
        #expect(Double(summary.indexBytes) / 60_000 < 8.1)
        let phases = reports.all.map(\.phase)
        #expect(phases.first == .reading)
        #expect(phases.last == .finished)
        #expect(reports.all.contains { $0.phase == .sorting && $0.partitionsDone == 256 })

        let opened = try BreachIndex(path: index)
        #expect(digests.allSatisfy { opened.contains(sha1: $0) })
        let strangers = (0..<10_000).map { _ in (0..<20).map { _ in UInt8.random(in: 0...255, using: &generator) } }
        #expect(strangers.filter { opened.contains(sha1: $0) }.isEmpty)
    }

    @Test("Import replaces an existing index atomically and leaves no temporary files")
    func atomicReplace() throws {
        let directory = try TemporaryDirectory()
        let index = directory.file("breach.idx")
        let first = try directory.write("one.txt", sha1Hex("first") + ":3")
        _ = try BreachIndexBuilder().build(inputs: [first], destination: index)
        let before = try BreachIndex(path: index)

        let second = try directory.write("two.txt", sha1Hex("second") + ":3")
        _ = try BreachIndexBuilder().build(inputs: [second], destination: index)
        let after = try BreachIndex(path: index)
        #expect(after.contains(sha1: SHA1.hash("second")))
        #expect(!after.contains(sha1: SHA1.hash("first")))
        // The old mapping stays valid for readers that opened it before the rename.
        #expect(before.contains(sha1: SHA1.hash("first")))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.contains(".tmp-") || $0.contains(".import-") }
        #expect(leftovers.isEmpty)
    }

    @Test("Malformed input is refused with its line; a failed import keeps the old index")
    func malformedInput() throws {
        let directory = try TemporaryDirectory()
        let index = directory.file("breach.idx")
        let good = try directory.write("good.txt", sha1Hex("kept") + ":1")
        _ = try BreachIndexBuilder().build(inputs: [good], destination: index)

        let bad = try directory.write("bad.txt", sha1Hex("fine") + ":1\nnot-a-hash:3\n")
        #expect(throws: BreachIndexBuilder.ImportError.malformedLine(path: bad, line: 2)) {
            try BreachIndexBuilder().build(inputs: [bad], destination: index)
        }
        let noPrefix = try directory.write("suffixes.txt", String(sha1Hex("x").dropFirst(5)) + ":1")
        #expect(throws: BreachIndexBuilder.ImportError.missingPrefix(path: noPrefix)) {
            try BreachIndexBuilder().build(inputs: [noPrefix], destination: index)
        }
        #expect(try BreachIndex(path: index).contains(sha1: SHA1.hash("kept")))
    }

    @Test("Opening something that is not an index fails cleanly")
    func notAnIndex() throws {
        let directory = try TemporaryDirectory()
        let junk = try directory.write("junk.idx", String(repeating: "x", count: 200))
        #expect(throws: BreachIndex.OpenError.notAnIndex(path: junk)) { try BreachIndex(path: junk) }
        #expect(throws: BreachIndex.OpenError.self) { try BreachIndex(path: directory.file("missing.idx")) }
    }
}

/// Collects progress reports from the import callback.
private final class ProgressLog: @unchecked Sendable {
    // Unchecked Sendable: every access to `reports` holds `lock`.
    private let lock = NSLock()
    private var reports: [BreachIndexBuilder.Progress] = []

    func append(_ progress: BreachIndexBuilder.Progress) {
        lock.withLock { reports.append(progress) }
    }

    var all: [BreachIndexBuilder.Progress] { lock.withLock { reports } }
}
