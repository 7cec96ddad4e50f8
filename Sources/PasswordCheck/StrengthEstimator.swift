/// Estimates password strength in the manner of zxcvbn: the fewest guesses over every way to split the password
/// into known patterns (common passwords and words, names, l33t, keyboard walks, sequences, repeats, dates, years)
/// and brute-forced gaps.
public struct StrengthEstimator: Sendable {
    /// Characters analysed; beyond this the estimate uses the start of the password only (its guesses are then
    /// a lower bound). Keeps the cost of a check bounded whatever the maximum password length is.
    public static let analysedLength = 256

    /// Creates an estimator.
    public init() {}

    /// Estimates `password`. `userInputs` are words an attacker would know about this account (user name,
    /// email address and its parts, the service name); they are matched like the most common words.
    public func estimate(_ password: String, userInputs: [String] = []) -> PasswordStrength {
        let scalars = Array(password.unicodeScalars.prefix(Self.analysedLength))
        let matcher = PatternMatcher(userInputs: userInputs)
        let result = MatchSequenceSearch.mostGuessable(scalars, matches: matcher.allMatches(in: scalars))
        let score = PasswordStrength.score(forGuesses: result.guesses)
        let advice = StrengthFeedback.advice(score: score, sequence: result.sequence)
        return PasswordStrength(
            score: score, guesses: result.guesses, warning: advice.warning, suggestions: advice.suggestions)
    }
}
