/// The bundled list of the 30,000 most common passwords (from zxcvbn's frequency lists; see Resources/NOTICE).
public enum CommonPasswords {
    /// Whether `password`, compared without regard to case, is one of the most common passwords.
    public static func contains(_ password: String) -> Bool {
        FrequencyLists.commonPasswords.contains(
            String(String.UnicodeScalarView(password.unicodeScalars.map(PatternMatcher.lowercased))))
    }

    /// The `count` most common passwords, most common first (what an attacker tries first).
    public static func top(_ count: Int) -> [String] {
        EmbeddedText.passwordsTxt.split(separator: "\n").prefix(count).map(String.init)
    }

    /// The number of passwords in the list.
    public static var count: Int { FrequencyLists.commonPasswords.count }
}
