/// Finds the sequence of non-overlapping matches (gaps filled by brute force) that needs the fewest guesses.
///
/// A sequence of `l` matches costs `l! × Π guesses + 10000^(l-1)`: the attacker must also try the `l!` orders of
/// the patterns, and tries shorter sequences first. A dynamic programme over the password's prefixes keeps, for each
/// end position and sequence length, the best sequence so far.
enum MatchSequenceSearch {
    static let minimumGuessesBeforeGrowingSequence = 10_000.0

    struct Result {
        var guesses: Double
        var sequence: [PatternMatch]
    }

    /// The best sequence of one length ending at some position: its last match is `matches[source]`, or a
    /// brute-forced run from `start` when `source` is negative. Plain values only, so the search copies no tokens.
    private struct Entry {
        var length: Int
        var total: Double
        var product: Double
        var start: Int
        var source: Int
    }

    static func mostGuessable(_ password: [Unicode.Scalar], matches: [PatternMatch]) -> Result {
        let count = password.count
        guard count > 0 else { return Result(guesses: 1, sequence: []) }
        // Indices of the matches ending at each position, by start (ties in the order given).
        var byEnd = [[Int]](repeating: [], count: count)
        for (index, match) in matches.enumerated() where match.j < count {
            byEnd[match.j].append(index)
        }
        for position in byEnd.indices {
            byEnd[position].sort { (matches[$0].i, $0) < (matches[$1].i, $1) }
        }
        var fronts = Fronts(count: count)
        // The guesses for a brute-forced run of each length, computed once.
        var bruteForceGuesses = [0.0]
        for length in 1...count {
            // Always above the smallest submatch guesses, so no minimum applies.
            bruteForceGuesses.append(GuessEstimator.bruteForceGuesses(length: length))
        }

        for end in 0..<count {
            for index in byEnd[end] {
                let match = matches[index]
                let guesses = GuessEstimator.guesses(for: match, passwordLength: count)
                if match.i > 0 {
                    for entry in fronts.best[match.i - 1] {
                        fronts.consider(
                            start: match.i, end: end, source: index, guesses: guesses, length: entry.length + 1)
                    }
                } else {
                    fronts.consider(start: 0, end: end, source: index, guesses: guesses, length: 1)
                }
            }
            fronts.consider(start: 0, end: end, source: -1, guesses: bruteForceGuesses[end + 1], length: 1)
            if end >= 1 {
                for start in 1...end {
                    let guesses = bruteForceGuesses[end - start + 1]
                    for entry in fronts.best[start - 1] {
                        // Two brute-force runs side by side are never better than one spanning both.
                        if entry.source < 0 { continue }
                        fronts.consider(
                            start: start, end: end, source: -1, guesses: guesses, length: entry.length + 1)
                    }
                }
            }
        }

        var length = 0
        var lowest = Double.infinity
        for entry in fronts.best[count - 1] where entry.total < lowest {
            lowest = entry.total
            length = entry.length
        }
        var sequence: [PatternMatch] = []
        var position = count - 1
        var remaining = length
        while position >= 0, remaining > 0,
            let entry = fronts.best[position].first(where: { $0.length == remaining })
        {
            let match =
                entry.source >= 0
                ? matches[entry.source]
                : PatternMatch(
                    i: entry.start, j: position, token: Array(password[entry.start...position]), kind: .bruteForce)
            sequence.insert(match, at: 0)
            position = entry.start - 1
            remaining -= 1
        }
        return Result(guesses: lowest, sequence: sequence)
    }

    /// For each end position and sequence length, the best sequence so far (insertion order kept for ties).
    private struct Fronts {
        var best: [[Entry]]
        /// l! and 10000^(l-1) for every sequence length.
        let factorials: [Double]
        let growth: [Double]

        init(count: Int) {
            best = [[Entry]](repeating: [], count: count)
            var factorials = [1.0]
            var growth = [1.0]
            for length in 1...(count + 1) {
                factorials.append(factorials[length - 1] * Double(length))
                growth.append(length == 1 ? 1 : growth[length - 1] * minimumGuessesBeforeGrowingSequence)
            }
            self.factorials = factorials
            self.growth = growth
        }

