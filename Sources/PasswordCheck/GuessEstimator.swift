/// Counts how many guesses an attacker who knows each pattern needs to produce a match.
enum GuessEstimator {
    static let bruteForceCardinality = 10.0
    static let minimumSubmatchGuessesSingleCharacter = 10.0
    static let minimumSubmatchGuessesMultiCharacter = 50.0
    static let minimumYearSpace = 20

    static let keyboardStartingPositions = Double(KeyboardGraph.qwerty.startingPositions)
    static let keyboardAverageDegree = KeyboardGraph.qwerty.averageDegree
    static let keypadStartingPositions = Double(KeyboardGraph.keypad.startingPositions)
    static let keypadAverageDegree = KeyboardGraph.keypad.averageDegree

    /// Guesses for `match` inside a password of `passwordLength` characters.
    static func guesses(for match: PatternMatch, passwordLength: Int) -> Double {
        var minimum = 1.0
        if match.token.count < passwordLength {
            // A pattern covering only part of the password still costs the attacker a little.
            minimum =
                match.token.count == 1
                ? minimumSubmatchGuessesSingleCharacter : minimumSubmatchGuessesMultiCharacter
        }
        return max(rawGuesses(for: match), minimum)
    }

    private static func rawGuesses(for match: PatternMatch) -> Double {
        switch match.kind {
        case .bruteForce:
            return bruteForceGuesses(length: match.token.count)
        case .dictionary(let detail):
            return Double(detail.rank) * uppercaseVariations(match.token) * l33tVariations(match.token, detail)
                * (detail.isReversed ? 2 : 1)
        case .spatial(let graph, let turns, let shiftedCount):
            return spatialGuesses(
                length: match.token.count, graph: graph, turns: turns, shiftedCount: shiftedCount)
        case .repeated(_, let baseGuesses, let repeatCount):
            return baseGuesses * repeatCount
        case .sequence(let ascending):
            return sequenceGuesses(match.token, ascending: ascending)
        case .recentYear(let year):
            return Double(max(abs(year - PatternMatcher.referenceYear), minimumYearSpace))
        case .date(let year, _, _, let separator):
            let years = Double(max(abs(year - PatternMatcher.referenceYear), minimumYearSpace))
            return years * 365 * (separator == nil ? 1 : 4)
        }
    }

    static func bruteForceGuesses(length: Int) -> Double {
        let guesses = pow10(length)
        let minimum = length == 1 ? minimumSubmatchGuessesSingleCharacter + 1 : minimumSubmatchGuessesMultiCharacter + 1
        // One more than the smallest submatch, so a real pattern over the same span always wins a tie.
        return max(guesses, minimum)
    }

    private static func pow10(_ exponent: Int) -> Double {
        var result = 1.0
        for _ in 0..<exponent { result *= bruteForceCardinality }
        return result
    }

    private static func sequenceGuesses(_ token: [Unicode.Scalar], ascending: Bool) -> Double {
        guard let first = token.first else { return 1 }
        var base: Double
        if "aAzZ019".unicodeScalars.contains(first) {
            base = 4
        } else if PatternMatcher.digitValue(first) != nil {
            base = 10
        } else {
            base = 26
        }
        if !ascending { base *= 2 }
        return base * Double(token.count)
    }

    private static func spatialGuesses(
        length: Int, graph: KeyboardGraph.Name, turns: Int, shiftedCount: Int
    ) -> Double {
        let isKeyboard = graph == .qwerty || graph == .dvorak
        let starts = isKeyboard ? keyboardStartingPositions : keypadStartingPositions
        let degree = isKeyboard ? keyboardAverageDegree : keypadAverageDegree
        var guesses = 0.0
        // Walks of length up to L with up to t turns: choose where the turns fall, where to start, and where to go.
        if length >= 2 {
            for walkLength in 2...length {
                let possibleTurns = min(turns, walkLength - 1)
                guard possibleTurns >= 1 else { continue }
                for turnCount in 1...possibleTurns {
                    guesses += choose(walkLength - 1, turnCount - 1) * starts * power(degree, turnCount)
                }
            }
        }
        if shiftedCount > 0 {
            let unshifted = length - shiftedCount
            if unshifted == 0 {
                guesses *= 2
            } else {
                var variations = 0.0
                for count in 1...min(shiftedCount, unshifted) {
                    variations += choose(shiftedCount + unshifted, count)
                }
                guesses *= variations
            }
        }
        return guesses
    }

    private static func power(_ base: Double, _ exponent: Int) -> Double {
        var result = 1.0
        for _ in 0..<exponent { result *= base }
        return result
    }

    /// Binomial coefficient as a floating-point number (it only feeds guess estimates).
    static func choose(_ n: Int, _ k: Int) -> Double {
        if k > n { return 0 }
        if k == 0 { return 1 }
        var result = 1.0
        var top = Double(n)
        for divisor in 1...k {
            result *= top
            result /= Double(divisor)
            top -= 1
        }
        return result
    }

    /// How many capitalisations of a word an attacker tries before this one.
    static func uppercaseVariations(_ token: [Unicode.Scalar]) -> Double {
        let upper = token.filter { $0.properties.isUppercase }.count
        let lower = token.filter { $0.properties.isLowercase }.count
        let asciiUpper = token.filter { $0.value >= 65 && $0.value <= 90 }.count
        if asciiUpper == 0 || upper == 0 { return 1 }
        // Capitalised first letter, last letter, or the whole word: the first things tried.
        let isAsciiUpper = { (scalar: Unicode.Scalar) in scalar.value >= 65 && scalar.value <= 90 }
        let isAsciiLower = { (scalar: Unicode.Scalar) in scalar.value >= 97 && scalar.value <= 122 }
        if token.count >= 2, isAsciiUpper(token[0]), !token.dropFirst().contains(where: isAsciiUpper) { return 2 }
        if token.count >= 2, isAsciiUpper(token[token.count - 1]), !token.dropLast().contains(where: isAsciiUpper) {
            return 2
        }
        if !token.contains(where: isAsciiLower) { return 2 }
        var variations = 0.0
        let smaller = min(upper, lower)
        if smaller >= 1 {
            for count in 1...smaller { variations += choose(upper + lower, count) }
        }
        return variations
    }

    /// How many mixes of substituted and plain letters an attacker tries.
    static func l33tVariations(_ token: [Unicode.Scalar], _ detail: PatternMatch.DictionaryDetail) -> Double {
        guard detail.isL33t else { return 1 }
        let lower = token.map(PatternMatcher.lowercased)
        var variations = 1.0
        for (substitute, letter) in detail.substitutions {
            let substituted = lower.filter { $0 == substitute }.count
            let plain = lower.filter { $0 == letter }.count
            if substituted == 0 || plain == 0 {
                variations *= 2
            } else {
                var possibilities = 0.0
                for count in 1...min(plain, substituted) { possibilities += choose(plain + substituted, count) }
                variations *= possibilities
            }
        }
        return variations
    }
}
