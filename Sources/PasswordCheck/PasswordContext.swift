/// What an attacker would know about the account a password is for: used both to refuse passwords built from it
/// and as an extra dictionary for the strength estimate.
public struct PasswordContext: Sendable, Equatable {
    public var username: String?
    public var email: String?
    public var displayName: String?
    /// The service's own name (`gatehouse` unless the operator renamed it).
    public var serviceName: String
    /// Any other words specific to this account or installation.
    public var extraWords: [String]

    /// Creates a context.
    public init(
        username: String? = nil,
        email: String? = nil,
        displayName: String? = nil,
        serviceName: String = "gatehouse",
        extraWords: [String] = []
    ) {
        self.username = username
        self.email = email
        self.displayName = displayName
        self.serviceName = serviceName
        self.extraWords = extraWords
    }

    /// The context as lower-case words: each value whole, and split at anything that is not a letter or digit
    /// (so `jane.doe@example.com` gives `jane.doe@example.com`, `jane.doe`, `jane`, `doe`, `example`, `com`).
    public var words: [String] {
        var words: [String] = []
        func add(_ value: String) {
            let lower = PasswordPolicy.normalize(value).lowercased()
            guard !lower.isEmpty, !words.contains(lower) else { return }
            words.append(lower)
        }
        for value in [username, displayName, email].compactMap({ $0 }) + [serviceName] + extraWords {
            add(value)
            if let at = value.lastIndex(of: "@") { add(String(value[..<at])) }
            for piece in value.split(whereSeparator: { !$0.isLetter && !$0.isNumber }) { add(String(piece)) }
        }
        return words
    }
}
