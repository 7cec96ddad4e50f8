/// Estimates password strength in the manner of zxcvbn: the fewest guesses over every way to split the password
/// into known patterns (common passwords and words, names, l33t, keyboard walks, sequences, repeats, dates, years)
/// and brute-forced gaps.
///
/// The cost of one estimate is bounded whatever the input: only the first ``analysedLength`` Unicode scalars are
/// searched for patterns, user inputs are limited in number and length, and l33t readings have a lookup budget
/// (see ``PatternMatcher``).
public struct StrengthEstimator: Sendable {
    /// Unicode scalars searched for patterns (zxcvbn's authors suggest truncating to about 100 characters). The rest
    /// of a longer password only adds guesses: a repeat that carries on into it is extended, anything else is a
    /// brute-forced run, so a longer password never scores lower than its first ``analysedLength`` scalars.
    public static let analysedLength = 100
    /// Scalars after the analysed ones that are read at all; anything beyond counts as one more brute-forced
    /// character (by then the estimate is far past the top score unless the password is one long repeat).
    public static let tailScanLength = 16_384

    /// Creates an estimator.
    public init() {}

    /// Estimates `password`. `userInputs` are words an attacker would know about this account (user name,
    /// email address and its parts, the service name); they are matched like the most common words. Only the
    /// first 32 of at most 64 scalars each are used.
    public func estimate(_ password: String, userInputs: [String] = []) -> PasswordStrength {
        var scalars: [Unicode.Scalar] = []
        var iterator = password.unicodeScalars.makeIterator()
        while scalars.count < Self.analysedLength + Self.tailScanLength, let scalar = iterator.next() {
            scalars.append(scalar)
        }
        let analysed = Array(scalars.prefix(Self.analysedLength))
        let matcher = PatternMatcher(userInputs: userInputs)
        var result = MatchSequenceSearch.mostGuessable(analysed, matches: matcher.allMatches(in: analysed))
        if scalars.count > analysed.count {
            result = MatchSequenceSearch.extended(result, over: scalars, unread: iterator.next())
        }
        let score = PasswordStrength.score(forGuesses: result.guesses)
        let advice = StrengthFeedback.advice(score: score, sequence: result.sequence)
        return PasswordStrength(
            score: score, guesses: result.guesses, warning: advice.warning, suggestions: advice.suggestions)
    }
}
