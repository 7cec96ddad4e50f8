import Foundation

/// An email in text and/or HTML, rendered as RFC 5322 with MIME bodies.
///
/// Every header value is checked when rendering: a CR, LF or NUL in any of them is an error, so text that
/// reaches a header (a name, a subject) can never add headers or start the body.
public struct MailMessage: Sendable, Hashable {
    /// How body text is encoded for 7-bit transport.
    public enum BodyEncoding: Sendable, Hashable {
        /// Readable for mostly-ASCII text (the default).
        case quotedPrintable
        /// Compact for mostly non-Latin text.
        case base64
    }

    /// A header added to the standard ones.
    public struct Header: Sendable, Hashable {
        /// The field name, printable ASCII without a colon.
        public var name: String
        /// The value; non-ASCII text is written as encoded words.
        public var value: String

        /// Creates a header.
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// Why a message cannot be rendered.
    public enum Error: Swift.Error, Sendable, Hashable, CustomStringConvertible {
        /// An address that is not a plain `local@domain`, or a display name with a line break.
        case invalidAddress(String)
        /// A header name that is malformed or one the renderer writes itself.
        case invalidHeaderName(String)
        /// A header value containing CR, LF or NUL.
        case headerInjection(String)
        /// No To, Cc or Bcc address.
        case noRecipients

        /// A one-line description.
        public var description: String {
            switch self {
            case .invalidAddress(let address): "invalid address \"\(address)\""
            case .invalidHeaderName(let name): "invalid or reserved header name \"\(name)\""
            case .headerInjection(let name): "line break in the value of header \"\(name)\""
            case .noRecipients: "no recipients"
            }
        }
    }

    /// The author and envelope sender.
    public var from: MailAddress
    /// The primary recipients.
    public var to: [MailAddress]
    /// Copied recipients, shown in the header.
    public var cc: [MailAddress]
    /// Hidden recipients: in the envelope only, never in the header.
    public var bcc: [MailAddress]
    /// The subject, any Unicode text without line breaks.
    public var subject: String
    /// The plain-text body.
    public var textBody: String?
    /// The HTML body; with a text body too, both go in a multipart/alternative.
    public var htmlBody: String?
    /// The Date header's moment.
    public var date: Date
    /// The Message-ID without angle brackets; generated when the message is created, so renders agree.
    public var messageID: String
    /// Headers added after the standard ones (Reply-To, List-Unsubscribe, X-...).
    public var extraHeaders: [Header]
    /// How the bodies are encoded.
    public var bodyEncoding: BodyEncoding

    /// Creates a message; `messageID` defaults to a random id at the sender's domain.
    public init(
        from: MailAddress,
        to: [MailAddress],
        cc: [MailAddress] = [],
        bcc: [MailAddress] = [],
        subject: String,
        textBody: String? = nil,
        htmlBody: String? = nil,
        date: Date = Date(),
        messageID: String? = nil,
        extraHeaders: [Header] = [],
        bodyEncoding: BodyEncoding = .quotedPrintable
    ) {
        self.from = from
        self.to = to
        self.cc = cc
        self.bcc = bcc
        self.subject = subject
        self.textBody = textBody
        self.htmlBody = htmlBody
        self.date = date
        self.messageID = messageID ?? "\(UUID().uuidString.lowercased())@\(from.domain ?? "localhost")"
        self.extraHeaders = extraHeaders
        self.bodyEncoding = bodyEncoding
    }

    /// The envelope: sender `from`, recipients To, Cc and Bcc.
    public var envelope: SMTPEnvelope {
        SMTPEnvelope(sender: from.address, recipients: (to + cc + bcc).map(\.address))
    }

    /// Headers the renderer writes itself; an extra header may not replace them.
    private static let reservedHeaders: Set<String> = [
        "from", "to", "cc", "bcc", "subject", "date", "message-id", "mime-version", "content-type",
        "content-transfer-encoding",
    ]

