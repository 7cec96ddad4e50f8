/// The SMTP envelope: who the server reports bounces to, and who receives the message.
///
/// The envelope, not the message headers, decides delivery: Bcc recipients appear only here.
public struct SMTPEnvelope: Sendable, Hashable {
    /// The reverse path (MAIL FROM); the empty string is the null sender `<>`.
    public var sender: String
    /// The forward paths (RCPT TO), at least one.
    public var recipients: [String]

    /// Creates an envelope.
    public init(sender: String, recipients: [String]) {
        self.sender = sender
        self.recipients = recipients
    }

    /// Checks that every address can go into a command line unchanged.
    func validate() throws(SMTPError) {
        guard !recipients.isEmpty else {
            throw .invalidMessage("no recipients")
        }
        if !sender.isEmpty {
            try Self.validate(sender)
        }
        for recipient in recipients {
            try Self.validate(recipient)
        }
    }

    private static func validate(_ address: String) throws(SMTPError) {
        guard MailAddress.isValidAddress(address) else {
            throw .invalidMessage("malformed address")
        }
    }
}

/// A message ready for the wire: its envelope and its RFC 5322 bytes.
public struct SMTPOutgoingMessage: Sendable, Hashable {
    /// Who sends and who receives.
    public var envelope: SMTPEnvelope
    /// The complete message, headers and body; line endings are normalised to CRLF when sent.
    public var data: [UInt8]

    /// Creates an outgoing message from rendered bytes, for example an `.eml` kept by an outbox.
    public init(envelope: SMTPEnvelope, data: [UInt8]) {
        self.envelope = envelope
        self.data = data
    }

    /// Renders a ``MailMessage``; its envelope lists every To, Cc and Bcc address.
    public init(_ message: MailMessage) throws(SMTPError) {
        do {
            self.init(envelope: message.envelope, data: try message.render())
        } catch {
            throw .invalidMessage(String(describing: error))
        }
    }
}
