import Foundation
import GatehouseCore
import SQLKit

/// What `gatehouse keys retire` and `keys reseal` need: how many stored values still use a key, and re-sealing.
extension SQLStore {
    /// How many stored values were made with key `id` of `kind`: password hashes (current and history) for a
    /// pepper, sealed values (two-factor secrets, sealed mail bodies) for a data key; 0 for a signing key (nothing
    /// stored is signed by one).
    public func valuesUsingKey(_ id: String, kind: Keyring.Kind) async throws -> Int {
        let session = SQLSession(database: database, dialect: dialect, gate: gateIfAny)
        switch kind {
        case .pepper:
            // PHC strings name the pepper in `keyid=` (unpadded Base64), followed by `,` or `$`.
            let keyID = Data(id.utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
            let a = "%,keyid=\(keyID)$%"
            let b = "%,keyid=\(keyID),%"
            let current =
                try await session.first(
                    "SELECT count(*) AS n FROM credentials WHERE password_hash LIKE \(bind: a) OR password_hash LIKE \(bind: b)"
                )?.int("n") ?? 0
            let history =
                try await session.first(
                    "SELECT count(*) AS n FROM password_history WHERE password_hash LIKE \(bind: a) OR password_hash LIKE \(bind: b)"
                )?.int("n") ?? 0
            return Int(current + history)
        case .data:
            let sealed = id + ":%"
            let mail = MailComposer.sealedPrefix + id + ":%"
            let seeds =
                try await session.first(
                    "SELECT count(*) AS n FROM totp WHERE sealed_secret LIKE \(bind: sealed)")?.int("n") ?? 0
            let bodies =
                try await session.first(
                    "SELECT count(*) AS n FROM outbox WHERE text_body LIKE \(bind: mail) OR html_body LIKE \(bind: mail)"
                )?.int("n") ?? 0
            return Int(seeds + bodies)
        case .signing:
            return 0
        }
    }

    /// Re-seals every two-factor secret not sealed under the keyring's current data key, in one transaction.
    /// Returns how many were re-sealed.
    public func resealTwoFactorSecrets(keyring: Keyring) async throws -> Int {
        let box = SecretBox(keyring: keyring)
        let current = keyring.currentDataKey.id + ":%"
        return try await transaction { session in
            guard let sql = session as? SQLSession else { return 0 }
            var count = 0
            for row in try await sql.all(
                "SELECT account_id, sealed_secret FROM totp WHERE sealed_secret NOT LIKE \(bind: current)")
            {
                let owner = try row.string("account_id")
                let old = try row.string("sealed_secret")
                let resealed = try box.seal(try box.open(old, owner: owner), owner: owner)
                try await sql.exec(
                    "UPDATE totp SET sealed_secret = \(bind: resealed) WHERE account_id = \(bind: owner) AND sealed_secret = \(bind: old)"
                )
                count += 1
            }
            return count
        }
    }
}
