import Foundation

/// A person's account on the hub. Holds no credential: password hashes and second-factor secrets are read
/// through the privileged ``CredentialStore`` only.
public struct Account: Sendable, Equatable, Codable {
    /// The account's role.
    public enum Role: String, Sendable, Codable {
        case user
        case admin
    }

    public var id: String
    public var username: String
    public var email: String
    public var isEmailVerified: Bool
    public var role: Role
    /// Set by an incident or by a breached password: the old password no longer signs in.
    public var isResetRequired: Bool
    /// Shown in every genuine mail, so a phishing copy stands out.
    public var antiPhishingPhrase: String?
    public var createdAt: Date

    public init(
        id: String, username: String, email: String, isEmailVerified: Bool = false, role: Role = .user,
        isResetRequired: Bool = false, antiPhishingPhrase: String? = nil, createdAt: Date
    ) {
        self.id = id
        self.username = username
        self.email = email
        self.isEmailVerified = isEmailVerified
        self.role = role
        self.isResetRequired = isResetRequired
        self.antiPhishingPhrase = antiPhishingPhrase
        self.createdAt = createdAt
    }
}

/// Checks on usernames and email addresses at registration and change.
public enum AccountNames {
    /// Usernames: 3 to 32 characters of letters, digits, `.`, `_` and `-`, starting with a letter or digit.
    public static func validateUsername(_ username: String) -> String? {
        let scalars = username.unicodeScalars
        guard (3...32).contains(scalars.count) else { return "A username has 3 to 32 characters." }
        guard let first = scalars.first, first.isASCIIAlphanumeric else {
            return "A username starts with a letter or a digit."
        }
        for scalar in scalars where !(scalar.isASCIIAlphanumeric || "._-".unicodeScalars.contains(scalar)) {
            return "A username may hold only letters, digits, '.', '_' and '-'."
        }
        return nil
    }

    /// A pragmatic email check: one `@`, a non-empty local part, a dotted domain, no spaces or controls.
    public static func validateEmail(_ email: String) -> String? {
        guard email.utf8.count <= 254 else { return "That email address is too long." }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."),
            !parts[1].hasSuffix(".")
        else { return "Enter an email address like name@example.com." }
        for scalar in email.unicodeScalars
        where scalar.value <= 0x20 || scalar.value == 0x7f || "<>()[]\\,;:\"".unicodeScalars.contains(scalar) {
            return "Enter an email address like name@example.com."
        }
        return nil
    }

    /// The longest username or e-mail typed at sign-in, in UTF-8 bytes.
    public static let maximumIdentifierBytes = 320

    /// The form identifiers are compared in: lower case, trimmed.
    public static func canonical(_ identifier: String) -> String {
        identifier.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }
}

extension Unicode.Scalar {
    fileprivate var isASCIIAlphanumeric: Bool {
        ("a"..."z").contains(self) || ("A"..."Z").contains(self) || ("0"..."9").contains(self)
    }
}
