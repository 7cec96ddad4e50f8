import Foundation
import GatehouseReleases

/// Releases, advisories, each server's update status, owner alerts for vulnerable servers, and the access policy
/// for them.
public struct ReleaseService: Sendable {
    public enum Error: PublicError, Equatable {
        case invalid(String)
        case duplicate(String)
        case notFound

        public var status: Int {
            switch self {
            case .invalid: 422
            case .duplicate: 409
            case .notFound: 404
            }
        }
        public var code: String {
            switch self {
            case .invalid: "invalid_release"
            case .duplicate: "duplicate"
            case .notFound: "release_not_found"
            }
        }
        public var message: String {
            switch self {
            case .invalid(let reason): reason
            case .duplicate(let what): "\(what) already exists."
            case .notFound: "No such release."
            }
        }
    }

    /// A server's standing.
    public struct Status: Sendable, Equatable {
        public enum State: String, Sendable, Codable {
            case current
            case updateAvailable = "update_available"
            case vulnerable
            case unknown
        }

        public var state: State
        public var latest: String?
        public var advisories: [Advisory]
    }

    /// Who may get tokens for a vulnerable server.
    public enum VulnerablePolicy: String, Sendable {
        case everyone
        case ownerOnly = "owner-only"
    }

    /// Reminders after the first alert: 1, 2, 4, 8 … days apart, at most 30.
    static func reminderGap(afterAlerts count: Int) -> TimeInterval {
        min(86_400 * pow(2, Double(max(count - 1, 0))), 30 * 86_400)
    }

    let env: HubEnvironment
    public let artifactDirectory: String
    public let vulnerablePolicy: VulnerablePolicy

    public init(environment: HubEnvironment, artifactDirectory: String, vulnerablePolicy: VulnerablePolicy = .everyone) {
        self.env = environment
        self.artifactDirectory = artifactDirectory
        self.vulnerablePolicy = vulnerablePolicy
    }

    /// The trust chain media servers follow: every signed key list.
    public func keyLists() async throws -> [SignedKeyList] {
        try await env.store.session.keyLists()
    }

    /// Stores a signed manifest and its artifact after checking both: the signature against the current key chain
    /// (starting from `pinned`), and the artifact's size and SHA-256 against the manifest.
    public func upload(signed: SignedManifest, artifactAt source: String, pinned: ReleaseKeyList.Key) async throws
        -> ReleaseManifest
    {
        var verifier = ReleaseVerifier(pinned: [pinned])
        try verifier.follow(try await keyLists())
        let manifest: ReleaseManifest
        do {
            manifest = try verifier.verify(signed)
        } catch {
            throw Error.invalid("The manifest does not verify: \(error).")
        }
        let actual = try ReleaseManifest.describe(
            artifactAt: source, version: manifest.version, channel: manifest.channel, notes: manifest.notes)
        guard actual.artifact.sha256 == manifest.artifact.sha256, actual.artifact.size == manifest.artifact.size else {
            throw Error.invalid("The artifact's size or SHA-256 differs from the manifest.")
        }
        let existing = try await env.store.session.releases(channel: nil)
        if existing.contains(where: { $0.version == manifest.version.description }) {
            throw Error.duplicate("Release \(manifest.version)")
        }
        try FileManager.default.createDirectory(atPath: artifactDirectory, withIntermediateDirectories: true)
        let destination = artifactPath(version: manifest.version.description)
        let temporary = destination + ".part"
        try? FileManager.default.removeItem(atPath: temporary)
        try FileManager.default.copyItem(atPath: source, toPath: temporary)
        guard rename(temporary, destination) == 0 else { throw Error.invalid("Cannot store the artifact.") }
        try await env.store.session.insertRelease(
            StoredRelease(
                version: manifest.version.description, channel: manifest.channel, signed: signed,
                publishedAt: env.clock.now()))
        return manifest
    }

    public func artifactPath(version: String) -> String {
        (artifactDirectory as NSString).appendingPathComponent("gatehouse-\(version).artifact")
    }

    public func releases(channel: String?) async throws -> [StoredRelease] {
        try await env.store.session.releases(channel: channel)
    }

    public func addAdvisory(id: String, affected: String, fixed: String, severity: String, summary: String)
        async throws -> Advisory
    {
        guard !id.isEmpty, id.count <= 64 else { throw Error.invalid("Give the advisory an id of at most 64 characters.") }
        guard VersionRange(affected) != nil else { throw Error.invalid("--affected is a range like '>=1.0.0, <1.4.2'.") }
        guard SemanticVersion(fixed) != nil else { throw Error.invalid("--fixed is a version like 1.4.2.") }
        guard ["low", "medium", "high", "critical"].contains(severity) else {
            throw Error.invalid("--severity is low, medium, high or critical.")
        }
        if try await env.store.session.advisories().contains(where: { $0.id == id }) {
            throw Error.duplicate("Advisory \(id)")
        }
        let advisory = Advisory(
            id: id, affected: affected, fixed: fixed, severity: severity, summary: String(summary.prefix(2_000)),
            createdAt: env.clock.now())
        try await env.store.session.insertAdvisory(advisory)
        return advisory
    }

