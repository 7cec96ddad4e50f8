import Foundation
import GatehouseCore
import SMTPClient

/// Where outbox messages go.
protocol MailTransport: Sendable {
    /// Delivers one message; throws ``MailTransportError`` saying whether a retry may help.
    func deliver(_ message: OutboxMessage) async throws
}

struct MailTransportError: Error {
    var isTransient: Bool
    var reason: String
}

extension MailSettings {
    /// The sender as a mailbox, from `Name <address>` or a bare address.
    var fromAddress: MailAddress {
        if let open = from.lastIndex(of: "<"), let close = from.lastIndex(of: ">"), open < close {
            let name = from[..<open].trimmingCharacters(in: .whitespaces)
            let address = String(from[from.index(after: open)..<close])
            return MailAddress(address, displayName: name.isEmpty ? nil : name)
        }
        return MailAddress(from.trimmingCharacters(in: .whitespaces))
    }
}

extension OutboxMessage {
    /// The RFC 5322 form. The outbox id is the Message-ID, so a receiver can drop a duplicate after a crash
    /// between sending and recording.
    func mailMessage(from: MailAddress) -> MailMessage {
        MailMessage(
            from: from, to: [MailAddress(recipient)], subject: subject, textBody: textBody, htmlBody: htmlBody,
            date: createdAt,
            messageID: "\(id)@" + (from.address.split(separator: "@").last.map(String.init) ?? "gatehouse.invalid"),
            extraHeaders: [.init("X-Gatehouse-Kind", kind), .init("Auto-Submitted", "auto-generated")])
    }
}

/// Writes each message as an .eml file in a folder (the embedded default: no mail server needed).
struct FileMailTransport: MailTransport {
    let directory: String
    let from: MailAddress

    func deliver(_ message: OutboxMessage) async throws {
        let bytes: [UInt8]
        do {
            bytes = try message.mailMessage(from: from).render()
        } catch {
            throw MailTransportError(isTransient: false, reason: "cannot render: \(error)")
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let name = String(format: "%010lld-%@.eml", message.createdAt.epochSeconds, message.id)
        let path = (directory as NSString).appendingPathComponent(name)
        let temporary = path + ".part"
        guard
            FileManager.default.createFile(
                atPath: temporary, contents: Data(bytes), attributes: [.posixPermissions: 0o600])
        else { throw MailTransportError(isTransient: true, reason: "cannot write \(name)") }
        guard rename(temporary, path) == 0 else {
            throw MailTransportError(isTransient: true, reason: "cannot move \(name) into place")
        }
    }
}

/// Sends through an SMTP server.
struct SMTPMailTransport: MailTransport {
    let client: SMTPClient
    let from: MailAddress

    init(settings: MailSettings) throws {
        let security: SMTPConfiguration.Security =
            switch settings.smtpSecurity {
            case .none: .none
            case .starttls: .startTLS
            case .tls: .implicitTLS
            }
        var tls = SMTPTLSOptions()
        if let ca = settings.smtpCAFile { tls = SMTPTLSOptions(verification: .customCA(pemFile: ca)) }
        let configuration = SMTPConfiguration(
            host: settings.smtpHost, port: settings.smtpPort, security: security, username: settings.smtpUsername,
            password: settings.smtpPassword, timeout: .seconds(20), tls: tls)
        self.client = try SMTPClient(configuration: configuration)
        self.from = settings.fromAddress
    }

    func deliver(_ message: OutboxMessage) async throws {
        do {
            try await client.send(message.mailMessage(from: from))
        } catch {
            throw MailTransportError(isTransient: error.isTransient, reason: error.description)
        }
    }
}

/// Checks the configured SMTP server the way delivery will use it (connect, greet, STARTTLS or TLS with the
/// configured trust, AUTH), sending nothing: for `gatehouse doctor`.
public enum SMTPProbe {
    /// nil when the server is reachable and secured as configured; otherwise why not.
    public static func problem(with settings: MailSettings) async -> String? {
        do {
            let transport = try SMTPMailTransport(settings: settings)
            try await transport.client.verifyConnection()
            return nil
        } catch {
            return "\(error)"
        }
    }
}
