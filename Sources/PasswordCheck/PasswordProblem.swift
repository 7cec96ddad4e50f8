/// One reason a password was refused, with a stable code for programs and a message for people.
public struct PasswordProblem: Sendable, Equatable, Codable {
    /// The rule that failed. The raw values are stable API (they appear in JSON responses and the CLI).
    public enum Code: String, Sendable, Equatable, Codable, CaseIterable {
        case tooShort = "too_short"
        case tooLong = "too_long"
        case common
        case containsUserInfo = "contains_user_info"
        case breached
        /// The breach check could not run and the source is configured to fail closed.
        case breachCheckUnavailable = "breach_check_unavailable"
        case tooGuessable = "too_guessable"
    }

    public var code: Code
    /// A sentence a person can act on.
    public var message: String
    /// Further advice (from the strength estimate), possibly empty.
    public var suggestions: [String]

    /// Creates a problem.
    public init(code: Code, message: String, suggestions: [String] = []) {
        self.code = code
        self.message = message
        self.suggestions = suggestions
    }
}
