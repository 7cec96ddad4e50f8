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
        reason: String, forceReset: [String]?, signOutAll: Bool, notify: Bool, banner: String?,
        by actor: AdminAuthorization.Operator, caller: Caller
    ) async throws -> Incident {
        try AdminAuthorization(environment: env).authorize(actor)
        guard forceReset != nil || signOutAll || notify || banner != nil else { throw Error.nothingToDo }
        var targets: [String] = []
        var missing: [String] = []
        if let names = forceReset, !names.isEmpty {
            for name in names {
                if let account = try await env.store.autocommit.account(identifier: name) {
                    targets.append(account.id)
                } else {
                    missing.append(name)
                }
            }
            if !missing.isEmpty { throw Error.unknownAccounts(missing) }
        }
        let now = env.clock.now()
        let total = targets.isEmpty ? try await env.store.autocommit.accountCount() : Set(targets).count
        let incident = Incident(
            id: "inc_" + SecureRandom.identifier(), reason: reason, scope: targets.isEmpty ? .all : .accounts,
            forceReset: forceReset != nil, signOutAll: signOutAll, notify: notify, banner: banner, state: .running,
            cursor: "", processed: 0, total: total, createdAt: now, resolvedAt: nil)
        let unique = Array(Set(targets))
        try await env.store.transaction { tx in
            try await tx.insertIncident(incident, targets: unique)
        }
        return incident
    }

    /// Processes the incident's remaining accounts, `batchSize` per transaction, calling `progress` after each.
    ///
    /// The batches form a pipeline: while one batch's transaction writes, the notices of the next are composed on
    /// another core. Each transaction applies only if the incident's cursor is still where its accounts were read
    /// (another run may have moved it), so no account is processed twice.
    ///
    /// The run stops between batches, leaving the incident running (resumable), when its task is cancelled or
    /// `shouldStop` says so (the hub's graceful shutdown).
    @discardableResult
    public func run(
        incidentID: String, batchSize: Int = 1_000, progress: @Sendable (Progress) -> Void = { _ in },
        shouldStop: @Sendable () -> Bool = { false }
    ) async throws -> Incident {
        guard var incident = try await env.store.autocommit.incident(id: incidentID) else { throw Error.notFound }
        let env = self.env
        let session = env.store.autocommit
        var cursor = incident.cursor
        var accounts = incident.state == .running ? try await session.incidentBatch(incident, limit: batchSize) : []
        var work = compose(accounts, for: incident, now: env.clock.now())
        while incident.state == .running, !Task.isCancelled, !shouldStop() {
            let now = env.clock.now()
            if accounts.isEmpty {
                let finalCursor = cursor
                try await env.store.transaction { tx in
                    guard let fresh = try await tx.incident(id: incidentID), fresh.state == .running,
                        fresh.cursor == finalCursor
                    else { return }
                    try await tx.setIncidentState(id: incidentID, state: .applied, at: now)
                }
                incident = try await session.incident(id: incidentID) ?? incident
                if incident.state == .running {
                    cursor = incident.cursor
                    accounts = try await session.incidentBatch(incident, limit: batchSize)
                    work = compose(accounts, for: incident, now: now)
                }
                continue
            }
            // Read the next batch now (quick), compose it while this batch is written.
            var ahead = incident
            ahead.cursor = accounts[accounts.count - 1].id
            let nextAccounts = try await session.incidentBatch(ahead, limit: batchSize)
            let current = incident
            let expected = cursor
            let batch = work
            async let nextWork = compose(nextAccounts, for: current, now: now)
            let updated = try await env.store.transaction { tx -> Incident in
                var reading = current
                reading.cursor = expected
                try await Self.apply(batch, of: reading, in: tx, at: now)
                return try await tx.incident(id: reading.id) ?? reading
            }
            let composed = await nextWork
            if updated.cursor == ahead.cursor {
                env.metrics.incidentProgress(accounts: accounts.count)
                if current.signOutAll || current.forceReset {
                    for account in accounts {
                        env.announce(Revocation(accountID: account.id, deviceIDs: [], allDevices: true, at: now))
                    }
                }
                cursor = ahead.cursor
                accounts = nextAccounts
                work = composed
            } else {
                // Another run moved the cursor: start again from where it is.
                cursor = updated.cursor
                accounts = updated.state == .running ? try await session.incidentBatch(updated, limit: batchSize) : []
                work = compose(accounts, for: updated, now: now)
            }
            incident = updated
            progress(Progress(processed: incident.processed, total: incident.total))
        }
        return incident
    }

    /// One batch, in the caller's transaction, from the bulk primitives of the stores that own each table: the
    /// cursor moves first and only if it is still where this run read it (exactly-once; otherwise nothing is
    /// written), then the accounts are flagged and their reset links voided, signed out everywhere (devices, app
    /// passwords, one account-wide revocation-log entry each), their notices queued and the event appended to
    /// each account's audit chain.
    static func apply(_ work: [IncidentAccountWork], of incident: Incident, in tx: any StoreTransaction, at now: Date)
        async throws
    {
        guard let last = work.last?.account.id else { return }
        let ids = work.map(\.account.id)
        guard try await tx.advanceIncident(incident, to: last, count: ids.count) else { return }
        if incident.forceReset {
            try await tx.requireReset(accountIDs: ids)
            try await tx.voidTokens(purpose: .passwordReset, accountIDs: ids)
        }
        let signsOut = incident.signOutAll || incident.forceReset
        if signsOut { try await tx.revokeEverything(accountIDs: ids, at: now) }
        try await tx.enqueueMail(work.compactMap(\.notice))
        try await tx.appendAudit(
            kind: .incidentApplied,
            detail: "incident \(incident.id)" + (incident.forceReset ? ", reset required" : "")
                + (signsOut ? ", signed out" : ""),
            ipAddress: "operator", toChains: ids, at: now)
    }

    /// Runs the incident on the hub's background queue (``BackgroundWork``): a web-declared incident's page answers
    /// at once and shows progress. A graceful shutdown stops it between batches; ``resumeUnfinished()`` at the next
    /// start (or `gatehouse incident resume`) goes on from its cursor. False when the queue refused it.
    @discardableResult
    public func start(incidentID: String) -> Bool {
        let service = self
        let background = env.background
        return background.submit("incident") {
            do {
                _ = try await service.run(incidentID: incidentID, shouldStop: { background.isStopping })
            } catch {
                service.env.logger.error(
                    "incident stopped", metadata: ["incident": "\(incidentID)", "error": "\(type(of: error))"])
            }
        }
    }

    /// Queues every incident still running (one stopped by a shutdown or a crash) on the background queue. Safe with
    /// several instances: each batch applies only at the cursor it was read at, so no account is done twice.
    @discardableResult
    public func resumeUnfinished() async throws -> Int {
        let running = try await list().filter { $0.state == .running }
        for incident in running {
            env.logger.notice("resuming an unfinished incident", metadata: ["incident": "\(incident.id)"])
            start(incidentID: incident.id)
        }
        return running.count
    }

    /// Renders a notice stored as a reference (at delivery time); nil when the incident or account is gone.
    public func renderNotice(_ message: OutboxMessage) async throws -> OutboxMessage? {
        guard let template = message.template, template.hasPrefix("incident:") else { return message }
        let parts = template.dropFirst("incident:".count).split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, let incident = try await env.store.autocommit.incident(id: parts[0]),
            let account = try await env.store.autocommit.account(id: parts[1])
        else { return nil }
        let composed = env.mail.incidentNotice(
            to: account, reason: incident.reason, resetRequired: incident.forceReset, now: message.createdAt)
        var rendered = message
        rendered.subject = composed.subject
        rendered.textBody = try env.mail.openBody(composed.textBody, messageID: composed.id)
        rendered.htmlBody = try env.mail.openBody(composed.htmlBody, messageID: composed.id)
        rendered.template = nil
        return rendered
    }

    /// The per-account work of a batch: the notice mail, when the incident notifies.
    private func compose(_ accounts: [Account], for incident: Incident, now: Date) -> [IncidentAccountWork] {
        accounts.map { account in
            let notice =
                incident.notify ? env.mail.incidentNoticeReference(to: account, incidentID: incident.id, now: now) : nil
            return IncidentAccountWork(account: account, notice: notice)
        }
    }

    public func list() async throws -> [Incident] {
        try await env.store.autocommit.incidents()
    }

    public func status(id: String) async throws -> Incident {
        guard let incident = try await env.store.autocommit.incident(id: id) else { throw Error.notFound }
        return incident
    }

    /// Closes an incident: its banner goes away. Accounts already flagged stay flagged until they reset.
    public func resolve(id: String) async throws -> Incident {
        let now = env.clock.now()
        _ = try await status(id: id)
        try await env.store.autocommit.setIncidentState(id: id, state: .resolved, at: now)
        return try await status(id: id)
    }

    /// Banners for apps and pages.
    public func banners() async throws -> [String] {
        try await env.store.autocommit.activeBanners()
    }
}
