/// Finds every dictionary, keyboard, repeat, sequence, year and date pattern in a password.
///
/// The matchers follow zxcvbn's model (Wheeler, "zxcvbn: Low-Budget Password Strength Estimation", USENIX
/// Security 2016) so that scores are comparable with the widely used reference implementation.
struct PatternMatcher: Sendable {
    /// The caller's own words (user name, email parts, service name), ranked by their order.
    let userInputs: [String: Int]
    /// The substring lengths worth looking up: every length up to the longest bundled word, and the lengths of the
    /// user inputs (so a long user input adds one length to try, not every length up to its own).
    private let lookupLengths: [Int]
    /// Adjacent scalars in the user inputs (those of the bundled words are in ``FrequencyLists``).
    private let userInputScalars: AdjacentScalars

    /// User inputs beyond this many are ignored: they are meant to be a handful of words about one account.
    static let maximumUserInputs = 32
    /// User inputs longer than this many Unicode scalars are ignored (a whole long e-mail address, say; its parts
    /// are separate inputs). Counted in scalars, never in grapheme clusters: one cluster can hold any number.
    static let longestUserInput = 64
    /// At most this many l33t substitution tables are tried per analysis. Realistic passwords need a handful (one
    /// for `P@ssw0rd`, a few when `1`, `|` or `7` could stand for more than one letter); one holding every l33t
    /// character yields well over a thousand.
    static let maximumSubstitutionMaps = 32
    /// At most this many substring lookups are spent on l33t readings per estimate (shared with the analysis of
    /// repeated runs' bases). Realistic passwords use a few hundred to a few thousand; once spent, no further l33t
    /// matches are added, so the estimate can only come out higher than without the budget.
    static let l33tLookupBudget = 10_000

    init(userInputs: [String]) {
        var ranks: [String: Int] = [:]
        var kept = 0
        for (offset, input) in userInputs.enumerated() {
            guard kept < Self.maximumUserInputs else { break }
            // Reads at most one scalar past the limit, so an oversized input costs no more than a short one.
            let scalars = input.unicodeScalars.prefix(Self.longestUserInput + 1)
            guard !scalars.isEmpty, scalars.count <= Self.longestUserInput else { continue }
            kept += 1
            ranks[String(String.UnicodeScalarView(scalars.map(Self.lowercased)))] = offset + 1
        }
        self.userInputs = ranks
        var lengths = Set(1...FrequencyLists.longestWord)
        var adjacent = AdjacentScalars()
        for word in ranks.keys {
            lengths.insert(word.unicodeScalars.count)
            adjacent.insert(contentsOf: Array(word.unicodeScalars))
        }
        lookupLengths = lengths.sorted()
        userInputScalars = adjacent
    }

    /// Every match in `password`, sorted by start and end.
    func allMatches(in password: [Unicode.Scalar]) -> [PatternMatch] {
        var l33tBudget = Self.l33tLookupBudget
        return allMatches(in: password, l33tBudget: &l33tBudget)
    }

    /// Every match in `password`, spending at most `l33tBudget` lookups on l33t readings.
    func allMatches(in password: [Unicode.Scalar], l33tBudget: inout Int) -> [PatternMatch] {
        var matches = dictionaryMatches(in: password)
        matches += reversedDictionaryMatches(in: password)
        matches += l33tMatches(in: password, budget: &l33tBudget)
        matches += spatialMatches(in: password)
        matches += repeatMatches(in: password, l33tBudget: &l33tBudget)
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
        let reach = reach(in: lower)
        var matches: [PatternMatch] = []
        for i in lower.indices {
            for length in lookupLengths {
                let j = i + length - 1
                guard j <= reach[i] else { break }
                let word = String(String.UnicodeScalarView(lower[i...j]))
                for entry in entries(for: word, length: length) {
                    let detail = PatternMatch.DictionaryDetail(
                        word: word, rank: entry.rank, list: entry.list, isReversed: false, substitutions: [])
                    matches.append(PatternMatch(i: i, j: j, token: Array(password[i...j]), kind: .dictionary(detail)))
                }
            }
        }
        return matches
    }

