extension PatternMatcher {
    // MARK: Repeats

    /// Repeated runs such as `aaaa` or `abcabc`, each scored by the guesses of its base token times the count.
    func repeatMatches(in password: [Unicode.Scalar], l33tBudget: inout Int) -> [PatternMatch] {
        var matches: [PatternMatch] = []
        var position = 0
        while position < password.count {
            guard let found = Self.leftmostRepeat(in: password, from: position) else { break }
            let base = Array(password[found.start..<(found.start + found.period)])
            let baseMatches = allMatches(in: base, l33tBudget: &l33tBudget)
            let analysis = MatchSequenceSearch.mostGuessable(base, matches: baseMatches)
            let length = found.length
            matches.append(
                PatternMatch(
                    i: found.start, j: found.start + length - 1,
                    token: Array(password[found.start..<(found.start + length)]),
                    kind: .repeated(
                        baseToken: base, baseGuesses: analysis.guesses,
                        repeatCount: Double(length) / Double(found.period))))
            position = found.start + length
        }
        return matches
    }

    private static func isRepeat(_ password: [Unicode.Scalar], at start: Int, period: Int) -> Bool {
        guard start + 2 * period <= password.count else { return false }
        for offset in 0..<period where password[start + offset] != password[start + period + offset] {
            return false
        }
        return true
    }

    private static func copies(_ password: [Unicode.Scalar], at start: Int, period: Int) -> Int {
        var count = 1
        while isRepeat(password, at: start + (count - 1) * period, period: period) { count += 1 }
        return count
    }

    /// The leftmost repeated run at or after `from`. Prefers the longest run; its base is the shortest period
    /// that tiles it (so `aabaab` has base `aab`, and `abababab` base `ab`).
    static func leftmostRepeat(in password: [Unicode.Scalar], from: Int) -> (start: Int, period: Int, length: Int)? {
        for start in from..<password.count {
            let longestPeriod = (password.count - start) / 2
            guard longestPeriod >= 1 else { return nil }
            guard let shortest = (1...longestPeriod).first(where: { isRepeat(password, at: start, period: $0) })
            else { continue }
            let longest =
                (1...longestPeriod).reversed().first(where: { isRepeat(password, at: start, period: $0) })
                ?? shortest
            let lazyLength = shortest * copies(password, at: start, period: shortest)
            let greedyLength = longest * copies(password, at: start, period: longest)
            guard greedyLength > lazyLength else { return (start, shortest, lazyLength) }
            let run = Array(password[start..<(start + greedyLength)])
            let period =
                (1...greedyLength).first { candidate in
                    greedyLength % candidate == 0
                        && (candidate..<greedyLength).allSatisfy { run[$0] == run[$0 - candidate] }
                } ?? greedyLength
            return (start, period, greedyLength)
        }
        return nil
    }

    // MARK: Sequences

    /// Runs with a constant step of at most 5 code points, such as `abcd`, `9753` or `zyx`.
    func sequenceMatches(in password: [Unicode.Scalar]) -> [PatternMatch] {
        guard password.count > 1 else { return [] }
        var matches: [PatternMatch] = []
        func add(_ i: Int, _ j: Int, _ delta: Int) {
            guard j - i > 1 || abs(delta) == 1, delta != 0, abs(delta) <= 5 else { return }
            matches.append(
                PatternMatch(i: i, j: j, token: Array(password[i...j]), kind: .sequence(ascending: delta > 0)))
        }
        var start = 0
        var lastDelta: Int?
        for k in 1..<password.count {
            let delta = Int(password[k].value) - Int(password[k - 1].value)
            let previous = lastDelta ?? delta
            lastDelta = previous
            if delta == previous { continue }
            add(start, k - 1, previous)
            start = k - 1
            lastDelta = delta
        }
        add(start, password.count - 1, lastDelta ?? 0)
        return matches
    }

    // MARK: Recent years

    /// Years 1900-2019 written as four digits (the reference's recent-year pattern).
    func recentYearMatches(in password: [Unicode.Scalar]) -> [PatternMatch] {
        var matches: [PatternMatch] = []
        var position = 0
        while position + 4 <= password.count {
            let digits = password[position..<(position + 4)].map { Self.digitValue($0) }
            if digits.allSatisfy({ $0 != nil }) {
                let value = digits.reduce(0) { $0 * 10 + ($1 ?? 0) }
                if (1900...2019).contains(value) {
                    matches.append(
                        PatternMatch(
                            i: position, j: position + 3, token: Array(password[position..<(position + 4)]),
                            kind: .recentYear(year: value)))
                    position += 4
                    continue
                }
            }
            position += 1
        }
        return matches
    }

    static func digitValue(_ scalar: Unicode.Scalar) -> Int? {
        scalar.value >= 48 && scalar.value <= 57 ? Int(scalar.value - 48) : nil
    }
}
