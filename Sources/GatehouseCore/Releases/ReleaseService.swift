import Foundation
import GatehouseReleases

/// Releases, advisories, each server's update status, owner alerts for vulnerable servers, and the access policy
/// for them.
public struct ReleaseService: Sendable {
    public enum Error: PublicError, Equatable, CustomStringConvertible {
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
        /// The message, so the operator commands print it as is.
        public var description: String { message }
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

    public init(environment: HubEnvironment, artifactDirectory: String, vulnerablePolicy: VulnerablePolicy = .everyone)
    {
        self.env = environment
        self.artifactDirectory = artifactDirectory
        self.vulnerablePolicy = vulnerablePolicy
    }

    /// The trust chain media servers follow: every signed key list.
    public func keyLists() async throws -> [SignedKeyList] {
        try await env.store.autocommit.keyLists()
    }

    /// Stores a signed manifest and its artifact after checking both: the signature against the current key chain
    /// (starting from the registered root), and the artifact's size and SHA-256 against the manifest.
    public func upload(signed: SignedManifest, artifactAt source: String) async throws -> ReleaseManifest {
        let chain = try await verifier()
        let manifest: ReleaseManifest
        do {
            manifest = try chain.verify(signed)
        } catch {
            throw Error.invalid("The manifest does not verify: \(error).")
        }
        let actual = try ReleaseManifest.describe(
            artifactAt: source, version: manifest.version, channel: manifest.channel, notes: manifest.notes)
        guard actual.artifact.sha256 == manifest.artifact.sha256, actual.artifact.size == manifest.artifact.size else {
            throw Error.invalid("The artifact's size or SHA-256 differs from the manifest.")
        }
        let existing = try await env.store.autocommit.releases(channel: nil)
        if existing.contains(where: { $0.version == manifest.version.description }) {
            throw Error.duplicate("Release \(manifest.version)")
        }
        try FileManager.default.createDirectory(atPath: artifactDirectory, withIntermediateDirectories: true)
        let destination = artifactPath(version: manifest.version.description)
        let temporary = destination + ".part"
        try? FileManager.default.removeItem(atPath: temporary)
        try FileManager.default.copyItem(atPath: source, toPath: temporary)
        guard rename(temporary, destination) == 0 else { throw Error.invalid("Cannot store the artifact.") }
        try await env.store.autocommit.insertRelease(
            StoredRelease(
                version: manifest.version.description, channel: manifest.channel, signed: signed,
                publishedAt: env.clock.now()))
        return manifest
    }

    public func artifactPath(version: String) -> String {
        (artifactDirectory as NSString).appendingPathComponent("gatehouse-\(version).artifact")
    }

    public func releases(channel: String?) async throws -> [StoredRelease] {
        try await env.store.autocommit.releases(channel: channel)
    }

    /// Stores an advisory the release key signed (offline), as given, after checking its signature against the
    /// registered key chain. The hub cannot make one itself: it never holds the release key.
    public func addAdvisory(signed: SignedAdvisory) async throws -> Advisory {
        let chain = try await verifier()
        let document: AdvisoryDocument
        do {
            document = try chain.verify(signed)
        } catch {
            throw Error.invalid("The advisory does not verify: \(error).")
        }
        if try await env.store.autocommit.advisories().contains(where: { $0.id == document.id }) {
            throw Error.duplicate("Advisory \(document.id)")
        }
        let advisory = Advisory(
            id: document.id, affected: document.affected, fixed: document.fixed, severity: document.severity,
            summary: document.summary, createdAt: env.clock.now(), signed: signed)
        try await env.store.autocommit.insertAdvisory(advisory)
        return advisory
    }

    /// The verifier of the registered chain: the root (key list 0, self-signed) followed through every later list.
    func verifier() async throws -> ReleaseVerifier {
        let lists = try await keyLists()
        guard let root = lists.first, let bytes = Base64URL.decode(root.list),
            let list = try? JSONDecoder().decode(ReleaseKeyList.self, from: Data(bytes)), list.sequence == 0,
            let first = list.keys.first
        else {
            throw Error.invalid(
                "No release key is registered yet: upload the root key list (`gatehouse releases keygen` writes it "
                    + "beside the key as FILE.pub) with `gatehouse releases upload --key-list FILE.pub`.")
        }
        // A list that does not verify (written into the database by someone without the key) is skipped: it
        // neither moves trust nor blocks the genuine lists after it.
        var verifier = ReleaseVerifier(pinned: [first])
        for list in lists {
            var next = verifier
            do {
                try next.follow([list])
                verifier = next
            } catch {
                continue
            }
        }
        return verifier
    }