    /// For each position of `text` (lower-case), the last position a word starting there could end at: the words
    /// hold no pair or triple of adjacent scalars that none of the bundled words or user inputs holds. Saves
    /// building and looking up substrings that cannot be words.
    private func reach(in text: [Unicode.Scalar]) -> [Int] {
        let bundled = FrequencyLists.adjacentScalars
        var reach = [Int](repeating: 0, count: text.count)
        for index in text.indices.reversed() {
            guard index + 1 < text.count else {
                reach[index] = index
                continue
            }
            let pair = AdjacentScalars.pair(text[index], text[index + 1])
            guard bundled.pairs.contains(pair) || userInputScalars.pairs.contains(pair) else {
                reach[index] = index
                continue
            }
            guard index + 2 < text.count else {
                reach[index] = index + 1
                continue
            }
            let triple = AdjacentScalars.triple(text[index], text[index + 1], text[index + 2])
            let tripleFound = bundled.triples.contains(triple) || userInputScalars.triples.contains(triple)
            // A known triple implies a known pair after it, so the next position reaches at least index + 2.
            reach[index] = tripleFound ? reach[index + 1] : index + 1
        }
        return reach
    }

    /// The ranks of `word` (of `length` scalars) in the bundled lists and among the user inputs.
    private func entries(for word: String, length: Int) -> [FrequencyLists.Entry] {
        var entries = length <= FrequencyLists.longestWord ? FrequencyLists.ranked[word] ?? [] : []
        if let rank = userInputs[word] {
            entries.append(FrequencyLists.Entry(list: .userInputs, rank: rank))
        }
        return entries
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
    /// of its substitutes, each substitute stands for one letter. Only substitutes that occur in the password are
    /// considered, and at most `limit` tables are kept (in the reference's order) after each letter, so the work
    /// stays proportional to `limit` however many substitutes the password holds.
    static func substitutionMaps(
        for password: [Unicode.Scalar], limit: Int = maximumSubstitutionMaps
    ) -> [[(Unicode.Scalar, Unicode.Scalar)]] {
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
            if maps.count > limit { maps.removeLast(maps.count - limit) }
        }
        return maps
    }

    /// Dictionary words read through a substitution table. Only substrings holding at least one substituted
    /// character are looked up (the others are plain dictionary matches already), each distinct reading of a
    /// substring once, and no more than `budget` lookups in all.
    func l33tMatches(in password: [Unicode.Scalar], budget: inout Int) -> [PatternMatch] {
        var matches: [PatternMatch] = []
        let lower = password.map(Self.lowercased)
        var found = Set<L33tReading>()
        for map in Self.substitutionMaps(for: password) {
            guard !map.isEmpty else { break }
            let lookup = Dictionary(map, uniquingKeysWith: { first, _ in first })
            // Substitutes are never letters, so translating and lower-casing commute.
            let translated = lower.map { lookup[$0] ?? $0 }
            // For each position, the first position at or after it that this table changes.
            var nextChanged = [Int](repeating: lower.count, count: lower.count + 1)
            for index in lower.indices.reversed() {
                nextChanged[index] = lookup[lower[index]] == nil ? nextChanged[index + 1] : index
            }
            let reach = reach(in: translated)
            for i in lower.indices {
                // A single character is never a l33t match; the substring must hold a substituted character.
                let shortest = max(2, nextChanged[i] - i + 1)
                for length in lookupLengths where length >= shortest {
                    let j = i + length - 1
                    guard j <= reach[i] else { break }
                    guard budget > 0 else { return matches }
                    budget -= 1
                    let word = String(String.UnicodeScalarView(translated[i...j]))
                    let entries = entries(for: word, length: length)
                    guard !entries.isEmpty, found.insert(L33tReading(i: i, j: j, word: word)).inserted else {
                        continue
                    }
                    let token = Array(password[i...j])
                    let used = Set(token)
                    for entry in entries {
                        let detail = PatternMatch.DictionaryDetail(
                            word: word, rank: entry.rank, list: entry.list, isReversed: false,
                            substitutions: map.filter { used.contains($0.0) })
                        matches.append(PatternMatch(i: i, j: j, token: token, kind: .dictionary(detail)))
                    }
                }
            }
        }
        return matches
    }

    /// A substring read as a word; the same reading through another table gives the same match.
    private struct L33tReading: Hashable {
        var i: Int
        var j: Int
        var word: String
    }
}
