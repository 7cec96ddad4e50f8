import Foundation
import GatehouseTLS

/// Everything `gatehouse media` needs to run a media server.
///
/// Mapping from the `gatehouse media` options:
/// - `--library NAME=PATH` (repeatable) → `sections` entry `.init(name: NAME, path: PATH)`;
///   `--library PATH` alone → `.init(path: PATH)` (the folder name is the section name).
/// - `--data DIR` → `dataFolder`; `--host`/`--port` → `host`/`port`; `--hub URL` → `hubURL`;
///   `--public-url URL` → `publicURL` (what the hub and devices use to reach this server); `--name` → `name`.
/// - the executable's version → `version`.
/// - `--updates`, `--update-channel`, `--release-key`, `--update-interval` → `updates` (see `Updates`).
/// - `--offline-key BASE64URL --offline-server-id ID` (testing and benchmarks only) → `offline`.
public struct MediaServerConfiguration: Sendable {
    /// One library folder.
    public struct Section: Sendable, Equatable {
        /// Section name: the unit of sharing.
        public var name: String
        /// Folder path.
        public var path: String
        /// Kind; nil guesses from the name, then from each file's extension.
        public var kind: MediaKind?

        /// A section with an explicit name.
        public init(name: String, path: String, kind: MediaKind? = nil) {
            self.name = name
            self.path = path
            self.kind = kind ?? MediaKind.guess(sectionName: name)
        }

        /// A section named after its folder.
        public init(path: String, kind: MediaKind? = nil) {
            let trimmed = path.hasSuffix("/") && path.count > 1 ? String(path.dropLast()) : path
            self.init(name: URL(fileURLWithPath: trimmed).lastPathComponent, path: trimmed, kind: kind)
        }

        /// Parses `NAME=PATH` or `PATH` (a `/` before the first `=` means the whole argument is a path).
        public init(argument: String) {
            if let equals = argument.firstIndex(of: "="), equals != argument.startIndex,
                !argument[..<equals].contains("/")
            {
                self.init(name: String(argument[..<equals]), path: String(argument[argument.index(after: equals)...]))
            } else {
                self.init(path: argument)
            }
        }
    }

    /// Running without a hub: a fixed server id and trusted keys. For tests and benchmarks only: nothing is
    /// claimed, keys never rotate and no revocation is ever learned.
    public struct OfflineIdentity: Sendable {
        /// The server id tokens must name as audience.
        public var serverID: String
        /// Trusted keys by key id.
        public var keys: [String: HubPublicKey]

        /// Errors reading an offline key.
        public enum KeyError: Error, Equatable {
            case invalidKey
        }

        /// Parses a raw 32-byte Ed25519 public key given as base64url.
        public static func publicKey(base64url text: String) throws -> HubPublicKey {
            guard let raw = Base64URL.decode(text), let key = try? HubPublicKey(rawRepresentation: raw) else {
                throw KeyError.invalidKey
            }
            return key
        }

        /// Creates an offline identity trusting one key, given as base64url, under key id `kid`.
        public init(serverID: String, publicKeyBase64URL: String, kid: String = "s1") throws {
            self.init(serverID: serverID, keys: [kid: try Self.publicKey(base64url: publicKeyBase64URL)])
        }

        /// Creates an offline identity.
        public init(serverID: String, keys: [String: HubPublicKey]) {
            self.serverID = serverID
            self.keys = keys
        }
    }

    /// Library sections.
    public var sections: [Section]
    /// Folder for the server credential, claim record and library index.
    public var dataFolder: String
    /// Address to bind.
    public var host: String
    /// Port to bind (0 picks a free one).
    public var port: Int
    /// Base URL of the hub, e.g. `http://hub.local:8080`.
    public var hubURL: String?
    /// URL at which devices reach this server; sent to the hub when claiming.
    public var publicURL: String?
    /// Name shown on the hub; defaults to the host name.
    public var name: String
    /// Version reported to the hub and on the status page.
    public var version: String
    /// Seconds between library rescans.
    public var rescanInterval: Double
    /// When set, no hub is used (see `OfflineIdentity`).
    public var offline: OfflineIdentity?
    /// Automatic updates; nil turns the updater off (as does offline mode).
    public var updates: Updates?
    /// Seconds between heartbeats to the hub (a 401 is noticed at the next one).
    public var heartbeatInterval: Double = 30
    /// Least seconds between key fetches caused by tokens naming an unknown key id.
    public var keyRefetchInterval: Double = 30
    /// Serve Prometheus metrics on this port of ``metricsHost`` (loopback), apart from the media port.
    public var metricsPort: Int?
    public var metricsHost = "127.0.0.1"
    /// Serve https with this certificate and key (`--tls-cert`/`--tls-key`), reloaded on SIGHUP; nil: plain HTTP.
    public var tls: TLSCertificateFiles?
    /// A PEM bundle of the CA certificates that alone are trusted for an `https://` hub (`--hub-ca`): a household CA
    /// or the hub's self-signed certificate. nil: the system's roots.
    public var hubCAFile: String?

    /// Refuses a hub URL that the network could answer for: anything but `https://`, except `http://` to this
    /// machine (`localhost`, `127.0.0.1`/`127.x.x.x`, `[::1]`).
    public static func checkHubURL(_ url: String) throws(MediaServerConfigurationError) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            let host = components.host?.lowercased(), !host.isEmpty
        else { throw .insecureHub(url) }
        if scheme == "https" { return }
        guard scheme == "http" else { throw .insecureHub(url) }
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let isLoopback =
            bare == "localhost" || bare == "::1"
            || (bare.hasPrefix("127.") && bare.split(separator: ".").count == 4
                && bare.split(separator: ".").allSatisfy { UInt8($0) != nil })
        guard isLoopback else { throw .insecureHub(url) }
    }

    /// Creates a configuration.
    public init(
        sections: [Section], dataFolder: String, host: String = "127.0.0.1", port: Int = 32400,
        hubURL: String? = nil, publicURL: String? = nil, name: String? = nil, version: String = "0.0.0",
        rescanInterval: Double = 60, offline: OfflineIdentity? = nil
    ) {
        self.sections = sections
        self.dataFolder = dataFolder
        self.host = host
        self.port = port
        self.hubURL = hubURL
        self.publicURL = publicURL
        self.name = name ?? ProcessInfo.processInfo.hostName
        self.version = version
        self.rescanInterval = rescanInterval
        self.offline = offline
    }
}
