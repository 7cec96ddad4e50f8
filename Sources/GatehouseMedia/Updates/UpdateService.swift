import Foundation
import GatehouseReleases
import Logging
import ServiceLifecycle
import Synchronization

/// Keeps the media server current: checks the hub's releases on a schedule, verifies them against the pinned
/// release key, downloads and checks the artifact, installs it beside the running build, switches `current` and
/// returns so the process can exit for its supervisor to restart it (docs/update-protocol.md). It also reports to
/// the hub what the supervisor concluded about the last update (installed, or rolled back).
final class UpdateService: Service, Sendable {
    let hub: HubClient
    let credential: CredentialHolder
    let settings: MediaServerConfiguration.Updates
    let running: SemanticVersion
    let versions: VersionsFolder
    let stateStore: UpdateStateStore
    let alerts: TrustAlerts
    let logger: Logger
    /// How long to wait for the supervisor's health check to settle before reporting on it.
    let settleTimeout: Double = 120
    private let staged = Mutex(false)
    /// Reports sent by this process, so a hostile or broken hub is reported once, not at every check.
    private let reported = Mutex(Set<String>())

    init(
        hub: HubClient, credential: CredentialHolder, settings: MediaServerConfiguration.Updates,
        running: SemanticVersion, dataFolder: String, alerts: TrustAlerts, logger: Logger
    ) {
        self.alerts = alerts
        self.hub = hub
        self.credential = credential
        self.settings = settings
        self.running = running
        versions = VersionsFolder(dataFolder: dataFolder)
        stateStore = UpdateStateStore(dataFolder: dataFolder)
        self.logger = logger
    }

