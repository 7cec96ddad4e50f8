import Foundation
import GatehouseCore
import GatehouseTLS

/// Everything `gatehouse serve` can be told, from flags, a config file or the environment.
public struct HubConfiguration: Sendable {
    /// Where the hub keeps its SQLite file, keyring and delivered mail.
    public var dataDirectory: String
    public var host: String
    public var port: Int
    /// The URL people reach the hub at; every link in a mail points here.
    public var publicURL: String
    /// `sqlite:PATH` or `postgres://...`; nil means a SQLite file in the data folder.
    public var databaseURL: String?
    /// The keyring file; nil means `keys/keyring.json` in the data folder.
    public var keyringPath: String?
    public var mail: MailSettings
    /// Argon2 memory (KiB) and passes for new password hashes; the hub refuses to start below OWASP's minimum
    /// (m=19456 KiB with t=2, or an equivalent pair) unless ``allowWeakArgon2`` is set.
    public var argon2MemoryKiB: Int
    public var argon2Iterations: Int
    /// Tests and development only: start with Argon2 settings below OWASP's minimum (logged loudly at start).
    public var allowWeakArgon2: Bool
    /// Deprecated `--first-account-is-admin`: no longer makes anyone an admin (the first admin comes from the
    /// one-time setup link printed at start); kept so that old command lines start and `doctor` can say so.
    public var firstAccountIsAdmin: Bool
    /// Who may sign up: `invite` (the default), `open` or `closed` (`--sign-up`, `GATEHOUSE_SIGN_UP`).
    public var signUpMode: SignUpMode = .invite
    /// Members, not only admins, may make invitations (`--members-can-invite`).
    public var membersCanInvite = false
    /// Reverse proxies whose `X-Forwarded-For` is believed: when the socket peer is in one of these networks, the
    /// client is the right-most forwarded hop that is not itself a trusted proxy. Empty: the peer is the client.
    public var trustedProxies: [IPNetwork]
    /// Adds a `/bench/hello` route for the benchmark's reference figure.
    public var benchmarkMode: Bool
    /// Requests waiting for a hashing thread before the hub answers 503.
    public var hashQueueLimit: Int
    /// Seconds a cached credential may be served without the database (0 disables the cache).
    public var credentialCacheSeconds: Double
    /// A breached-password index made by `gatehouse passwords import`; nil disables the check.
    public var breachIndexPath: String?
    /// The Pwned Passwords range API (off by default); used when no local index is configured.
    public var pwnedRangeURL: String?
    /// Refuse new passwords while the range API cannot be reached (default: allow them).
    public var breachCheckFailsClosed: Bool
    /// Who gets access tokens for a server with a known vulnerability: everyone, or its owner only until it updates.
    public var vulnerableServerAccess: ReleaseService.VulnerablePolicy
    /// Idle and absolute lifetimes of device credentials.
    public var deviceLifetimes = DeviceLifetimes()
    /// Failed sign-ins from unknown devices per minute that hold up every unknown device (0: off).
    public var stuffingThreshold = 600
    /// Admins must sign in with a passkey (`--admin-credential passkey`).
    public var adminsNeedPasskey = false
    /// Device verification: a sign-in from a client never seen on an account without a second factor needs a code
    /// mailed to the account (`--device-verification on|off`, `GATEHOUSE_DEVICE_VERIFICATION`; on by default).
    public var deviceVerification = true
    /// Refuse DPoP proofs without the server's nonce (`use_dpop_nonce`, RFC 9449 section 8). Nonces are always
    /// accepted; this makes them required.
    public var dpopRequireNonce = false
    /// Spend every DPoP proof in the database too (one write per DPoP request), so a proof is accepted once across
    /// all hub instances, not once per instance (`GATEHOUSE_DPOP_REPLAY=database`).
    public var dpopSharedReplay = false
    /// Seconds between signed audit checkpoints (written only when a chain moved); 0 turns the writer off
    /// (`GATEHOUSE_AUDIT_CHECKPOINT_INTERVAL`).
    public var auditCheckpointInterval: Double = 3600
    /// Serve Prometheus metrics on this port of ``metricsHost`` (loopback by default), apart from the public port.
    public var metricsPort: Int?
    /// Where traces go over OTLP/HTTP (`--otlp-endpoint`, `GATEHOUSE_OTLP_ENDPOINT`); nil: no tracing.
    public var otlpEndpoint: String?
    /// Most requests traced a second when traces are on (`--trace-rate`, `GATEHOUSE_TRACE_RATE`); nil traces all.
    public var tracesPerSecond: Int? = 10
    public var metricsHost = "127.0.0.1"
    /// Or serve `/metrics` on the public port to requests that carry this bearer token.
    public var metricsToken: String?
    /// Whether metrics are collected at all (either way of serving them is set).
    public var metricsEnabled: Bool { metricsPort != nil || metricsToken != nil }
    /// Device-code sign-in (`/link`) accepts client_ids nobody registered with `gatehouse clients add`, labelled
    /// unverified (`--allow-unregistered-clients`). Off by default.
    public var allowUnregisteredClients = false
    /// Wake the revocation feed with PostgreSQL `LISTEN/NOTIFY` when another instance revokes (on by default; the
    /// 250 ms poll stays as the fallback). `GATEHOUSE_REVOCATION_NOTIFY=off` leaves only the poll (for comparison in
    /// Benchmarks/revocation_latency_bench.py). No effect on SQLite.
    public var revocationNotify = true
    /// How many seconds a hub instance holds the outbox rows it claimed before another instance may take them
    /// (a crashed instance's mail is sent after this). `GATEHOUSE_OUTBOX_LEASE_SECONDS`.
    public var outboxLeaseSeconds: Double = 120
    /// The public port speaks TLS with this certificate and key (`--tls-cert`/`--tls-key`, `GATEHOUSE_TLS_CERT`/
    /// `GATEHOUSE_TLS_KEY`), reloaded on SIGHUP; nil: plain HTTP (behind a proxy, or on loopback).
    public var tls: TLSCertificateFiles?

