import Foundation

/// Declares incidents and works through their accounts in batches: each batch is one transaction that flags,
/// signs out, queues notices and advances the cursor together, so the work can be killed at any moment and re-run
/// without processing an account twice or sending a notice twice.
public struct IncidentService: Sendable {
    public enum Error: PublicError, Equatable {
        case notFound
        case unknownAccounts([String])
        case nothingToDo

        public var status: Int {
            switch self {
            case .notFound: 404
            case .unknownAccounts, .nothingToDo: 422
            }
        }
        public var code: String {
            switch self {
            case .notFound: "incident_not_found"
            case .unknownAccounts: "unknown_accounts"
            case .nothingToDo: "nothing_to_do"
            }
        }
        public var message: String {
            switch self {
            case .notFound: "No such incident."
            case .unknownAccounts(let names): "No account matches: \(names.joined(separator: ", "))."
            case .nothingToDo: "Say what to do: --force-reset, --sign-out-all, --notify or --banner."
            }
        }
    }

    /// Progress after a batch.
    public struct Progress: Sendable {
        public var processed: Int
        public var total: Int
    }

    let env: HubEnvironment

    public init(environment: HubEnvironment) {
        self.env = environment
    }

    /// Declares an incident. `forceReset` is nil (no reset), `[]` (every account) or a list of usernames/emails.
    public func declare(
        reason: String, forceReset: [String]?, signOutAll: Bool, notify: Bool, banner: String?, caller: Caller
    ) async throws -> Incident {
        guard forceReset != nil || signOutAll || notify || banner != nil else { throw Error.nothingToDo }
        var targets: [String] = []
        var missing: [String] = []
        if let names = forceReset, !names.isEmpty {
            for name in names {
                if let account = try await env.store.session.account(identifier: name) {
                    targets.append(account.id)
                } else {
                    missing.append(name)
                }
            }
            if !missing.isEmpty { throw Error.unknownAccounts(missing) }
        }
        let now = env.clock.now()
        let total = targets.isEmpty ? try await env.store.session.accountCount() : Set(targets).count
        let incident = Incident(
            id: "inc_" + SecureRandom.identifier(), reason: reason, scope: targets.isEmpty ? "all" : "accounts",
            forceReset: forceReset != nil, signOutAll: signOutAll, notify: notify, banner: banner, state: .running,
            cursor: "", processed: 0, total: total, createdAt: now, resolvedAt: nil)
        let unique = Array(Set(targets))
        try await env.store.transaction { tx in
            try await tx.insertIncident(incident, targets: unique)
        }
        return incident
    }

    /// Processes the incident's remaining accounts, `batchSize` per transaction, calling `progress` after each.
    @discardableResult
    public func run(
        incidentID: String, batchSize: Int = 1_000, progress: @Sendable (Progress) -> Void = { _ in }
    ) async throws -> Incident {
        guard var incident = try await env.store.session.incident(id: incidentID) else { throw Error.notFound }
        let env = self.env
        while incident.state == .running {
            let current = incident
            let now = env.clock.now()
            let (updated, revoked) = try await env.store.transaction { tx -> (Incident, [String]) in
                // Re-read inside the transaction: another run may have advanced the cursor.
                guard let fresh = try await tx.incident(id: current.id), fresh.state == .running else {
                    return (try await tx.incident(id: current.id) ?? current, [])
                }
                let accounts = try await tx.incidentBatch(fresh, limit: batchSize)
                if accounts.isEmpty {
                    try await tx.setIncidentState(id: fresh.id, state: .applied, at: now)
                    var done = fresh
                    done.state = .applied
                    return (done, [])
                }
                let work = accounts.map { account -> IncidentAccountWork in
                    let notice =
                        fresh.notify
                        ? env.mail.incidentNotice(
                            to: account, reason: fresh.reason, resetRequired: fresh.forceReset, now: now) : nil
                    return IncidentAccountWork(account: account, resetTokenDigest: nil, notice: notice)
                }
                let next = try await tx.applyIncidentBatch(
                    fresh, work: work, resetExpiresAt: now.addingTimeInterval(max(env.settings.resetLifetime, 86_400)),
                    at: now)
                return (next, fresh.signOutAll || fresh.forceReset ? accounts.map(\.id) : [])
            }
            for accountID in revoked {
                env.announce(Revocation(accountID: accountID, deviceIDs: [], allDevices: true, at: now))
            }
            incident = updated
            progress(Progress(processed: incident.processed, total: incident.total))
        }
        return incident
    }

    public func list() async throws -> [Incident] {
        try await env.store.session.incidents()
    }

    public func status(id: String) async throws -> Incident {
        guard let incident = try await env.store.session.incident(id: id) else { throw Error.notFound }
        return incident
    }

    /// Closes an incident: its banner goes away. Accounts already flagged stay flagged until they reset.
    public func resolve(id: String) async throws -> Incident {
        let now = env.clock.now()
        _ = try await status(id: id)
        try await env.store.session.setIncidentState(id: id, state: .resolved, at: now)
        return try await status(id: id)
    }

    /// Banners for apps and pages.
    public func banners() async throws -> [String] {
        try await env.store.session.activeBanners()
    }
}
