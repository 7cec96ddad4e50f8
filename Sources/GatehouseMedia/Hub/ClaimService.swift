import Foundation
import Logging
import ServiceLifecycle

/// Runs the claim flow (pinning the hub's keys when the claim lands), then the heartbeat. A 401 once claimed never
/// unclaims the server: it raises an alert (console and status page) and keeps its claim until the owner decides.
struct ClaimService: Service {
    let hub: HubClient
    let store: ServerCredentialStore
    let identity: ServerIdentity
    let credential: CredentialHolder
    let serverName: String
    let version: String
    let platform: String
    let publicURL: String?
    let keys: MediaKeyRing
    let alerts: TrustAlerts
    let logger: Logger
    var heartbeatInterval: Double = 30
    var pollInterval: Double = 2
    var retryInterval: Double = 5

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await loop()
        }
    }

    private func loop() async {
        while !Task.isCancelled {
            let wait: Double
            do {
                wait = try await step()
            } catch {
                if Task.isCancelled { return }
                logger.warning("hub unreachable", metadata: ["error": "\(error)"])
                wait = retryInterval
            }
            try? await Task.sleep(for: .seconds(wait))
        }
    }

    /// One round of the state machine; returns the seconds to wait before the next.
    private func step() async throws -> Double {
        let secret: String
        if let current = credential.value {
            secret = current
        } else {
            secret = try store.loadOrCreateCredential()
            credential.set(secret)
        }
        switch identity.current {
        case .claimed:
            let alive = try await hub.heartbeat(credential: secret, version: version, platform: platform)
            if !alive, try await hub.me(credential: secret) == nil {
                // Removed on the hub, or a hub (or an impostor) that lies: never forget the claim on its word.
                alerts.raise(
                    .hubCredential,
                    "The hub refuses this server's credential (401). The server keeps its claim and waits for its "
                        + "owner: if you removed it on the hub, stop it, delete server.json and hub-keys.json in its "
                        + "data folder and start it again to claim it anew.")
                return heartbeatInterval
            }
            alerts.clear(.hubCredential)
            return heartbeatInterval
        case .unclaimed(let code, let expiresAt):
            if let info = try await hub.me(credential: secret) {
                let record = ServerCredentialStore.ClaimRecord(
                    serverID: info.serverID, ownerID: info.ownerID, name: info.name ?? serverName)
                try store.saveClaim(record)
                // Trust on the claim: the hub's keys now are the pin; later keys must be endorsed by it. Pinned
                // before the claim shows, so the first token after it verifies.
                keys.forgetPin()
                await keys.refresh(pinningNow: true)
                identity.update(.claimed(serverID: record.serverID, ownerID: record.ownerID, name: record.name))
                logger.info("claimed on the hub", metadata: ["server_id": "\(record.serverID)"])
                return heartbeatInterval
            }
            let now = Int64(Date().timeIntervalSince1970)
            if code == nil || (expiresAt ?? 0) <= now {
                let claim = try await hub.requestClaim(
                    name: serverName, version: version, platform: platform, publicURL: publicURL,
                    credentialDigest: ServerCredentialStore.digest(of: secret))
                identity.update(.unclaimed(code: claim.code, expiresAt: claim.expiresAt))
                logger.notice("claim this server on the hub: gatehouse servers claim \(claim.code)")
                // The same through the hub's /link page (RFC 8628), where the owner sees what is asking and
                // approves. A hub without it simply answers an error: the claim code above still works.
                if let link = try? await hub.requestLink(
                    claimCode: claim.code, credentialDigest: ServerCredentialStore.digest(of: secret))
                {
                    let minutes = link.expiresIn / 60
                    logger.notice(
                        "or approve it on the hub: open \(link.verificationURIComplete) (code \(link.userCode), \(minutes) minutes)"
                    )
                }
            }
            return pollInterval
        }
    }
}

/// Runs a closure periodically until graceful shutdown.
struct PeriodicService: Service {
    let interval: Double
    let runImmediately: Bool
    let work: @Sendable () async -> Void

    func run() async throws {
        await cancelWhenGracefulShutdown {
            if runImmediately { await work() }
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: .seconds(interval))
                } catch {
                    return
                }
                await work()
            }
        }
    }
}