    public init(
        dataDirectory: String = "./gatehouse-data", host: String = "127.0.0.1", port: Int = 8080,
        publicURL: String? = nil, databaseURL: String? = nil, keyringPath: String? = nil,
        mail: MailSettings = MailSettings(), argon2MemoryKiB: Int = 19_456, argon2Iterations: Int = 2,
        firstAccountIsAdmin: Bool = false, trustedProxies: [IPNetwork] = [], benchmarkMode: Bool = false,
        hashQueueLimit: Int = 64, credentialCacheSeconds: Double = 30, breachIndexPath: String? = nil
    ) {
        self.dataDirectory = dataDirectory
        self.host = host
        self.port = port
        self.publicURL = publicURL ?? "http://localhost:\(port)"
        self.databaseURL = databaseURL
        self.keyringPath = keyringPath
        self.mail = mail
        self.argon2MemoryKiB = argon2MemoryKiB
        self.argon2Iterations = argon2Iterations
        self.allowWeakArgon2 = false
        self.firstAccountIsAdmin = firstAccountIsAdmin
        self.trustedProxies = trustedProxies
        self.benchmarkMode = benchmarkMode
        self.hashQueueLimit = hashQueueLimit
        self.credentialCacheSeconds = credentialCacheSeconds
        self.breachIndexPath = breachIndexPath
        self.pwnedRangeURL = nil
        self.breachCheckFailsClosed = false
        self.vulnerableServerAccess = .everyone
    }

    /// The database URL in force.
    public var resolvedDatabaseURL: String {
        databaseURL ?? "sqlite:" + (dataDirectory as NSString).appendingPathComponent("gatehouse.sqlite")
    }

    /// The keyring path in force.
    public var resolvedKeyringPath: String {
        keyringPath ?? (dataDirectory as NSString).appendingPathComponent("keys/keyring.json")
    }
}

/// How mail leaves the hub.
public struct MailSettings: Sendable {
    public enum Transport: String, Sendable {
        /// .eml files in the data folder (the embedded default).
        case file
        case smtp
    }

    public enum Security: String, Sendable {
        case none
        case starttls
        case tls
    }

    public var transport: Transport
    public var from: String
    public var smtpHost: String
    public var smtpPort: Int
    public var smtpSecurity: Security
    public var smtpUsername: String?
    public var smtpPassword: String?
    /// A PEM file of CA certificates to trust for the SMTP server (for a private CA).
    public var smtpCAFile: String?
    /// Seconds between outbox polls.
    public var pollInterval: Double
    /// First retry delay in seconds; it doubles with each failure up to an hour.
    public var retryBaseSeconds: Double

    public init(
        transport: Transport = .file, from: String = "Gatehouse <no-reply@localhost>", smtpHost: String = "localhost",
        smtpPort: Int = 25, smtpSecurity: Security = .starttls, smtpUsername: String? = nil,
        smtpPassword: String? = nil, smtpCAFile: String? = nil, pollInterval: Double = 0.5,
        retryBaseSeconds: Double = 5
    ) {
        self.retryBaseSeconds = retryBaseSeconds
        self.transport = transport
        self.from = from
        self.smtpHost = smtpHost
        self.smtpPort = smtpPort
        self.smtpSecurity = smtpSecurity
        self.smtpUsername = smtpUsername
        self.smtpPassword = smtpPassword
        self.smtpCAFile = smtpCAFile
        self.pollInterval = pollInterval
    }
}
