/// The service extensions a server listed in its EHLO reply (RFC 5321 section 4.1.1.1).
struct SMTPServerCapabilities: Sendable {
    /// Upper-cased keyword to its parameters.
    private var extensions: [String: [String]] = [:]

    /// A server that only answered HELO offers nothing.
    static let none = SMTPServerCapabilities()

    private init() {}

    /// Reads every line after the first (which only names the server).
    init(ehloReply reply: SMTPReply) {
        for line in reply.lines.dropFirst() {
            // Some old servers write "AUTH=LOGIN PLAIN"; treat "=" like the space it stands for.
            let words = line.split(whereSeparator: { $0 == " " || $0 == "=" }).map(String.init)
            guard let keyword = words.first else { continue }
            extensions[keyword.uppercased(), default: []].append(contentsOf: words.dropFirst())
        }
    }

    /// Whether the server offers STARTTLS.
    var supportsStartTLS: Bool { extensions["STARTTLS"] != nil }

    /// Whether the server accepts 8-bit content with `BODY=8BITMIME`.
    var supports8BitMIME: Bool { extensions["8BITMIME"] != nil }

    /// The AUTH mechanisms offered, upper-cased.
    var authenticationMechanisms: [String] { (extensions["AUTH"] ?? []).map { $0.uppercased() } }

    /// The SIZE limit in bytes; `nil` when the server states none (or states 0, meaning no fixed limit).
    var sizeLimit: Int? {
        guard let parameters = extensions["SIZE"] else { return nil }
        guard let limit = parameters.first.flatMap({ Int($0) }), limit > 0 else { return nil }
        return limit
    }

    /// Whether SIZE was advertised at all (then MAIL FROM may carry `SIZE=`).
    var supportsSize: Bool { extensions["SIZE"] != nil }
}
