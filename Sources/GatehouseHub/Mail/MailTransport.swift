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
///
/// Each file is written under a temporary name, flushed to disk and renamed into place, so a reader never sees half
/// a message, and a message's bytes are on disk before it has a name (the folder's own entry is not flushed: after a
/// power loss a message the outbox recorded as sent may be missing, as with the old Foundation write). Plain system
/// calls: Foundation's `createFile` made a second temporary file of its own, and a sign-in sends a new-sign-in
/// notice.
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
        let name = Self.fileName(createdAt: message.createdAt.epochSeconds, id: message.id)
        let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
        let temporary = path + ".part"
        func failure(_ step: String) -> MailTransportError {
            MailTransportError(isTransient: true, reason: "cannot \(step) \(name): \(String(cString: strerror(errno)))")
        }
        // A part left by a crash is removed; the new one is created afresh (never through a link someone put there)
        // and readable by the owner only.
        unlink(temporary)
        let flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC
        var descriptor = open(temporary, flags, 0o600)
        if descriptor < 0 && errno == ENOENT {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            descriptor = open(temporary, flags, 0o600)
        }
        guard descriptor >= 0 else { throw failure("create") }
        let written = bytes.withUnsafeBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let count = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { return false }
                offset += count
            }
            return true
        }
        guard written && fsync(descriptor) == 0 else {
            let error = failure(written ? "flush" : "write")
            close(descriptor)
            unlink(temporary)
            throw error
        }
        close(descriptor)
        guard rename(temporary, path) == 0 else {
            let error = failure("name")
            unlink(temporary)
            throw error
        }
    }

    /// `<created, ten digits>-<id>.eml`: the folder lists in the order the messages were written.
    static func fileName(createdAt: Int64, id: String) -> String {
        let seconds = String(max(0, createdAt))
        return String(repeating: "0", count: max(0, 10 - seconds.count)) + seconds + "-" + id + ".eml"
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
