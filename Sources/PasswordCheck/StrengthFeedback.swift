/// Turns the weakest part of a password into a warning and suggestions a person can act on.
enum StrengthFeedback {
    static let addWords = "Add another word or two. Uncommon words are better."

    static func advice(score: Int, sequence: [PatternMatch]) -> (warning: String?, suggestions: [String]) {
        guard !sequence.isEmpty else {
            return (
                nil, ["Use a few words, avoid common phrases.", "No need for symbols, digits, or uppercase letters."]
            )
        }
        guard score <= 2 else { return (nil, []) }
        var longest = sequence[0]
        for match in sequence.dropFirst() where match.token.count > longest.token.count {
            longest = match
        }
        let specific = advice(for: longest, isSoleMatch: sequence.count == 1)
        return (specific.warning, [addWords] + specific.suggestions)
    }

    private static func advice(
        for match: PatternMatch, isSoleMatch: Bool
    ) -> (warning: String?, suggestions: [String]) {
        switch match.kind {
        case .dictionary(let detail):
            return dictionaryAdvice(match, detail, isSoleMatch: isSoleMatch)
        case .spatial(_, let turns, _):
            let warning =
                turns == 1
                ? "Straight rows of keys are easy to guess." : "Short keyboard patterns are easy to guess."
            return (warning, ["Use a longer keyboard pattern with more turns."])
        case .repeated(let base, _, _):
            let warning =
                base.count == 1
                ? "Repeats like \"aaa\" are easy to guess."
                : "Repeats like \"abcabcabc\" are only slightly harder to guess than \"abc\"."
            return (warning, ["Avoid repeated words and characters."])
        case .sequence:
            return ("Sequences like \"abc\" or \"6543\" are easy to guess.", ["Avoid sequences."])
        case .recentYear:
            return (
                "Recent years are easy to guess.",
                ["Avoid recent years.", "Avoid years that are associated with you."]
            )
        case .date:
            return ("Dates are often easy to guess.", ["Avoid dates and years that are associated with you."])
        case .bruteForce:
            return (nil, [])
        }
    }

    private static func dictionaryAdvice(
        _ match: PatternMatch, _ detail: PatternMatch.DictionaryDetail, isSoleMatch: Bool
    ) -> (warning: String?, suggestions: [String]) {
        var warning: String?
        switch detail.list {
        case .passwords:
            if isSoleMatch, !detail.isL33t, !detail.isReversed {
                if detail.rank <= 10 {
                    warning = "This is a top-10 common password."
                } else if detail.rank <= 100 {
                    warning = "This is a top-100 common password."
                } else {
                    warning = "This is a very common password."
                }
            } else if GuessEstimator.guesses(for: match, passwordLength: match.token.count + 1) <= 10_000 {
                warning = "This is similar to a commonly used password."
            }
        case .englishWikipedia, .usTVAndFilm:
            if isSoleMatch { warning = "A word by itself is easy to guess." }
        case .surnames, .maleNames, .femaleNames:
            warning =
                isSoleMatch
                ? "Names and surnames by themselves are easy to guess." : "Common names and surnames are easy to guess."
        case .userInputs:
            warning = "Your name, email address or the site's name make a password easy to guess."
        }
        var suggestions: [String] = []
        let token = match.token
        let isUpper = { (scalar: Unicode.Scalar) in scalar.value >= 65 && scalar.value <= 90 }
        let isLower = { (scalar: Unicode.Scalar) in scalar.value >= 97 && scalar.value <= 122 }
        if token.count >= 2, isUpper(token[0]), !token.dropFirst().contains(where: isUpper) {
            suggestions.append("Capitalization doesn't help very much.")
        } else if token.contains(where: isUpper), !token.contains(where: isLower) {
            suggestions.append("All-uppercase is almost as easy to guess as all-lowercase.")
        }
        if detail.isReversed, token.count >= 4 {
            suggestions.append("Reversed words aren't much harder to guess.")
        }
        if detail.isL33t {
            suggestions.append("Predictable substitutions like '@' instead of 'a' don't help very much.")
        }
        return (warning, suggestions)
    }
}
