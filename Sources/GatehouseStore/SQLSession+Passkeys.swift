import Foundation
import GatehouseCore
import SQLKit

extension SQLSession {
    static let passkeyColumns =
        "credential_id, account_id, name, public_key, algorithm, sign_count, backup_eligible, backup_state, transports, aaguid, created_at, last_used_at"

    func decodePasskey(_ row: any SQLRow) throws -> Passkey {
        guard let key = Encoding.bytes(base64URL: try row.string("public_key")) else {
            throw StoreError.corrupt("passkey public key")
        }
        let transports = try row.string("transports")
        return Passkey(
            id: try row.string("credential_id"), accountID: try row.string("account_id"), name: try row.string("name"),
            publicKey: key, algorithm: try row.int("algorithm"), signCount: try row.int("sign_count"),
            backupEligible: try row.bool("backup_eligible"), backupState: try row.bool("backup_state"),
            transports: transports.isEmpty ? [] : transports.split(separator: ",").map(String.init),
            aaguid: try row.string("aaguid"), createdAt: try row.date("created_at"),
            lastUsedAt: try row.optionalDate("last_used_at"))
    }

    func insertPasskey(_ passkey: Passkey) async throws {
        if try await first("SELECT credential_id FROM passkeys WHERE credential_id = \(bind: passkey.id)") != nil {
            throw StoreError.conflict(field: "credential_id")
        }
        try await exec(
            """
            INSERT INTO passkeys (credential_id, account_id, name, public_key, algorithm, sign_count, backup_eligible,
                backup_state, transports, aaguid, created_at, last_used_at)
            VALUES (\(bind: passkey.id), \(bind: passkey.accountID), \(bind: passkey.name),
                \(bind: Encoding.base64URL(passkey.publicKey)), \(bind: passkey.algorithm), \(bind: passkey.signCount),
                \(bind: passkey.backupEligible.sqlInt), \(bind: passkey.backupState.sqlInt),
                \(bind: passkey.transports.joined(separator: ",")), \(bind: passkey.aaguid),
                \(bind: passkey.createdAt.epochSeconds), \(bind: passkey.lastUsedAt?.epochSeconds))
            """)
    }

    func passkey(credentialID: String) async throws -> Passkey? {
        try await first(
            "SELECT \(unsafeRaw: Self.passkeyColumns) FROM passkeys WHERE credential_id = \(bind: credentialID)"
        ).map(decodePasskey)
    }

    func passkeys(accountID: String) async throws -> [Passkey] {
        try await all(
            "SELECT \(unsafeRaw: Self.passkeyColumns) FROM passkeys WHERE account_id = \(bind: accountID) ORDER BY created_at, credential_id"
        ).map(decodePasskey)
    }

    func deletePasskey(credentialID: String, accountID: String) async throws -> Bool {
        try await changes(
            "DELETE FROM passkeys WHERE credential_id = \(bind: credentialID) AND account_id = \(bind: accountID)") == 1
    }

    func recordPasskeyUse(credentialID: String, signCount: Int64, backupState: Bool, at date: Date) async throws {
        try await exec(
            """
            UPDATE passkeys SET
                sign_count = CASE WHEN sign_count < \(bind: signCount) THEN \(bind: signCount) ELSE sign_count END,
                backup_state = \(bind: backupState.sqlInt), last_used_at = \(bind: date.epochSeconds)
            WHERE credential_id = \(bind: credentialID)
            """)
    }

    func isPasskeyOnly(accountID: String) async throws -> Bool {
        try await first("SELECT passkey_only FROM passkey_policies WHERE account_id = \(bind: accountID)")?
            .bool("passkey_only") ?? false
    }

    func setPasskeyOnly(accountID: String, _ enabled: Bool) async throws {
        try await exec(
            """
            INSERT INTO passkey_policies (account_id, passkey_only) VALUES (\(bind: accountID), \(bind: enabled.sqlInt))
            ON CONFLICT (account_id) DO UPDATE SET passkey_only = \(bind: enabled.sqlInt)
            """)
    }
}
