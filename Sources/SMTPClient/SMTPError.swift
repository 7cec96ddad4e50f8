/// The step of an SMTP session at which something went wrong.
public enum SMTPStage: String, Sendable, Hashable {
    case connect
    case greeting
    case hello
    case startTLS
    case authentication
    case mailFrom
    case recipient
    case data
    case messageBody
    case reset
    case quit
}

/// Why sending mail failed.
///
/// The outbox decides from ``isTransient`` whether to try again later or to give up on a message.
public enum SMTPError: Error, Sendable, Hashable {
    /// The TCP connection could not be opened (refused, unreachable, name not resolved).
    case connectionFailed(String)
    /// The server closed the connection (or it was reset) before the session finished.
    case connectionClosed(SMTPStage)
    /// No answer within the configured timeout.
    case timedOut(SMTPStage)
    /// The TLS handshake failed, including a certificate that did not verify.
    case tlsFailed(String)
    /// STARTTLS was required but the server did not offer it. Never downgraded silently:
    /// an attacker on the path can strip the offer.
    case startTLSUnavailable
    /// The server answered with an unexpected reply code.
    case rejected(stage: SMTPStage, reply: SMTPReply)
    /// The server offers none of the configured AUTH mechanisms (or no AUTH at all).
    case authenticationUnavailable(offered: [String])
    /// Credentials would have crossed an unencrypted connection; see
    /// ``SMTPConfiguration/allowsInsecureAuthentication``.
    case insecureAuthenticationRefused
    /// The server's reply was not valid SMTP, or it sent data where it must not (such as after STARTTLS).
    case protocolViolation(String)
    /// The message is larger than the server's advertised SIZE limit.
    case messageTooLarge(size: Int, limit: Int)
    /// The message cannot be sent as given (no recipient, malformed address, header injection).
    case invalidMessage(String)
    /// The configuration cannot work (for example an unreadable CA file).
    case invalidConfiguration(String)

    /// Whether the same message may go through if it is sent again later, unchanged.
    ///
    /// Transient: 4xx replies, dropped connections, timeouts, failed connects, TLS failures (a server's
    /// certificate gets fixed; a path may be tampered with for a while), a missing STARTTLS offer, garbled replies.
    /// Permanent: 5xx replies, oversized or invalid messages, configuration errors.
    /// Note that a 5xx during ``SMTPStage/authentication`` or ``SMTPStage/hello`` concerns every message, not only
    /// this one; ``stage`` tells them apart.
    public var isTransient: Bool {
        switch self {
        case .connectionFailed, .connectionClosed, .timedOut, .tlsFailed, .startTLSUnavailable, .protocolViolation:
            true
        case .rejected(_, let reply):
            reply.isTransientNegative
        case .authenticationUnavailable, .insecureAuthenticationRefused, .messageTooLarge, .invalidMessage,
            .invalidConfiguration:
            false
        }
    }

    /// The session step that failed, when one is known.
    public var stage: SMTPStage? {
        switch self {
        case .connectionFailed: .connect
        case .connectionClosed(let stage), .timedOut(let stage), .rejected(let stage, _): stage
        case .tlsFailed, .startTLSUnavailable: .startTLS
        case .authenticationUnavailable, .insecureAuthenticationRefused: .authentication
        case .protocolViolation, .messageTooLarge, .invalidMessage, .invalidConfiguration: nil
        }
    }
}

extension SMTPError: CustomStringConvertible {
    /// A one-line description, free of credentials.
    public var description: String {
        switch self {
        case .connectionFailed(let reason): "SMTP connection failed: \(reason)"
        case .connectionClosed(let stage): "SMTP connection closed by the server during \(stage.rawValue)"
        case .timedOut(let stage): "SMTP server did not answer in time during \(stage.rawValue)"
        case .tlsFailed(let reason): "SMTP TLS failed: \(reason)"
        case .startTLSUnavailable: "SMTP server does not offer STARTTLS"
        case .rejected(let stage, let reply): "SMTP server rejected \(stage.rawValue): \(reply)"
        case .authenticationUnavailable(let offered):
            "SMTP server offers no usable AUTH mechanism (offered: \(offered.joined(separator: " ")))"
        case .insecureAuthenticationRefused: "refusing to send SMTP credentials over an unencrypted connection"
        case .protocolViolation(let reason): "SMTP protocol violation: \(reason)"
        case .messageTooLarge(let size, let limit): "message of \(size) bytes exceeds the server limit of \(limit)"
        case .invalidMessage(let reason): "invalid message: \(reason)"
        case .invalidConfiguration(let reason): "invalid SMTP configuration: \(reason)"
        }
    }
}
