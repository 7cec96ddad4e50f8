import Foundation

/// A named, scoped, expiring password for an app that speaks only username and password (a media player, a
/// sync tool). Shown once; stored only as a keyed digest. It never signs a device in: it is presented on each
/// request (HTTP Basic) and reaches only what its scopes allow.
public struct AppPassword: Sendable, Equatable, Codable {
    /// What an app password may do. Anything that changes the account's security (password, e-mail, second
    /// factor, passkeys, shares, devices, app passwords) is out of reach of every scope.
    public enum Scope: String, Sendable, Codable, CaseIterable {
        /// Fetch media-server tokens (and list the servers it may fetch them for), nothing else.
        case media
        /// Read the account API (GET routes), change nothing.
        case accountRead = "account:read"
    }

    public var id: String
    public var accountID: String
    public var name: String
    public var scopes: [Scope]
    public var createdAt: Date
    public var expiresAt: Date
    public var lastUsedAt: Date?
    public var lastUsedAddress: String?
    public var revokedAt: Date?

    public init(
        id: String, accountID: String, name: String, scopes: [Scope], createdAt: Date, expiresAt: Date,
        lastUsedAt: Date? = nil, lastUsedAddress: String? = nil, revokedAt: Date? = nil
    ) {
        self.id = id
        self.accountID = accountID
        self.name = name
        self.scopes = scopes
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.lastUsedAt = lastUsedAt
        self.lastUsedAddress = lastUsedAddress
        self.revokedAt = revokedAt
    }

    /// The stand-in device a request authenticated with this app password runs as: its id is the app password's
    /// (so media tokens name it in `dev`, and revoking it revokes them), and it has never re-authenticated, so no
    /// "sudo mode" change can pass.
    public var device: Device {
        Device(
            id: id, accountID: accountID, kind: .api,
            info: Device.Info(
                clientIdentifier: "app-password", name: name, product: "App password", version: "-",
                platform: "-"),
            ipAddress: lastUsedAddress ?? "", createdAt: createdAt, lastSeenAt: lastUsedAt ?? createdAt,
            reauthenticatedAt: .distantPast)
    }
}

/// Which credential a request runs under, for the services: set (as task-local values) by the hub's
/// authentication for requests made with an app password or with a profile session's device credential, nil for
/// the holder's own device credential, the pages and the CLI's operator commands. Services that change the
/// account's security call ``requireFullCredential()``, so the rule holds whatever route or page reaches them.
public enum CredentialScope {
    @TaskLocal public static var appPassword: AppPassword?
    /// The profile whose session the request runs under (``Device/profileID``).
    @TaskLocal public static var profileID: String?

    /// Throws 403 `app_password_not_allowed` when the request runs under an app password, and 403
    /// `profile_not_allowed` under a profile session: neither may change the account, its devices, shares or
    /// profiles.
    public static func requireFullCredential() throws {
        if appPassword != nil { throw AppPasswordService.Error.notAllowed }
        if profileID != nil { throw ProfileService.Error.notAllowed }
    }
}

/// Reads and writes app passwords. Secrets appear only as keyed digests.
public protocol AppPasswordStore: Sendable {
    func insertAppPassword(_ password: AppPassword, digest: String) async throws
    /// The live (not revoked; expiry is the service's business) app password with this digest.
    func appPassword(digest: String) async throws -> AppPassword?
    /// The account's live app passwords, newest first.
    func appPasswords(accountID: String) async throws -> [AppPassword]
    func countAppPasswords(accountID: String) async throws -> Int
    /// Revokes one and logs the revocation (so media servers drop its tokens); false when there was none.
    func revokeAppPassword(id: String, accountID: String, at: Date) async throws -> Bool
    func touchAppPassword(id: String, at: Date, address: String) async throws
}

/// Which API routes each scope reaches. The rule is the same for every route that exists now or is added later:
/// `media` reaches only the server list and media-token minting; `account:read` reaches only reads (GET). No scope
/// reaches anything else, and the services refuse security changes on their own (``CredentialScope``).
public enum AppPasswordPolicy {
    /// `path` is below the API prefix (`/servers/abc/token`), `method` upper case.
    public static func allows(_ scopes: [AppPassword.Scope], method: String, path: String) -> Bool {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        for scope in scopes {
            switch scope {
            case .media:
                if method == "POST", segments.count == 3, segments[0] == "servers", segments[2] == "token" {
                    return true
                }
                if method == "GET", segments == ["servers"] { return true }
            case .accountRead:
                if method == "GET" || method == "HEAD" { return true }
            }
        }
        return false
    }
}
