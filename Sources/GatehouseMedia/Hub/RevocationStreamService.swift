import AsyncHTTPClient
import Foundation
import GatehouseWire
import Logging
import ServiceLifecycle

/// Holds the hub's revocation stream open while the server is claimed and applies what it announces.
///
/// Every `hello` (first connect and each reconnect) moves the global not-before to the hub's time, so tokens
/// issued while the stream was down, when a revocation may have been missed, are refused.
struct RevocationStreamService: Service {
    let hub: HubClient
    let identity: ServerIdentity
    let credential: CredentialHolder
    let revocations: RevocationState
    let logger: Logger
    /// The hub keys, read again at every `hello`: a hub restarted after `gatehouse keys retire` publishes the
    /// retired key no more, and the server drops it at once instead of at its next periodic refresh.
    var keys: MediaKeyRing? = nil
    var initialBackoff: Double = 0.5
    var maximumBackoff: Double = 30

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await loop()
        }
    }

    private func loop() async {
        var backoff = initialBackoff
        while !Task.isCancelled {
            guard identity.serverID != nil, let secret = credential.value else {
                try? await Task.sleep(for: .milliseconds(250))
                continue
            }
            let receivedHello = await connectOnce(credential: secret)
            revocations.streamClosed()
            if Task.isCancelled { return }
            backoff = receivedHello ? initialBackoff : min(backoff * 2, maximumBackoff)
            logger.info("revocation stream closed; reconnecting", metadata: ["after_s": "\(backoff)"])
            try? await Task.sleep(for: .seconds(backoff))
        }
    }

    /// Reads one connection until it ends; returns whether it got as far as a `hello`.
    private func connectOnce(credential secret: String) async -> Bool {
        var sawHello = false
        do {
            let response = try await hub.openRevocationStream(credential: secret)
            guard response.status.code == 200 else {
                logger.warning("revocation stream refused", metadata: ["status": "\(response.status.code)"])
                return false
            }
            var parser = ServerSentEventParser()
            for try await chunk in response.body {
                for event in try parser.feed(chunk.readableBytesView) {
                    if handle(event) {
                        sawHello = true
                        // In the background: revocations on this stream never wait for the key fetch.
                        if let keys { Task { await keys.refresh() } }
                    }
                }
            }
        } catch {
            if !Task.isCancelled {
                logger.warning("revocation stream failed", metadata: ["error": "\(error)"])
            }
        }
        return sawHello
    }

    /// Applies one event; returns true for a `hello`.
    func handle(_ event: ServerSentEventParser.Event) -> Bool {
        let data = Data(event.data.utf8)
        switch event.name {
        case "hello":
            guard let hello = try? WireJSON.decoder.decode(RevocationHello.self, from: data) else { return false }
            revocations.applyHello(at: hello.at)
            logger.info("revocation stream connected")
            return true
        case "revocation":
            guard let revocation = try? WireJSON.decoder.decode(RevocationEvent.self, from: data) else {
                logger.warning("unreadable revocation event")
                return false
            }
            // A revocation scoped to another server (a share of it taken back) is none of this server's business.
            guard revocation.applies(to: identity.serverID) else { return false }
            revocations.apply(revocation)
            logger.info(
                "revocation applied",
                metadata: [
                    "account": "\(revocation.accountID)", "devices": "\(revocation.deviceIDs.count)",
                    "all_devices": "\(revocation.allDevices)", "server_scoped": "\(revocation.serverID != nil)",
                ])
            return false
        default:
            return false
        }
    }
}
