import ArgumentParser
import Foundation
import PasswordCheck

/// `gatehouse passwords`: build the breach index and check passwords from the command line.
struct PasswordsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "passwords",
        abstract: "Build the breached-password index and check password strength.",
        subcommands: [Import.self, Check.self, Lookup.self]
    )

    /// `gatehouse passwords import FILE... [--index PATH]`
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import Pwned Passwords text files (HASH:COUNT, or range files named by prefix) into an index.")

        @Argument(help: "Corpus files in the Pwned Passwords text format.")
        var files: [String]

        @Option(help: "Index file to write (replaced atomically).")
        var index: String = "breached-passwords.idx"

        @Option(help: "Leave out hashes seen fewer times than this.")
        var minimumCount: UInt64 = 1

        func run() async throws {
            let builder = BreachIndexBuilder(minimumCount: minimumCount)
            let started = ContinuousClock.now
            let summary = try builder.build(inputs: files, destination: index) { progress in
                let line: String
                switch progress.phase {
                case .reading:
                    let percent = progress.totalBytes == 0 ? 100 : progress.bytesRead * 100 / progress.totalBytes
                    line = "reading: \(percent)% (\(progress.hashesRead) hashes)"
                case .sorting:
                    line = "sorting and writing: \(progress.partitionsDone)/256 partitions"
                case .finished:
                    line = "done"
                }
                FileHandle.standardError.write(Data((line + "\n").utf8))
            }
            let seconds = (ContinuousClock.now - started).components.seconds
            let perHash =
                summary.distinctHashes == 0 ? 0 : Double(summary.indexBytes) / Double(summary.distinctHashes)
            FileHandle.standardError.write(
                Data(
                    """
                    imported \(summary.distinctHashes) distinct hashes from \(summary.linesAccepted) lines \
                    (\(summary.linesSkipped) skipped) in \(seconds) s; index \(summary.indexBytes) bytes \
                    (\(String(format: "%.3f", perHash)) bytes/hash), input \(summary.inputBytes) bytes\n
                    """.utf8))
        }
    }

    /// `gatehouse passwords check`: one password a line on stdin, one JSON object a line on stdout.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Estimate the strength of passwords read one per line from standard input (JSON lines out).")

        @Option(name: .customLong("user-input"), help: "A word about the account (user name, email); repeatable.")
        var userInputs: [String] = []

        @Option(help: "A breach index to look each password up in.")
        var index: String?

        struct Output: Encodable {
            var score: Int
            // swift-format-ignore: AlwaysUseLowerCamelCase
            // (zxcvbn's own field name, which scripts comparing the two read)
            var guesses_log10: Double
            var warning: String?
            var suggestions: [String]
            var common: Bool
            var breached: Bool?
        }

        func run() async throws {
            let estimator = StrengthEstimator()
            let breachIndex = try index.map { try BreachIndex(path: $0) }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            while let line = readLine(strippingNewline: true) {
                let strength = estimator.estimate(line, userInputs: userInputs)
                let output = Output(
                    score: strength.score, guesses_log10: strength.guessesLog10, warning: strength.warning,
                    suggestions: strength.suggestions, common: CommonPasswords.contains(line),
                    breached: breachIndex?.contains(sha1: SHA1.hash(line)))
                var data = try encoder.encode(output)
                data.append(0x0A)
                FileHandle.standardOutput.write(data)
            }
        }
    }

    /// `gatehouse passwords lookup --index PATH`: SHA-1 hashes (40 hex) on stdin, `HASH true|false` on stdout.
    struct Lookup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Look SHA-1 hashes (one per line, 40 hex digits) up in a breach index.")

        @Option(help: "The breach index.")
        var index: String

        @Flag(help: "Print lookup timings (median and 99th percentile, nanoseconds) as JSON on standard error.")
        var stats = false

        func run() async throws {
            let breachIndex = try BreachIndex(path: index)
            var hashes: [[UInt8]] = []
            var lines: [String] = []
            while let line = readLine(strippingNewline: true) {
                guard let digest = Self.digest(fromHex: line) else {
                    throw ValidationError("not a 40-digit SHA-1: \(line)")
                }
                hashes.append(digest)
                lines.append(line)
            }
            var found = [Bool](repeating: false, count: hashes.count)
            var timings = [Int64](repeating: 0, count: hashes.count)
            let clock = ContinuousClock()
            for (position, digest) in hashes.enumerated() {
                let start = clock.now
                found[position] = breachIndex.contains(sha1: digest)
                let elapsed = clock.now - start
                timings[position] =
                    elapsed.components.seconds * 1_000_000_000
                    + elapsed.components.attoseconds / 1_000_000_000
            }
            var output = ""
            for (line, isFound) in zip(lines, found) {
                output += "\(line) \(isFound)\n"
            }
            FileHandle.standardOutput.write(Data(output.utf8))
            if stats, !timings.isEmpty {
                let sorted = timings.sorted()
                let median = sorted[sorted.count / 2]
                let p99 = sorted[min(sorted.count - 1, sorted.count * 99 / 100)]
                let json = "{\"count\": \(sorted.count), \"median_ns\": \(median), \"p99_ns\": \(p99)}\n"
                FileHandle.standardError.write(Data(json.utf8))
            }
        }

        static func digest(fromHex hex: String) -> [UInt8]? {
            let digits = Array(hex.utf8)
            guard digits.count == 40 else { return nil }
            var bytes: [UInt8] = []
            for index in stride(from: 0, to: 40, by: 2) {
                guard let byte = UInt8(String(decoding: digits[index..<(index + 2)], as: UTF8.self), radix: 16)
                else { return nil }
                bytes.append(byte)
            }
            return bytes
        }
    }
}
