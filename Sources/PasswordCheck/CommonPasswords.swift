/// The bundled list of the 30,000 most common passwords (from zxcvbn's frequency lists; see Resources/NOTICE).
public enum CommonPasswords {
    /// Whether `password`, compared without regard to case, is one of the most common passwords.
    public static func contains(_ password: String) -> Bool {
        FrequencyLists.commonPasswords.contains(
            String(String.UnicodeScalarView(password.unicodeScalars.map(PatternMatcher.lowercased))))
    }

    /// The number of passwords in the list.
    public static var count: Int { FrequencyLists.commonPasswords.count }
}
