import Foundation

/// What every operators' alarm does: one entry on the system chain of the security log and one mail per admin,
/// in one transaction. A failure is logged, never thrown: the request that raised the alarm goes on as usual.
enum OperatorAlert {
    static func record(
        _ kind: AuditEvent.Kind, detail: String, caller: Caller, now: Date, environment env: HubEnvironment,
        mail: @escaping @Sendable (Account) -> OutboxMessage
    ) async {
        do {
            try await env.store.transaction { tx in
                try await tx.appendAudit(
                    AuditRecord(
                        accountID: AuditEvent.systemChain, kind: kind, ipAddress: caller.ipAddress, detail: detail),
                    at: now)
                for admin in try await tx.alertRecipients() { try await tx.enqueueMail(mail(admin)) }
            }
        } catch {
            env.logger.error("an operators' alert could not be recorded", metadata: ["kind": "\(kind.rawValue)"])
        }
    }
}
