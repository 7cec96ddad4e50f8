/// Finds every dictionary, keyboard, repeat, sequence, year and date pattern in a password.
///
/// The matchers follow zxcvbn's model (Wheeler, "zxcvbn: Low-Budget Password Strength Estimation", USENIX
/// Security 2016) so that scores are comparable with the widely used reference implementation.
struct PatternMatcher: Sendable {
    /// The caller's own words (user name, email parts, service name), ranked by their order.
    let userInputs: [String: Int]
    private let longestUserInput: Int

    init(userInputs: [String]) {
        var ranks: [String: Int] = [:]
        for (offset, input) in userInputs.enumerated() {
            let word = String(String.UnicodeScalarView(input.unicodeScalars.map(Self.lowercased)))
            guard !word.isEmpty else { continue }
            ranks[word] = offset + 1
        }
        self.userInputs = ranks
        longestUserInput = ranks.keys.reduce(0) { max($0, $1.unicodeScalars.count) }
    }

    /// Every match in `password`, sorted by start and end.
    func allMatches(in password: [Unicode.Scalar]) -> [PatternMatch] {
        var matches = dictionaryMatches(in: password)
        matches += reversedDictionaryMatches(in: password)
        matches += l33tMatches(in: password)
        matches += spatialMatches(in: password)
        matches += repeatMatches(in: password)
        matches += sequenceMatches(in: password)
        matches += recentYearMatches(in: password)
        matches += dateMatches(in: password)
        return Self.sorted(matches)
    }

    static func sorted(_ matches: [PatternMatch]) -> [PatternMatch] {
        // Stable, so equal spans keep matcher order (which decides ties as in the reference).
        matches.enumerated().sorted { left, right in
            (left.element.i, left.element.j, left.offset) < (right.element.i, right.element.j, right.offset)
        }.map(\.element)
    }

    static func lowercased(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        if scalar.isASCII {
            let value = scalar.value
            return value >= 65 && value <= 90 ? Unicode.Scalar(UInt8(value + 32)) : scalar
        }
        let mapping = scalar.properties.lowercaseMapping.unicodeScalars
        return mapping.count == 1 ? mapping.first ?? scalar : scalar
    }

    // MARK: Dictionary words

    func dictionaryMatches(in password: [Unicode.Scalar]) -> [PatternMatch] {
        let lower = password.map(Self.lowercased)
        let longest = max(FrequencyLists.longestWord, longestUserInput)
        var matches: [PatternMatch] = []
        for i in lower.indices {
            for j in i..<min(lower.count, i + longest) {
                let word = String(String.UnicodeScalarView(lower[i...j]))
                var entries = FrequencyLists.ranked[word] ?? []
                if let rank = userInputs[word] {
                    entries.append(FrequencyLists.Entry(list: .userInputs, rank: rank))
                }
                for entry in entries {
                    let detail = PatternMatch.DictionaryDetail(
                        word: word, rank: entry.rank, list: entry.list, isReversed: false, substitutions: [])
                    matches.append(PatternMatch(i: i, j: j, token: Array(password[i...j]), kind: .dictionary(detail)))
                }
            }
        }
        return matches
    }

    func reversedDictionaryMatches(in password: [Unicode.Scalar]) -> [PatternMatch] {
        let reversed = Array(password.reversed())
        let count = password.count
        return dictionaryMatches(in: reversed).compactMap { match in
            guard case .dictionary(var detail) = match.kind else { return nil }
            detail.isReversed = true
            return PatternMatch(
                i: count - 1 - match.j, j: count - 1 - match.i, token: match.token.reversed(),
                kind: .dictionary(detail))
        }
    }

    // MARK: L33t substitutions

    /// Letters and the characters people substitute for them, in the reference's order.
    static let l33tTable: [(letter: Unicode.Scalar, substitutes: [Unicode.Scalar])] = [
        ("a", ["4", "@"]), ("b", ["8"]), ("c", ["(", "{", "[", "<"]), ("e", ["3"]), ("g", ["6", "9"]),
        ("i", ["1", "!", "|"]), ("l", ["1", "|", "7"]), ("o", ["0"]), ("s", ["$", "5"]), ("t", ["+", "7"]),
        ("x", ["%"]), ("z", ["2"]),
    ]

    /// Every consistent way to read the substitutes present in `password` as letters: each letter takes at most one
    /// of its substitutes, each substitute stands for one letter.
    static func substitutionMaps(for password: [Unicode.Scalar]) -> [[(Unicode.Scalar, Unicode.Scalar)]] {
        let present = Set(password)
        let relevant = l33tTable.compactMap { row -> (Unicode.Scalar, [Unicode.Scalar])? in
            let subs = row.substitutes.filter { present.contains($0) }
            return subs.isEmpty ? nil : (row.letter, subs)
        }
        var maps: [[(Unicode.Scalar, Unicode.Scalar)]] = [[]]
        for (letter, substitutes) in relevant {
            var next: [[(Unicode.Scalar, Unicode.Scalar)]] = []
            for substitute in substitutes {
                for map in maps {
                    if let taken = map.firstIndex(where: { $0.0 == substitute }) {
                        // The substitute already stands for another letter: keep that reading, and add one
                        // where it stands for this letter instead.
                        var alternative = map
                        alternative.remove(at: taken)
                        alternative.append((substitute, letter))
                        next.append(map)
                        next.append(alternative)
                    } else {
                        next.append(map + [(substitute, letter)])
                    }
                }
            }
            var seen = Set<String>()
            maps = next.filter { map in
                let label = map.map { "\($0.1),\($0.0)" }.sorted().joined(separator: "-")
                return seen.insert(label).inserted
            }
        }
        return maps
    }

    func l33tMatches(in password: [Unicode.Scalar]) -> [PatternMatch] {
        var matches: [PatternMatch] = []
        for map in Self.substitutionMaps(for: password) {
            guard !map.isEmpty else { break }
            let lookup = Dictionary(map, uniquingKeysWith: { first, _ in first })
            let translated = password.map { lookup[$0] ?? $0 }
            for match in dictionaryMatches(in: translated) {
                guard case .dictionary(var detail) = match.kind else { continue }
                let token = Array(password[match.i...match.j])
                let lowerToken = String(String.UnicodeScalarView(token.map(Self.lowercased)))
                // Only matches that really used a substitution.
                guard lowerToken != detail.word, token.count > 1 else { continue }
                let used = Set(token)
                detail.substitutions = map.filter { used.contains($0.0) }
                matches.append(PatternMatch(i: match.i, j: match.j, token: token, kind: .dictionary(detail)))
            }
        }
        return matches
    }
}