        /// Keeps the sequence ending with the match (or brute-forced run) `start...end` of `length` if no sequence
        /// as short or shorter ending there needs as few guesses.
        mutating func consider(start: Int, end: Int, source: Int, guesses: Double, length: Int) {
            var product = guesses
            if length > 1 {
                guard let previous = best[start - 1].first(where: { $0.length == length - 1 }) else { return }
                product *= previous.product
            }
            let total = factorials[length] * product + growth[length]
            for entry in best[end] where entry.length <= length && entry.total <= total {
                return
            }
            let candidate = Entry(length: length, total: total, product: product, start: start, source: source)
            if let existing = best[end].firstIndex(where: { $0.length == length }) {
                best[end][existing] = candidate
            } else {
                best[end].append(candidate)
            }
        }
    }

    private static func power(_ base: Double, _ exponent: Int) -> Double {
        var result = 1.0
        for _ in 0..<max(0, exponent) { result *= base }
        return result
    }
}

extension MatchSequenceSearch {
    /// Extends `result`, the best sequence for the analysed start of `password`, over the rest of it without a
    /// search: either a repeat in the sequence carries on into the rest (`aaaa…`, `abcabc…`) and is lengthened, or
    /// the rest is one brute-forced run; a repeat that stops partway is followed by a brute-forced run too.
    /// `unread` is the first scalar past `password` when the caller stopped reading; it counts as one more
    /// brute-forced character.
    ///
    /// The guesses never fall below `result`'s, and grow with every added character.
    static func extended(_ result: Result, over password: [Unicode.Scalar], unread: Unicode.Scalar?) -> Result {
        guard let analysedEnd = result.sequence.last?.j, analysedEnd + 1 < password.count else { return result }
        let count = password.count
        let totalLength = count + (unread == nil ? 0 : 1)

        func bruteForce(from start: Int) -> [PatternMatch] {
            var runs: [PatternMatch] = []
            if start < count {
                runs.append(PatternMatch(i: start, j: count - 1, token: Array(password[start...]), kind: .bruteForce))
            }
            if let unread {
                runs.append(PatternMatch(i: count, j: count, token: [unread], kind: .bruteForce))
            }
            return runs
        }

        var candidates = [result.sequence + bruteForce(from: analysedEnd + 1)]
        for (index, match) in result.sequence.enumerated() {
            guard case .repeated(let base, let baseGuesses, _) = match.kind, !base.isEmpty else { continue }
            let period = base.count
            var end = match.j + 1
            while end < count, password[end] == password[end - period] { end += 1 }
            // Only a repeat that runs through the rest of the analysed part and into the tail replaces what follows.
            guard end > analysedEnd + 1 else { continue }
            let repeated = PatternMatch(
                i: match.i, j: end - 1, token: Array(password[match.i..<end]),
                kind: .repeated(
                    baseToken: base, baseGuesses: baseGuesses, repeatCount: Double(end - match.i) / Double(period)))
            candidates.append(Array(result.sequence[..<index]) + [repeated] + bruteForce(from: end))
        }

        var best = result
        best.guesses = .infinity
        for sequence in candidates {
            var product = 1.0
            for match in sequence {
                product *= GuessEstimator.guesses(for: match, passwordLength: totalLength)
            }
            var guesses = product
            if sequence.count > 1 {
                for factor in 2...sequence.count { guesses *= Double(factor) }
                guesses += power(minimumGuessesBeforeGrowingSequence, sequence.count - 1)
            }
            if guesses < best.guesses {
                best = Result(guesses: guesses, sequence: sequence)
            }
        }
        // Never weaker than the analysed part alone; finite so that log10 stays meaningful.
        best.guesses = min(max(best.guesses, result.guesses), .greatestFiniteMagnitude)
        return best
    }
}
