/// One way an attacker could generate part of a password, found by the matchers.
struct PatternMatch: Sendable {
    /// The kind of pattern and what the estimator needs to count its guesses.
    enum Kind: Sendable {
        case dictionary(DictionaryDetail)
        case spatial(graph: KeyboardGraph.Name, turns: Int, shiftedCount: Int)
        case repeated(baseToken: [Unicode.Scalar], baseGuesses: Double, repeatCount: Double)
        case sequence(ascending: Bool)
        case recentYear(year: Int)
        case date(year: Int, month: Int, day: Int, separator: Unicode.Scalar?)
        case bruteForce
    }

    /// A word from a ranked list, possibly reversed or with l33t substitutions.
    struct DictionaryDetail: Sendable {
        var word: String
        var rank: Int
        var list: FrequencyLists.Name
        var isReversed: Bool
        /// The substitutions used, as (substitute, letter) pairs; empty when none.
        var substitutions: [(Unicode.Scalar, Unicode.Scalar)]
        var isL33t: Bool { !substitutions.isEmpty }
    }

    /// First and last index (inclusive) of the match in the password's Unicode scalars.
    var i: Int
    var j: Int
    var token: [Unicode.Scalar]
    var kind: Kind
}
