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

    private struct Candidate {
        var total: Double
        var product: Double
        var match: PatternMatch
    }

    static func mostGuessable(_ password: [Unicode.Scalar], matches: [PatternMatch]) -> Result {
        let count = password.count
        guard count > 0 else { return Result(guesses: 1, sequence: []) }
        var byEnd = [[PatternMatch]](repeating: [], count: count)
        for match in matches where match.j < count {
            byEnd[match.j].append(match)
        }
        for index in byEnd.indices {
            byEnd[index] = byEnd[index].enumerated().sorted { ($0.element.i, $0.offset) < ($1.element.i, $1.offset) }
                .map(\.element)
        }
        // best[k][l]: the best length-l sequence covering password[0...k]; insertion order kept for ties.
        var best = [[(length: Int, candidate: Candidate)]](repeating: [], count: count)

        func factorial(_ n: Int) -> Double {
            var result = 1.0
            if n > 1 { for factor in 2...n { result *= Double(factor) } }
            return result
        }

        func consider(_ match: PatternMatch, length: Int) {
            let end = match.j
            var product = GuessEstimator.guesses(for: match, passwordLength: count)
            if length > 1 {
                guard let previous = best[match.i - 1].first(where: { $0.length == length - 1 }) else { return }
                product *= previous.candidate.product
            }
            var total = factorial(length) * product
            total += power(minimumGuessesBeforeGrowingSequence, length - 1)
            for entry in best[end] where entry.length <= length && entry.candidate.total <= total {
                return
            }
            let candidate = Candidate(total: total, product: product, match: match)
            if let existing = best[end].firstIndex(where: { $0.length == length }) {
                best[end][existing].candidate = candidate
            } else {
                best[end].append((length, candidate))
            }
        }

        func bruteForce(_ i: Int, _ j: Int) -> PatternMatch {
            PatternMatch(i: i, j: j, token: Array(password[i...j]), kind: .bruteForce)
        }

        for end in 0..<count {
            for match in byEnd[end] {
                if match.i > 0 {
                    for entry in best[match.i - 1] {
                        consider(match, length: entry.length + 1)
                    }
                } else {
                    consider(match, length: 1)
                }
            }
            consider(bruteForce(0, end), length: 1)
            if end >= 1 {
                for start in 1...end {
                    let match = bruteForce(start, end)
                    for entry in best[start - 1] {
                        // Two brute-force runs side by side are never better than one spanning both.
                        if case .bruteForce = entry.candidate.match.kind { continue }
                        consider(match, length: entry.length + 1)
                    }
                }
            }
        }

        var length = 0
        var lowest = Double.infinity
        for entry in best[count - 1] where entry.candidate.total < lowest {
            lowest = entry.candidate.total
            length = entry.length
        }
        var sequence: [PatternMatch] = []
        var position = count - 1
        var remaining = length
        while position >= 0, remaining > 0,
            let entry = best[position].first(where: { $0.length == remaining })
        {
            sequence.insert(entry.candidate.match, at: 0)
            position = entry.candidate.match.i - 1
            remaining -= 1
        }
        return Result(guesses: lowest, sequence: sequence)
    }

    private static func power(_ base: Double, _ exponent: Int) -> Double {
        var result = 1.0
        for _ in 0..<max(0, exponent) { result *= base }
        return result
    }
}
