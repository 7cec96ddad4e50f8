/// A mailbox: an address with an optional display name, as in `Gatehouse <no-reply@example.org>`.
public struct MailAddress: Sendable, Hashable {
    /// The address, `local@domain`, ASCII only.
    public var address: String
    /// The name shown to people; any Unicode text without line breaks.
    public var displayName: String?

    /// Creates a mailbox. Validity is checked when the message is rendered.
    public init(_ address: String, displayName: String? = nil) {
        self.address = address
        self.displayName = displayName
    }

    /// The domain part of the address, if it has one.
    var domain: String? {
        guard let at = address.lastIndex(of: "@") else { return nil }
        return String(address[address.index(after: at)...])
    }

    /// The header form: the address alone, or the (quoted or encoded) name and the address in angle brackets.
    func rendered() throws(MailMessage.Error) -> String {
        guard Self.isValidAddress(address) else {
            throw .invalidAddress(address)
        }
        guard let displayName, !displayName.isEmpty else {
            return address
        }
        guard !MIMEEncoding.containsLineBreak(displayName) else {
            throw .invalidAddress(address)
        }
        return "\(MIMEEncoding.phrase(displayName)) <\(address)>"
    }

    private static let localCharacters = Set(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~.".utf8
    )
    private static let domainCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.".utf8)

    /// Whether `address` is a plain `local@domain` that can go into a header or an SMTP command unchanged.
    ///
    /// Deliberately narrower than RFC 5321: no quoted local parts, no non-ASCII (that needs SMTPUTF8).
    static func isValidAddress(_ address: String) -> Bool {
        let bytes = Array(address.utf8)
        guard bytes.count <= 254, let at = bytes.lastIndex(of: UInt8(ascii: "@")) else { return false }
        let local = bytes[..<at]
        let domain = bytes[(at + 1)...]
        guard (1...64).contains(local.count), local.allSatisfy(localCharacters.contains) else { return false }
        guard local.first != UInt8(ascii: "."), local.last != UInt8(ascii: "."),
            !zip(local, local.dropFirst()).contains(where: { $0 == UInt8(ascii: ".") && $1 == UInt8(ascii: ".") })
        else { return false }
        return isValidDomainOrLiteral(String(decoding: domain, as: UTF8.self))
    }

    /// Whether `name` is a host name (letters, digits, hyphens, dots) or an address literal like `[127.0.0.1]`.
    static func isValidDomainOrLiteral(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= 253 else { return false }
        if bytes.first == UInt8(ascii: "["), bytes.last == UInt8(ascii: "]") {
            let inner = bytes.dropFirst().dropLast()
            return !inner.isEmpty
                && inner.allSatisfy { (0x21...0x7E).contains($0) && $0 != 0x5B && $0 != 0x5D && $0 != 0x5C }
        }
        guard bytes.allSatisfy(domainCharacters.contains) else { return false }
        return name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            !label.isEmpty && label.utf8.count <= 63 && label.first != "-" && label.last != "-"
        }
    }
}