    /// The complete message with CRLF line endings, ready for DATA or an `.eml` file.
    public func render() throws(Error) -> [UInt8] {
        guard !(to + cc + bcc).isEmpty else {
            throw .noRecipients
        }
        var output = ""
        output += MIMEEncoding.header("Date", words: [MailDate.format(date)])
        output += try addressHeader("From", [from])
        if !to.isEmpty {
            output += try addressHeader("To", to)
        }
        if !cc.isEmpty {
            output += try addressHeader("Cc", cc)
        }
        for address in bcc {
            _ = try address.rendered()
        }
        try Self.checkValue(subject, of: "Subject")
        output += MIMEEncoding.header("Subject", words: MIMEEncoding.unstructuredWords(subject, headerName: "Subject"))
        try Self.checkValue(messageID, of: "Message-ID")
        let isValidID =
            (1...900).contains(messageID.utf8.count)
            && messageID.utf8.allSatisfy {
                (0x21...0x7E).contains($0) && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">")
            }
        guard isValidID else {
            throw .headerInjection("Message-ID")
        }
        output += MIMEEncoding.header("Message-ID", words: ["<\(messageID)>"])
        for header in extraHeaders {
            try Self.checkName(header.name)
            try Self.checkValue(header.value, of: header.name)
            output += MIMEEncoding.header(
                header.name,
                words: MIMEEncoding.unstructuredWords(header.value, headerName: header.name)
            )
        }
        output += "MIME-Version: 1.0\r\n"
        output += body()
        return Array(output.utf8)
    }

    private func body() -> String {
        switch (textBody, htmlBody) {
        case (let text?, let html?):
            let boundary = Self.makeBoundary()
            return "Content-Type: multipart/alternative;\r\n boundary=\"\(boundary)\"\r\n\r\n"
                + "This is a multi-part message in MIME format.\r\n"
                + "--\(boundary)\r\n" + part(text, subtype: "plain")
                + "\r\n--\(boundary)\r\n" + part(html, subtype: "html")
                + "\r\n--\(boundary)--\r\n"
        case (nil, let html?):
            return part(html, subtype: "html")
        case (let text?, nil):
            return part(text, subtype: "plain")
        case (nil, nil):
            return part("", subtype: "plain")
        }
    }

    private func part(_ content: String, subtype: String) -> String {
        let encodingName: String
        let encoded: String
        switch bodyEncoding {
        case .quotedPrintable:
            encodingName = "quoted-printable"
            encoded = MIMEEncoding.quotedPrintable(content)
        case .base64:
            encodingName = "base64"
            encoded = MIMEEncoding.base64Lines(content)
        }
        return "Content-Type: text/\(subtype); charset=utf-8\r\n"
            + "Content-Transfer-Encoding: \(encodingName)\r\n\r\n"
            + encoded + (encoded.hasSuffix("\r\n") || encoded.isEmpty ? "" : "\r\n")
    }

    /// A boundary starting with "=_": quoted-printable writes "=" only as "=XX" and base64 has no "_",
    /// so no encoded body can contain it.
    private static func makeBoundary() -> String {
        "=_gatehouse_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }

    private func addressHeader(_ name: String, _ addresses: [MailAddress]) throws(Error) -> String {
        var words: [String] = []
        for (index, address) in addresses.enumerated() {
            let rendered = try address.rendered()
            let pieces = rendered.split(separator: " ").map(String.init)
            words += index < addresses.count - 1 ? pieces.dropLast() + [(pieces.last ?? "") + ","] : pieces
        }
        return MIMEEncoding.header(name, words: words)
    }

    private static func checkName(_ name: String) throws(Error) {
        let isWellFormed =
            !name.isEmpty && name.utf8.count <= 76
            && name.utf8.allSatisfy { (0x21...0x7E).contains($0) && $0 != UInt8(ascii: ":") }
        guard isWellFormed, !reservedHeaders.contains(name.lowercased()) else {
            throw .invalidHeaderName(name)
        }
    }

    private static func checkValue(_ value: String, of name: String) throws(Error) {
        guard !MIMEEncoding.containsLineBreak(value) else {
            throw .headerInjection(name)
        }
    }
}
