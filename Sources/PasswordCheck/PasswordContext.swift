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

    /// The context as lower-case words: each value whole, the e-mail address's local part and domain, then every
    /// value split at anything that is not a letter or digit (so `jane.doe@example.com` gives
    /// `jane.doe@example.com`, `jane.doe`, `example.com`, `jane`, `doe`, `example`, `com`).
    ///
    /// Whole values and address parts come before the pieces, and the account's own details before
    /// ``extraWords``: the strength estimator uses only the first few dozen words (of at most 64 Unicode scalars),
    /// so a long display name cannot push the e-mail address out.
    public var words: [String] {
        var words: [String] = []
        var seen = Set<String>()
        func add(_ value: some StringProtocol) {
            let lower = PasswordPolicy.normalize(String(value)).lowercased()
            guard !lower.isEmpty, seen.insert(lower).inserted else { return }
            words.append(lower)
        }
        func addParts(of value: String) {
            add(value)
            if let at = value.lastIndex(of: "@") {
                add(value[..<at])
                add(value[value.index(after: at)...])
            }
        }
        func addPieces(of value: String) {
            for piece in value.split(whereSeparator: { !$0.isLetter && !$0.isNumber }) { add(piece) }
        }
        let details = [username, email, displayName].compactMap { $0 } + [serviceName]
        details.forEach(addParts)
        details.forEach(addPieces)
        for value in extraWords {
            addParts(of: value)
            addPieces(of: value)
        }
        return words
    }
}
