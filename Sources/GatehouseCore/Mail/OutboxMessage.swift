import Foundation

/// A mail waiting in the outbox. Written in the same transaction as the event that causes it; the delivery
/// service sends it, retrying with backoff, and marks it sent exactly once.
public struct OutboxMessage: Sendable, Equatable {
    public var id: String
    public var recipient: String
    public var subject: String
    public var textBody: String
    public var htmlBody: String
    public var kind: String
    public var createdAt: Date
    public var attempts: Int
    public var nextAttemptAt: Date
    public var sentAt: Date?
    public var lastError: String?
    /// Set for messages rendered at delivery instead of stored whole (`incident:<incident id>`): an incident's
    /// million notices differ only in the account, so each row holds a reference, not two kilobytes of body.
    public var template: String?

    public init(
        id: String, recipient: String, subject: String, textBody: String, htmlBody: String, kind: String,
        createdAt: Date, attempts: Int = 0, nextAttemptAt: Date, sentAt: Date? = nil, lastError: String? = nil,
        template: String? = nil
    ) {
        self.template = template
        self.id = id
        self.recipient = recipient
        self.subject = subject
        self.textBody = textBody
        self.htmlBody = htmlBody
        self.kind = kind
        self.createdAt = createdAt
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.sentAt = sentAt
        self.lastError = lastError
    }
}

/// The mail outbox.
public protocol OutboxStore: Sendable {
    func enqueueMail(_ message: OutboxMessage) async throws
    /// Queues many messages in a few statements (an incident's notices).
    func enqueueMail(_ messages: [OutboxMessage]) async throws
    /// Unsent messages due at `now`, oldest first.
    func dueMail(now: Date, limit: Int) async throws -> [OutboxMessage]
    /// Claims up to `limit` due messages for `claimant` until `until`, oldest first, atomically: a message claimed
    /// by one hub instance is not handed to another before the claim lapses (`until`) or is released. Marking a
    /// message sent or failed releases its claim.
    func claimDueMail(now: Date, limit: Int, claimant: String, until: Date) async throws -> [OutboxMessage]
    /// Extends `claimant`'s claim on one message to `until`, if it still holds it at `now` (not lapsed, not taken
    /// by another instance since, not sent); false otherwise, and the message must not be sent.
    func renewMailClaim(id: String, claimant: String, now: Date, until: Date) async throws -> Bool
    /// Gives back claims of `claimant` on messages it did not get to (they are due again at once).
    func releaseMailClaims(ids: [String], claimant: String) async throws
    func markMailSent(id: String, at: Date) async throws
    func markMailFailed(id: String, error: String, nextAttemptAt: Date, giveUp: Bool) async throws
    /// Counts of messages by state (for status pages and tests).
    func mailCounts() async throws -> (pending: Int, sent: Int, failed: Int)
}
