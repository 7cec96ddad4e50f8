import Foundation

/// The rules a new password must meet, in the spirit of NIST SP 800-63B-4: a length range, no composition rules,
/// and refusal of passwords that are common, breached, built from the account's own details, or easy to guess.
///
/// Password history ("not one of the last N") is the hub's job: it needs the account's stored hashes.
public struct PasswordPolicy: Sendable {
    /// Fewest characters (Unicode code points after NFKC normalisation). NIST's floor is 8; 15 when the
    /// password is the only factor.
    public var minimumLength: Int
    /// Most characters; at least 64 per NIST. Long passphrases must fit, but unbounded input costs hashing time.
    public var maximumLength: Int
    /// Lowest acceptable strength score (0-4).
    ///
    /// The default, 2, demands at least 10^6 estimated guesses: well beyond what an online attacker gets through
    /// the hub's throttling, while the common list and the breach corpus refuse the dictionary passwords an offline
    /// attacker would try first. Requiring 3 refuses many reasonable 8-12 character passwords and pushes people
    /// towards the predictable tricks that composition rules breed.
    public var minimumScore: Int
    /// Refuse passwords on the bundled common-passwords list.
    public var refusesCommon: Bool
    /// Refuse passwords found by ``breachSource`` (no effect when it is nil).
    public var refusesBreached: Bool
    /// Refuse passwords containing the user name, email, display name or service name.
    public var refusesContextWords: Bool
    /// Where breached passwords are looked up: the local index, the range API, or nil for none.
    public var breachSource: (any BreachedPasswordSource)?

    /// Context words shorter than this only count when they are the whole password.
    public static let shortestContainedWord = 4

    /// Creates a policy; the defaults are the recommended configuration (without a breach source).
    public init(
        minimumLength: Int = 8,
        maximumLength: Int = 1024,
        minimumScore: Int = 2,
        refusesCommon: Bool = true,
        refusesBreached: Bool = true,
        refusesContextWords: Bool = true,
        breachSource: (any BreachedPasswordSource)? = nil
    ) {
        self.minimumLength = max(1, minimumLength)
        self.maximumLength = max(64, maximumLength, self.minimumLength)
        self.minimumScore = min(4, max(0, minimumScore))
        self.refusesCommon = refusesCommon
        self.refusesBreached = refusesBreached
        self.refusesContextWords = refusesContextWords
        self.breachSource = breachSource
    }

    /// The form passwords are checked, hashed and compared in: Unicode NFKC.
    public static func normalize(_ password: String) -> String {
        password.precomposedStringWithCompatibilityMapping
    }

    /// Checks `password` (as typed; it is normalised here) and returns every rule it breaks, or `[]` when it is
    /// acceptable.
    public func check(password: String, context: PasswordContext = PasswordContext()) async -> [PasswordProblem] {
        let normalized = Self.normalize(password)
        let length = normalized.unicodeScalars.count
        if length > maximumLength {
            return [
                PasswordProblem(
                    code: .tooLong, message: "Use at most \(maximumLength) characters (this has \(length)).")
            ]
        }
        var problems: [PasswordProblem] = []
        if length < minimumLength {
            problems.append(
                PasswordProblem(
                    code: .tooShort,
                    message: "Use at least \(minimumLength) characters (this has \(length)). "
                        + "A few unrelated words make a long password that is easy to remember."))
        }
        if refusesCommon, CommonPasswords.contains(normalized) {
            problems.append(
                PasswordProblem(
                    code: .common,
                    message: "This is one of the most common passwords, so it is among the first an attacker tries."))
        }
        let contextWords = context.words
        if refusesContextWords, let word = Self.contextWord(in: normalized, words: contextWords) {
            problems.append(
                PasswordProblem(
                    code: .containsUserInfo,
                    message: "Don't build the password from your name, user name, email address or the site's name "
                        + "(it contains \"\(word)\")."))
        }
        if refusesBreached, let breachSource, !problems.contains(where: { $0.code == .tooShort }) {
            do {
                if try await breachSource.isBreached(password: normalized) {
                    problems.append(
                        PasswordProblem(
                            code: .breached,
                            message: "This password has appeared in a data breach, so attackers already try it. "
                                + "Choose one you have never used anywhere."))
                }
            } catch {
                problems.append(
                    PasswordProblem(
                        code: .breachCheckUnavailable,
                        message: "The password could not be checked against known breaches right now. "
                            + "Please try again in a moment."))
            }
        }
        let strength = StrengthEstimator().estimate(normalized, userInputs: contextWords)
        if strength.score < minimumScore {
            let reason = strength.warning.map { " " + $0 } ?? ""
            problems.append(
                PasswordProblem(
                    code: .tooGuessable, message: "This password is too easy to guess.\(reason)",
                    suggestions: strength.suggestions))
        }
        return problems
    }

    /// The first context word the password contains (also reversed, or with common l33t substitutions undone).
    static func contextWord(in password: String, words: [String]) -> String? {
        let lower = password.lowercased()
        let variants = [lower, String(lower.reversed()), unL33t(lower, one: "i"), unL33t(lower, one: "l")]
        for word in words {
            if word == lower { return word }
            guard word.count >= shortestContainedWord else { continue }
            if variants.contains(where: { $0.contains(word) }) { return word }
        }
        return nil
    }

    private static func unL33t(_ text: String, one: Character) -> String {
        let map: [Character: Character] = [
            "4": "a", "@": "a", "8": "b", "3": "e", "6": "g", "!": "i", "0": "o", "$": "s", "5": "s", "7": "t",
            "+": "t", "2": "z", "1": one,
        ]
        return String(text.map { map[$0] ?? $0 })
    }
}