    /// True once an update is installed and `current` switched: the process should exit with code 75.
    var hasStagedUpdate: Bool { staged.withLock { $0 } }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.loop()
        }
    }

    private func loop() async {
        await waitForHealthCheck()
        await reportMarkers()
        guard await sleep(settings.firstCheckDelay) else { return }
        while !Task.isCancelled {
            if await check() {
                staged.withLock { $0 = true }
                return
            }
            guard await sleep(settings.checkInterval) else { return }
        }
    }

    private func sleep(_ seconds: Double) async -> Bool {
        do {
            try await Task.sleep(for: .seconds(seconds))
            return true
        } catch {
            return false
        }
    }

    /// While `pending` names this version the supervisor is still health-checking it.
    private func waitForHealthCheck() async {
        let deadline = Date().addingTimeInterval(settleTimeout)
        while let pending = versions.read(.pending), pending.version == running.description, Date() < deadline {
            guard await sleep(0.5) else { return }
        }
    }

    /// Tells the hub what the supervisor concluded; each marker is removed once the hub has it.
    private func reportMarkers() async {
        if let rolledBack = versions.read(.rolledBack) {
            if var state = stateStore.load(), !state.rejected.contains(rolledBack.version) {
                state.rejected.append(rolledBack.version)
                save(state)
            }
            let reason = rolledBack.reason ?? "failed its health check"
            logger.error(
                "the update was rolled back", metadata: ["version": "\(rolledBack.version)", "reason": "\(reason)"])
            if await report(version: rolledBack.version, outcome: "rolled_back", reason: reason) {
                versions.remove(.rolledBack)
            }
        }
        if let installed = versions.read(.installed) {
            logger.notice("updated", metadata: ["version": "\(installed.version)"])
            if await report(version: installed.version, outcome: "installed", reason: "") {
                versions.remove(.installed)
            }
        }
    }

    /// One check; true when an update was staged.
    func check() async -> Bool {
        await reportMarkers()
        guard var state = stateStore.load(pin: settings.releaseKey) else {
            logger.notice(
                "updates off: no release key pinned (--release-key ID:KEY, printed by `gatehouse releases keygen`)")
            return false
        }
        let listing: ReleaseListing
        let advisories: [PublishedAdvisory]
        do {
            listing = try await hub.releases(channel: settings.channel)
            advisories = try await hub.advisories()
        } catch {
            logger.warning("update check failed", metadata: ["error": "\(error)"])
            return false
        }
        let planner = UpdatePlanner(policy: settings.policy, channel: settings.channel, running: running)
        let plan = planner.evaluate(listing: listing, advisories: advisories, state: &state)
        save(state)
        // Every entry that did not verify is skipped and reported; none of them stops a valid release.
        for refusal in plan.refused {
            await refuse(version: refusal.version, reason: refusal.reason)
        }
        if plan.warnings.isEmpty {
            alerts.clear(.releaseList)
        } else {
            alerts.raise(.releaseList, plan.warnings.joined(separator: " "))
            for warning in plan.warnings {
                await reportOnce(version: "release-list", outcome: "refused", reason: warning)
            }
        }
        switch plan.decision {
        case .upToDate:
            return false
        case .available(let manifest):
            logger.notice("a newer release is available", metadata: ["version": "\(manifest.version)"])
            if settings.policy == .notify || !settings.isSupervised {
                await reportOnce(version: manifest.version.description, outcome: "available", reason: manifest.notes)
            }
            return false
        case .refuse:
            // Reported with the other refusals above.
            return false
        case .install(let manifest):
            guard settings.isSupervised else {
                await reportOnce(version: manifest.version.description, outcome: "available", reason: manifest.notes)
                return false
            }
            do {
                try await install(manifest)
                return true
            } catch {
                await refuse(version: manifest.version.description, reason: "\(error)")
                return false
            }
        }
    }

    /// Downloads beside the running build, checks it, then stages it: `pending` first, so that a crash before the
    /// switch leaves a marker the supervisor resolves instead of an unchecked switch.
    private func install(_ manifest: ReleaseManifest) async throws {
        let folder = versions.folder(version: manifest.version)
        try FileManager.default.createDirectory(
            at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let part = folder.appendingPathComponent(VersionsFolder.executableName + ".part").path
        let target = folder.appendingPathComponent(VersionsFolder.executableName).path
        defer { _ = unlink(part) }
        logger.notice("downloading release", metadata: ["version": "\(manifest.version)"])
        let digest = try await hub.downloadArtifact(version: manifest.version, size: manifest.artifact.size, to: part)
        guard digest == manifest.artifact.sha256.lowercased() else { throw HubClient.ArtifactFailure.digestMismatch }
        guard chmod(part, 0o755) == 0, rename(part, target) == 0 else {
            throw VersionsFolder.Failure.fileSystem("install \(manifest.version)", errno)
        }
        let previous = versions.currentTarget
        try versions.write(.init(version: manifest.version.description, previous: previous), as: .pending)
        do {
            try versions.switchCurrent(to: manifest.version.description)
        } catch {
            versions.remove(.pending)
            throw error
        }
        logger.notice("update staged; restarting into it", metadata: ["version": "\(manifest.version)"])
    }

    private func refuse(version: String, reason: String) async {
        logger.warning("refused an update", metadata: ["version": "\(version)", "reason": "\(reason)"])
        await reportOnce(version: version, outcome: "refused", reason: reason)
    }

    private func reportOnce(version: String, outcome: String, reason: String) async {
        let key = "\(outcome) \(version) \(reason)"
        guard !reported.withLock({ $0.contains(key) }) else { return }
        if await report(version: version, outcome: outcome, reason: reason) {
            reported.withLock { _ = $0.insert(key) }
        }
    }

    /// False when the hub could not take the report (unreachable, or the server is not claimed yet).
    private func report(version: String, outcome: String, reason: String) async -> Bool {
        guard let secret = credential.value else { return false }
        do {
            return try await hub.reportUpdate(credential: secret, version: version, outcome: outcome, reason: reason)
        } catch {
            logger.warning("could not report to the hub", metadata: ["outcome": "\(outcome)", "error": "\(error)"])
            return false
        }
    }

    private func save(_ state: UpdateState) {
        do {
            try stateStore.save(state)
        } catch {
            logger.error("cannot save the update state", metadata: ["error": "\(error)"])
        }
    }
}