    /// The first key of the chain, as media servers pin it.
    public func rootKey() async throws -> ReleaseKeyList.Key? {
        guard let root = try await keyLists().first, let bytes = Base64URL.decode(root.list),
            let list = try? JSONDecoder().decode(ReleaseKeyList.self, from: Data(bytes))
        else { return nil }
        return list.keys.first
    }

    /// Registers a key list: list 0 (the root, signed by its own key) when none is registered, else the next
    /// sequence, signed by a key the chain trusts now (a rotation).
    public func registerKeyList(_ signed: SignedKeyList) async throws -> ReleaseKeyList {
        guard let bytes = Base64URL.decode(signed.list),
            let list = try? JSONDecoder().decode(ReleaseKeyList.self, from: Data(bytes)), !list.keys.isEmpty
        else { throw Error.invalid("The key list is malformed.") }
        let existing = try await keyLists()
        var verifier: ReleaseVerifier
        if existing.isEmpty {
            guard list.sequence == 0 else { throw Error.invalid("The first key list is the root list, sequence 0.") }
            verifier = ReleaseVerifier(pinned: list.keys)
        } else {
            guard list.sequence == existing.count else {
                throw Error.invalid("The next key list has sequence \(existing.count), not \(list.sequence).")
            }
            verifier = try await self.verifier()
        }
        do {
            try verifier.follow([signed])
        } catch {
            throw Error.invalid("The key list does not verify against the registered chain: \(error).")
        }
        try await env.store.autocommit.appendKeyList(sequence: list.sequence, signed: signed)
        return list
    }

    /// Stores a release list the release key signed, when it verifies and is newer than the one served now.
    public func uploadList(_ signed: SignedReleaseList) async throws -> ReleaseList {
        let chain = try await verifier()
        let list: ReleaseList
        do {
            list = try chain.verify(signed)
        } catch {
            throw Error.invalid("The release list does not verify: \(error).")
        }
        guard list.expiryDate.map({ $0 > env.clock.now() }) ?? false else {
            throw Error.invalid("The release list has expired (\(list.expires)); sign a fresh one.")
        }
        if let current = try await newestVerifiedList(chain), current.sequence >= list.sequence {
            throw Error.duplicate("A release list with sequence \(current.sequence)")
        }
        try await env.store.autocommit.storeReleaseList(sequence: list.sequence, signed: signed)
        return list
    }

    /// The newest signed release list that verifies against the registered chain, served as given (a list someone
    /// wrote into the database without the key never hides the genuine one).
    public func releaseList() async throws -> SignedReleaseList? {
        guard let chain = try? await verifier() else { return nil }
        return try await newestVerifiedList(chain)?.signed
    }

    private func newestVerifiedList(_ chain: ReleaseVerifier) async throws
        -> (sequence: Int64, signed: SignedReleaseList)?
    {
        try await env.store.autocommit.recentReleaseLists(limit: 50).first { (try? chain.verify($0.signed)) != nil }
    }

    public func advisories() async throws -> [Advisory] {
        try await env.store.autocommit.advisories()
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
        guard let owner = try await env.store.autocommit.account(id: server.ownerID) else { return }
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
        for server in try await env.store.autocommit.allServers() {
            let status = try await status(of: server)
            let current = try await env.store.autocommit.alertState(serverID: server.id)
            guard status.state == .vulnerable, let advisory = status.advisories.first else {
                if current != nil {
                    _ = try await env.store.autocommit.advanceAlert(serverID: server.id, expected: current, next: nil)
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
            guard let owner = try await env.store.autocommit.account(id: server.ownerID) else { continue }
            let env = self.env
            let planned = next
            let claimed = try await env.store.transaction { tx -> Bool in
                guard try await tx.advanceAlert(serverID: server.id, expected: current, next: planned) else {
                    return false
                }
                let text = "\(advisory.id) (\(advisory.severity)): \(advisory.summary) Fixed in \(advisory.fixed)."
                try await tx.enqueueMail(
                    env.mail.serverVulnerable(to: owner, serverName: server.name, advisory: text, now: now))
                return true
            }
            if claimed { sent += 1 }
        }
        return sent
    }
}
