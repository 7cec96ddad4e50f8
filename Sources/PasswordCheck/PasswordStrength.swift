import Foundation

/// How hard a password is to guess, with advice a person can act on.
public struct PasswordStrength: Sendable, Equatable {
    /// 0 (too guessable: under 10^3 guesses) to 4 (very unguessable: 10^10 guesses or more), in zxcvbn's scale.
    public var score: Int
    /// The estimated number of guesses an attacker who knows common patterns needs.
    public var guesses: Double
    /// `log10(guesses)`.
    public var guessesLog10: Double { guesses.isFinite && guesses > 0 ? log10(guesses) : 0 }
    /// What is wrong, if anything obvious is ("This is a top-10 common password.").
    public var warning: String?
    /// What to do instead.
    public var suggestions: [String]

    /// Creates a strength value.
    public init(score: Int, guesses: Double, warning: String?, suggestions: [String]) {
        self.score = score
        self.guesses = guesses
        self.warning = warning
        self.suggestions = suggestions
    }

    /// The zxcvbn score for a guess count: thresholds 10^3, 10^6, 10^8 and 10^10 (plus a small margin).
    public static func score(forGuesses guesses: Double) -> Int {
        let margin = 5.0
        if guesses < 1e3 + margin { return 0 }
        if guesses < 1e6 + margin { return 1 }
        if guesses < 1e8 + margin { return 2 }
        if guesses < 1e10 + margin { return 3 }
        return 4
    }
}
