import Foundation
import GatehouseCore
import SQLKit

extension SQLSession {
    static let accountColumns =
        "id, username, email, email_verified, role, reset_required, anti_phishing_phrase, created_at"

    func decodeAccount(_ row: any SQLRow) throws -> Account {
        Account(
            id: try row.string("id"), username: try row.string("username"), email: try row.string("email"),
            isEmailVerified: try row.bool("email_verified"),
            role: Account.Role(rawValue: try row.string("role")) ?? .user,
            isResetRequired: try row.bool("reset_required"),
            antiPhishingPhrase: try row.optionalString("anti_phishing_phrase"), createdAt: try row.date("created_at"))
    }

    func insertAccount(_ account: Account, passwordHash: String) async throws {
        let usernameKey = AccountNames.canonical(account.username)
        let emailKey = AccountNames.canonical(account.email)
        let clash = try await first(
            "SELECT id FROM accounts WHERE username_key = \(bind: usernameKey) OR email_key = \(bind: emailKey) OR username_key = \(bind: emailKey) OR email_key = \(bind: usernameKey)"
        )
        if clash != nil { throw StoreError.conflict(field: "username_or_email") }
        do {
            try await exec(
                """
                INSERT INTO accounts (id, username, username_key, email, email_key, email_verified, role, reset_required,
                    anti_phishing_phrase, created_at)
                VALUES (\(bind: account.id), \(bind: account.username), \(bind: usernameKey), \(bind: account.email),
                    \(bind: emailKey), \(bind: account.isEmailVerified.sqlInt), \(bind: account.role.rawValue),
                    \(bind: account.isResetRequired.sqlInt), \(bind: account.antiPhishingPhrase),
                    \(bind: account.createdAt.epochSeconds))
                """)
            try await exec(
                "INSERT INTO credentials (account_id, password_hash, changed_at) VALUES (\(bind: account.id), \(bind: passwordHash), \(bind: account.createdAt.epochSeconds))"
            )
        } catch  where Self.isUniqueViolation(error) {
            throw StoreError.conflict(field: "username_or_email")
        }
    }

    func account(id: String) async throws -> Account? {
        try await first("SELECT \(unsafeRaw: Self.accountColumns) FROM accounts WHERE id = \(bind: id)")
            .map(decodeAccount)
    }

    func account(identifier: String) async throws -> Account? {
        let key = AccountNames.canonical(identifier)
        return try await first(
            "SELECT \(unsafeRaw: Self.accountColumns) FROM accounts WHERE username_key = \(bind: key) OR email_key = \(bind: key)"
        ).map(decodeAccount)
    }

    func requireReset(accountIDs: [String]) async throws {
        guard !accountIDs.isEmpty else { return }
        let idList = SQLGroupExpression(SQLList(accountIDs.map { SQLBind($0) }))
        try await run { db in
            try await db.update("accounts").set("reset_required", to: 1).where("id", .in, idList).run()
        }
    }

    func updateAccount(_ account: Account) async throws {
        do {
            try await exec(
                """
                UPDATE accounts SET username = \(bind: account.username),
                    username_key = \(bind: AccountNames.canonical(account.username)), email = \(bind: account.email),
                    email_key = \(bind: AccountNames.canonical(account.email)),
                    email_verified = \(bind: account.isEmailVerified.sqlInt), role = \(bind: account.role.rawValue),
                    reset_required = \(bind: account.isResetRequired.sqlInt),
                    anti_phishing_phrase = \(bind: account.antiPhishingPhrase)
                WHERE id = \(bind: account.id)
                """)
        } catch  where Self.isUniqueViolation(error) {
            throw StoreError.conflict(field: "email")
        }
    }

    func lockAccountCreation() async throws {
        // SQLite runs one transaction at a time already; PostgreSQL needs a lock held until commit.
        if dialect == .postgres { try await exec("SELECT pg_advisory_xact_lock(7261002)") }
    }

    func accountCount() async throws -> Int {
        Int(try await first("SELECT COUNT(*) AS n FROM accounts")?.int("n") ?? 0)
    }

    func searchAccounts(_ text: String, limit: Int) async throws -> [Account] {
        let escaped = AccountNames.canonical(text).replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
        let pattern = "%" + escaped + "%"
        return try await all(
            """
            SELECT \(unsafeRaw: Self.accountColumns) FROM accounts
            WHERE username_key LIKE \(bind: pattern) ESCAPE '\\' OR email_key LIKE \(bind: pattern) ESCAPE '\\'
            ORDER BY username_key LIMIT \(literal: limit)
            """
        ).map(decodeAccount)
    }

    // MARK: Credentials

    func passwordHash(accountID: String) async throws -> String? {
        try await first("SELECT password_hash FROM credentials WHERE account_id = \(bind: accountID)")?
            .string("password_hash")
    }

    func setPasswordHash(accountID: String, hash: String, at date: Date) async throws {
        if let old = try await passwordHash(accountID: accountID) {
            try await exec(
                "INSERT INTO password_history (account_id, password_hash, retired_at) VALUES (\(bind: accountID), \(bind: old), \(bind: date.epochSeconds))"
            )
        }
        try await exec(
            "UPDATE credentials SET password_hash = \(bind: hash), changed_at = \(bind: date.epochSeconds) WHERE account_id = \(bind: accountID)"
        )
    }

    func replacePasswordHash(accountID: String, hash: String) async throws {
        try await exec("UPDATE credentials SET password_hash = \(bind: hash) WHERE account_id = \(bind: accountID)")
    }

    func passwordHistory(accountID: String, limit: Int) async throws -> [String] {
        try await all(
            "SELECT password_hash FROM password_history WHERE account_id = \(bind: accountID) ORDER BY id DESC LIMIT \(literal: limit)"
        ).map { try $0.string("password_hash") }
    }
}
