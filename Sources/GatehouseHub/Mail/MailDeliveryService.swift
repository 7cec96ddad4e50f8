import Foundation
import GatehouseCore
import Logging
import ServiceLifecycle
import Tracing

/// Delivers the outbox: polls for due messages, sends each, and records the result. A failure is retried with
/// exponential backoff (5 s doubling to 1 h); a message is given up after 40 transient or 5 permanent failures.
/// Messages are marked sent only after the transport accepted them, so a crash can at worst resend one message
/// (with the same Message-ID), never lose one.
///
/// Several hub instances may share one outbox: each claims the rows it sends (`claimDueMail`, `FOR UPDATE SKIP
/// LOCKED` on PostgreSQL) for `lease`, so one message goes out once. A crashed instance's claims lapse after the
/// lease and another instance sends them. Right before each message is sent its claim is renewed for a whole lease
/// (and the message skipped if the claim was lost), so no send starts on a claim that may lapse mid-send unless a
/// single send outlasts the lease. After half a lease on one batch the rest is given back.
struct MailDeliveryService: Service {
    let store: any HubStore
    let composer: MailComposer
    let incidents: IncidentService
    let transport: any MailTransport
    let pollInterval: Duration
    let retryBase: Double
    let logger: Logger
    var metrics: HubMetrics = .disabled
    /// Who this instance is in `outbox.claimed_by` (random per process).
    var claimant = "hub-" + UUID().uuidString.lowercased()
    var lease: TimeInterval = 120

    func run() async throws {
        logger.info("mail delivery started")
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let delivered = (try? await deliverDue()) ?? 0
            if delivered == 0 {
                try? await Task.sleep(for: pollInterval)
            }
        }
    }

    /// Sends what is due now; returns how many were handled.
    func deliverDue(limit: Int = 50) async throws -> Int {
        let now = Date()
        let due = try await store.autocommit.claimDueMail(
            now: now, limit: limit, claimant: claimant, until: now.addingTimeInterval(lease))
        for (index, sealed) in due.enumerated() {
            let start = Date()
            if start.timeIntervalSince(now) > lease / 2 {
                try await store.autocommit.releaseMailClaims(ids: due[index...].map(\.id), claimant: claimant)
                return index
            }
            guard
                try await store.autocommit.renewMailClaim(
                    id: sealed.id, claimant: claimant, now: start, until: start.addingTimeInterval(lease))
            else {
                logger.warning(
                    "outbox claim lost before sending; another instance has it", metadata: ["message": "\(sealed.id)"])
                continue
            }
            try await withSpan("mail.send", ofKind: .client) { span in
                span.attributes["gatehouse.mail.kind"] = sealed.kind
                try await deliver(sealed)
            }
        }
        return due.count
    }

    /// One message: rendered or opened, handed to the transport, marked sent; or marked for a retry.
    private func deliver(_ sealed: OutboxMessage) async throws {
        var message = sealed
        do {
            if sealed.template != nil {
                guard let rendered = try await incidents.renderNotice(sealed) else {
                    try await store.autocommit.markMailFailed(
                        id: sealed.id, error: "its incident or account is gone", nextAttemptAt: Date(), giveUp: true)
                    return
                }
                message = rendered
            } else {
                message.textBody = try composer.openBody(sealed.textBody, messageID: sealed.id)
                message.htmlBody = try composer.openBody(sealed.htmlBody, messageID: sealed.id)
            }
            try await transport.deliver(message)
            try await store.autocommit.markMailSent(id: message.id, at: Date())
            metrics.mailDelivered()
        } catch {
            metrics.mailFailed()
            let failure = error as? MailTransportError
            let transient = failure?.isTransient ?? true
            let attempts = message.attempts + 1
            let giveUp = attempts >= (transient ? 40 : 5)
            let delay = min(retryBase * pow(2, Double(min(attempts - 1, 20))), 3_600)
            try await store.autocommit.markMailFailed(
                id: message.id, error: String((failure?.reason ?? "\(error)").prefix(500)),
                nextAttemptAt: Date().addingTimeInterval(delay), giveUp: giveUp)
            logger.warning(
                "mail delivery failed",
                metadata: ["message": "\(message.id)", "attempt": "\(attempts)", "transient": "\(transient)"])
        }
    }
}
