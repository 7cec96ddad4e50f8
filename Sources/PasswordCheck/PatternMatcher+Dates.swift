extension PatternMatcher {
    static let referenceYear = 2017
    private static let minimumYear = 1000
    private static let maximumYear = 2050

    /// Where to cut a run of 4 to 8 digits into three numbers: `[4: [(1, 2), (2, 3)]]` reads `1191` as 1 1 91 or
    /// 91 1 1.
    private static let digitSplits: [Int: [(Int, Int)]] = [
        4: [(1, 2), (2, 3)],
        5: [(1, 3), (2, 3)],
        6: [(1, 2), (2, 4), (4, 5)],
        7: [(1, 3), (2, 3), (4, 5), (4, 6)],
        8: [(2, 4), (4, 6)],
    ]

    private static let separators = Set(#"/\_.-"#.unicodeScalars)

    /// Dates of day, month and a 2- or 4-digit year in any order, with no separator (`13031990`) or the same
    /// separator twice (`13.3.90`). Dates inside longer dates are dropped.
    func dateMatches(in password: [Unicode.Scalar]) -> [PatternMatch] {
        var matches: [PatternMatch] = []
        let count = password.count
        // Which characters can be part of a date, so that substrings that cannot be dates are skipped unread.
        let isDigit = password.map { Self.digitValue($0) != nil }
        let isSeparator = password.map { Self.separators.contains($0) || $0.properties.isWhitespace }
        var separatorsBefore = [0]
        for index in password.indices {
            separatorsBefore.append(separatorsBefore[index] + (isSeparator[index] ? 1 : 0))
        }
        for i in 0..<max(0, count - 3) where isDigit[i...(i + 2)].allSatisfy({ $0 }) {
            for j in (i + 3)..<min(count, i + 8) {
                guard isDigit[j] else { break }
                let token = Array(password[i...j])
                let digits = token.compactMap(Self.digitValue)
                guard digits.count == token.count, let splits = Self.digitSplits[token.count] else { continue }
                func number(_ range: Range<Int>) -> Int { digits[range].reduce(0) { $0 * 10 + $1 } }
                let candidates = splits.compactMap { split in
                    Self.dayMonthYear([
                        number(0..<split.0), number(split.0..<split.1), number(split.1..<token.count),
                    ])
                }
                guard var best = candidates.first else { continue }
                for candidate in candidates.dropFirst()
                where abs(candidate.year - Self.referenceYear) < abs(best.year - Self.referenceYear) {
                    best = candidate
                }
                matches.append(
                    PatternMatch(
                        i: i, j: j, token: token,
                        kind: .date(year: best.year, month: best.month, day: best.day, separator: nil)))
            }
        }
        for i in 0..<max(0, count - 5) where isDigit[i] {
            for j in (i + 5)..<min(count, i + 10) {
                guard isDigit[j] || isSeparator[j] else { break }
                // Exactly two separators (the same one twice, checked below) and digits between them.
                guard separatorsBefore[j + 1] - separatorsBefore[i] == 2, isDigit[j] else { continue }
                let token = Array(password[i...j])
                guard let parts = Self.separatedNumbers(token), let date = Self.dayMonthYear(parts.numbers) else {
                    continue
                }
                matches.append(
                    PatternMatch(
                        i: i, j: j, token: token,
                        kind: .date(year: date.year, month: date.month, day: date.day, separator: parts.separator)))
            }
        }
        // Drop dates inside another, longer date. Dates span at most 10 characters, so only those starting up to 9
        // before a date's end can hold it.
        var endsByStart = [[Int]](repeating: [], count: count)
        for match in matches { endsByStart[match.i].append(match.j) }
        let kept = matches.filter { match in
            !(max(0, match.j - 9)...match.i).contains { start in
                endsByStart[start].contains { end in end >= match.j && (start, end) != (match.i, match.j) }
            }
        }
        return Self.sorted(kept)
    }

    /// Splits `d{1,4} S d{1,2} S d{1,4}` (the same separator twice) into its numbers.
    private static func separatedNumbers(_ token: [Unicode.Scalar]) -> (numbers: [Int], separator: Unicode.Scalar)? {
        var groups: [[Int]] = [[]]
        var separator: Unicode.Scalar?
        for scalar in token {
            if let digit = digitValue(scalar) {
                groups[groups.count - 1].append(digit)
            } else if separators.contains(scalar) || scalar.properties.isWhitespace {
                guard separator == nil || separator == scalar, groups.count < 3 else { return nil }
                separator = scalar
                groups.append([])
            } else {
                return nil
            }
        }
        guard let separator, groups.count == 3 else { return nil }
        let lengths = groups.map(\.count)
        guard (1...4).contains(lengths[0]), (1...2).contains(lengths[1]), (1...4).contains(lengths[2]) else {
            return nil
        }
        return (groups.map { $0.reduce(0) { $0 * 10 + $1 } }, separator)
    }

    /// Reads three numbers as a date, or nil when they cannot be one.
    private static func dayMonthYear(_ numbers: [Int]) -> (year: Int, month: Int, day: Int)? {
        guard numbers[1] <= 31, numbers[1] > 0 else { return nil }
        var over12 = 0
        var over31 = 0
        var under1 = 0
        for number in numbers {
            if (number > 99 && number < minimumYear) || number > maximumYear { return nil }
            if number > 31 { over31 += 1 }
            if number > 12 { over12 += 1 }
            if number <= 0 { under1 += 1 }
        }
        if over31 >= 2 || over12 == 3 || under1 >= 2 { return nil }

        let yearFirstOrLast = [(numbers[2], [numbers[0], numbers[1]]), (numbers[0], [numbers[1], numbers[2]])]
        for (year, rest) in yearFirstOrLast where (minimumYear...maximumYear).contains(year) {
            // A four-digit year whose other numbers are no day and month means this is no date at all.
            guard let dayMonth = dayAndMonth(rest) else { return nil }
            return (year, dayMonth.month, dayMonth.day)
        }
        for (year, rest) in yearFirstOrLast {
            guard let dayMonth = dayAndMonth(rest) else { continue }
            let fullYear = year > 99 ? year : (year > 50 ? year + 1900 : year + 2000)
            return (fullYear, dayMonth.month, dayMonth.day)
        }
        return nil
    }

    private static func dayAndMonth(_ pair: [Int]) -> (day: Int, month: Int)? {
        for (day, month) in [(pair[0], pair[1]), (pair[1], pair[0])]
        where (1...31).contains(day) && (1...12).contains(month) {
            return (day, month)
        }
        return nil
    }
}