    public func advisories() async throws -> [Advisory] {
        try await env.store.session.advisories()
    }

    /// A server's standing against the releases of `channel` and every advisory.
    public func status(of server: MediaServer, channel: String = "stable") async throws -> Status {
        guard let version = SemanticVersion(server.version) else {
            return Status(state: .unknown, latest: nil, advisories: [])
        }
        let affecting = try await advisories().filter { VersionRange($0.affected)?.contains(version) ?? false }
        let latest = try await releases(channel: channel).compactMap { SemanticVersion($0.version) }.max()
        if !affecting.isEmpty {
            return Status(state: .vulnerable, latest: latest?.description, advisories: affecting)
        }
        if let latest, latest > version {
            return Status(state: .updateAvailable, latest: latest.description, advisories: [])
        }
        return Status(state: .current, latest: latest?.description, advisories: [])
    }

    /// Refuses a token for a vulnerable server to anyone but its owner, when the operator's policy says so.
    public func checkAccess(server: MediaServer, account: Account) async throws {
        guard vulnerablePolicy == .ownerOnly, server.ownerID != account.id else { return }
        let status = try await status(of: server)
        guard status.state == .vulnerable, let advisory = status.advisories.first else { return }
        throw RequestError(
            status: 403, code: "server_vulnerable",
            message: "This server runs a version with a known security problem (\(advisory.id)). "
                + "It is closed to shared users until its owner updates it to \(advisory.fixed) or later.")
    }

    /// A media server's report about an update: a rollback mails the owner; every outcome is in the owner's log.
    public func recordUpdateReport(server: MediaServer, version: String, outcome: String, reason: String) async throws {
        guard ["installed", "rolled_back", "available", "refused"].contains(outcome) else {
            throw Error.invalid("outcome is installed, rolled_back, available or refused")
        }
        let now = env.clock.now()
        guard let owner = try await env.store.session.account(id: server.ownerID) else { return }
        let env = self.env
        let detail = "\(server.name): \(outcome) \(String(version.prefix(40))) \(String(reason.prefix(300)))"
        try await env.store.transaction { tx in
            try await tx.appendAudit(
                AuditRecord(accountID: owner.id, kind: .serverUpdate, ipAddress: "server:" + server.id, detail: detail),
                at: now)
            if outcome == "rolled_back" {
                try await tx.enqueueMail(
                    env.mail.updateFailed(
                        to: owner, serverName: server.name, version: String(version.prefix(40)),
                        reason: String(reason.prefix(300)), now: now))
            }
        }
    }

    /// Mails owners of vulnerable servers: once when a server becomes vulnerable, then reminders with growing gaps.
    /// Returns how many mails it queued.
    @discardableResult
    public func sendDueAlerts() async throws -> Int {
        let now = env.clock.now()
        var sent = 0
        for server in try await env.store.session.allServers() {
            let status = try await status(of: server)
            let current = try await env.store.session.alertState(serverID: server.id)
            guard status.state == .vulnerable, let advisory = status.advisories.first else {
                if current != nil {
                    _ = try await env.store.session.advanceAlert(serverID: server.id, expected: current, next: nil)
                }
                continue
            }
            var next: ServerAlertState
            if let current, current.advisoryID == advisory.id {
                guard now >= current.nextAlertAt else { continue }
                next = current
                next.alertsSent += 1
                next.nextAlertAt = now.addingTimeInterval(Self.reminderGap(afterAlerts: next.alertsSent))
            } else {
                next = ServerAlertState(
                    serverID: server.id, advisoryID: advisory.id,
                    nextAlertAt: now.addingTimeInterval(Self.reminderGap(afterAlerts: 1)), alertsSent: 1)
            }
            guard let owner = try await env.store.session.account(id: server.ownerID) else { continue }
            let env = self.env
            let planned = next
            let claimed = try await env.store.transaction { tx -> Bool in
                guard try await tx.advanceAlert(serverID: server.id, expected: current, next: planned) else { return false }
                let text = "\(advisory.id) (\(advisory.severity)): \(advisory.summary) Fixed in \(advisory.fixed)."
                try await tx.enqueueMail(env.mail.serverVulnerable(to: owner, serverName: server.name, advisory: text, now: now))
                return true
            }
            if claimed { sent += 1 }
        }
        return sent
    }
}
