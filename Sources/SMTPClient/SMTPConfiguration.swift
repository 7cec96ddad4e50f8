/// Everything ``SMTPClient`` needs to reach and talk to one SMTP server.
public struct SMTPConfiguration: Sendable {
    /// How the connection is protected.
    public enum Security: Sendable, Hashable {
        /// Plain TCP. Credentials are refused unless ``SMTPConfiguration/allowsInsecureAuthentication`` is set.
        case none
        /// Plain TCP upgraded with the STARTTLS command (port 587 style). The upgrade is required:
        /// a server that does not offer it is an error, never a silent fallback to plain text.
        case startTLS
        /// TLS from the first byte (port 465 style).
        case implicitTLS
    }

    /// Which mechanism authenticates the client.
    public enum AuthenticationMechanism: String, Sendable, Hashable, CaseIterable {
        /// RFC 4616: user name and password in one base64 message.
        case plain = "PLAIN"
        /// The common `LOGIN` mechanism: user name and password in two base64 answers.
        case login = "LOGIN"
    }

    /// The server's host name or IP address. With TLS the certificate must be valid for it.
    public var host: String
    /// The server's TCP port.
    public var port: Int
    /// How the connection is protected.
    public var security: Security
    /// The user name for AUTH; no AUTH is attempted when `nil`.
    public var username: String?
    /// The password for AUTH.
    public var password: String?
    /// Mechanisms the client may use, in order of preference; the first one the server offers wins.
    public var authenticationMechanisms: [AuthenticationMechanism]
    /// Allows credentials over an unencrypted connection. Meant only for tests against a local server.
    public var allowsInsecureAuthentication: Bool
    /// The name the client gives in EHLO/HELO; set it to the sending host's domain name.
    public var heloName: String
    /// Bound on connecting and on waiting for each server reply.
    public var timeout: Duration
    /// Certificate checking for ``Security/startTLS`` and ``Security/implicitTLS``.
    public var tls: SMTPTLSOptions

    /// Creates a configuration.
    ///
    /// - Parameters:
    ///   - host: The server's host name or IP address.
    ///   - port: The server's port; defaults to 25, 587 or 465 according to `security`.
    ///   - security: How the connection is protected.
    ///   - username: The user name for AUTH, or `nil` for no AUTH.
    ///   - password: The password for AUTH.
    ///   - heloName: The client's name in EHLO/HELO.
    ///   - timeout: Bound on connecting and on each server reply.
    ///   - tls: Certificate checking options.
    public init(
        host: String,
        port: Int? = nil,
        security: Security = .startTLS,
        username: String? = nil,
        password: String? = nil,
        authenticationMechanisms: [AuthenticationMechanism] = [.plain, .login],
        allowsInsecureAuthentication: Bool = false,
        heloName: String = "localhost",
        timeout: Duration = .seconds(30),
        tls: SMTPTLSOptions = SMTPTLSOptions()
    ) {
        self.host = host
        self.port = port ?? Self.defaultPort(for: security)
        self.security = security
        self.username = username
        self.password = password
        self.authenticationMechanisms = authenticationMechanisms
        self.allowsInsecureAuthentication = allowsInsecureAuthentication
        self.heloName = heloName
        self.timeout = timeout
        self.tls = tls
    }

    /// The usual port for a security mode: 25 (none), 587 (STARTTLS), 465 (implicit TLS).
    public static func defaultPort(for security: Security) -> Int {
        switch security {
        case .none: 25
        case .startTLS: 587
        case .implicitTLS: 465
        }
    }

    /// Whether AUTH will be attempted.
    var hasCredentials: Bool { username != nil }
}

extension SMTPConfiguration: CustomStringConvertible {
    /// The settings without the password, safe for logs.
    public var description: String {
        let user = username.map { " user=\($0) password=\(password == nil ? "none" : "<redacted>")" } ?? ""
        return "smtp://\(host):\(port) security=\(security)\(user) helo=\(heloName) timeout=\(timeout)"
    }
}

/// How the server's TLS certificate is checked.
public struct SMTPTLSOptions: Sendable, Hashable {
    /// The trust decision for the server certificate.
    public enum Verification: Sendable, Hashable {
        /// Verify the chain against the system's trusted roots and the host name (the default).
        case system
        /// Verify the chain against the CA certificates in a PEM file (and the host name).
        /// Use for a private CA or a self-signed server certificate.
        case customCA(pemFile: String)
        /// Accept any certificate. Encrypts against passive eavesdroppers only; an active attacker can read everything.
        case disabled
    }

    /// The trust decision for the server certificate.
    public var verification: Verification
    /// The name to send in SNI and to verify the certificate against, when it differs from the configured host
    /// (for example when connecting by IP address to a server whose certificate names a host).
    public var serverName: String?

    /// Creates TLS options; by default the certificate is verified against the system roots.
    public init(verification: Verification = .system, serverName: String? = nil) {
        self.verification = verification
        self.serverName = serverName
    }
}
