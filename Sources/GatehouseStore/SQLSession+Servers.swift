import Foundation
import GatehouseCore
import SQLKit

extension SQLSession {
    static let serverColumns = "id, owner_id, name, version, platform, url, created_at, last_seen_at"

    func decodeServer(_ row: any SQLRow) throws -> MediaServer {
        MediaServer(
            id: try row.string("id"), ownerID: try row.string("owner_id"), name: try row.string("name"),
            version: try row.string("version"), platform: try row.string("platform"), url: try row.string("url"),
            createdAt: try row.date("created_at"), lastSeenAt: try row.date("last_seen_at"))
    }

    func insertClaim(_ claim: ServerClaim) async throws {
        // A server asking again (a restart) replaces its earlier code.
        try await exec("DELETE FROM server_claims WHERE credential_digest = \(bind: claim.credentialDigest)")
        try await exec(
            """
            INSERT INTO server_claims (code_digest, name, version, platform, url, credential_digest, expires_at)
            VALUES (\(bind: claim.codeDigest), \(bind: claim.name), \(bind: claim.version), \(bind: claim.platform),
                \(bind: claim.url), \(bind: claim.credentialDigest), \(bind: claim.expiresAt.epochSeconds))
            """)
    }

    func purgeExpiredClaims(before date: Date) async throws -> Int {
        try await changes("DELETE FROM server_claims WHERE expires_at <= \(bind: date.epochSeconds)")
    }

    func completeClaim(codeDigest: String, serverID: String, ownerID: String, at date: Date) async throws
        -> MediaServer?
    {
        guard
            let row = try await first(
                "SELECT * FROM server_claims WHERE code_digest = \(bind: codeDigest) AND expires_at > \(bind: date.epochSeconds)"
            )
        else { return nil }
        let server = MediaServer(
            id: serverID, ownerID: ownerID, name: try row.string("name"), version: try row.string("version"),
            platform: try row.string("platform"), url: try row.string("url"), createdAt: date, lastSeenAt: date)
        let credential = try row.string("credential_digest")
        guard try await changes("DELETE FROM server_claims WHERE code_digest = \(bind: codeDigest)") == 1 else {
            return nil
        }
        try await exec(
            """
            INSERT INTO servers (id, owner_id, name, version, platform, url, credential_digest, created_at, last_seen_at)
            VALUES (\(bind: server.id), \(bind: ownerID), \(bind: server.name), \(bind: server.version),
                \(bind: server.platform), \(bind: server.url), \(bind: credential), \(bind: date.epochSeconds),
                \(bind: date.epochSeconds))
            """)
        return server
    }

    func replaceServerCredentialDigest(serverID: String, from old: String, to new: String) async throws {
        try await exec(
            "UPDATE servers SET credential_digest = \(bind: new) WHERE id = \(bind: serverID) AND credential_digest = \(bind: old)"
        )
    }

    func server(credentialDigest: String) async throws -> MediaServer? {
        try await first(
            "SELECT \(unsafeRaw: Self.serverColumns) FROM servers WHERE credential_digest = \(bind: credentialDigest) AND removed_at IS NULL"
        ).map(decodeServer)
    }

    func server(id: String) async throws -> MediaServer? {
        try await first(
            "SELECT \(unsafeRaw: Self.serverColumns) FROM servers WHERE id = \(bind: id) AND removed_at IS NULL"
        ).map(decodeServer)
    }

    func servers(ownerID: String) async throws -> [MediaServer] {
        try await all(
            "SELECT \(unsafeRaw: Self.serverColumns) FROM servers WHERE owner_id = \(bind: ownerID) AND removed_at IS NULL ORDER BY name"
        ).map(decodeServer)
    }

    func recordHeartbeat(serverID: String, version: String, platform: String, at date: Date) async throws {
        try await exec(
            """
            UPDATE servers SET version = \(bind: version), platform = \(bind: platform),
                last_seen_at = \(bind: date.epochSeconds)
            WHERE id = \(bind: serverID)
            """)
    }

    func removeServer(id: String, ownerID: String, at date: Date) async throws -> Bool {
        let removed = try await changes(
            "UPDATE servers SET removed_at = \(bind: date.epochSeconds) WHERE id = \(bind: id) AND owner_id = \(bind: ownerID) AND removed_at IS NULL"
        )
        if removed > 0 { try await exec("DELETE FROM shares WHERE server_id = \(bind: id)") }
        return removed > 0
    }

    func share(serverID: String, section: String, accountID: String, at date: Date, accepted: Bool) async throws
        -> Bool
    {
        let acceptedAt: Int64? = accepted ? date.epochSeconds : nil
        return try await changes(
            """
            INSERT INTO shares (server_id, section, account_id, created_at, accepted_at)
            VALUES (\(bind: serverID), \(bind: section), \(bind: accountID), \(bind: date.epochSeconds),
                \(bind: acceptedAt))
            ON CONFLICT (server_id, section, account_id) DO NOTHING
            """) > 0
    }

    func unshare(serverID: String, section: String?, accountID: String, at date: Date) async throws -> Int {
        let removed: Int
        if let section {
            removed = try await changes(
                "DELETE FROM shares WHERE server_id = \(bind: serverID) AND section = \(bind: section) AND account_id = \(bind: accountID)"
            )
        } else {
            removed = try await changes(
                "DELETE FROM shares WHERE server_id = \(bind: serverID) AND account_id = \(bind: accountID)")
        }
        if removed > 0 {
            try await logRevocation(accountID: accountID, deviceIDs: [], allDevices: true, at: date, serverID: serverID)
        }
        return removed
    }

    func decodeShare(_ row: any SQLRow) throws -> ServerShare {
        ServerShare(
            serverID: try row.string("server_id"), section: try row.string("section"),
            accountID: try row.string("account_id"), createdAt: try row.date("created_at"),
            acceptedAt: try row.optionalDate("accepted_at"))
    }

    func shares(serverID: String) async throws -> [ServerShare] {
        try await all(
            """
            SELECT server_id, section, account_id, created_at, accepted_at FROM shares
            WHERE server_id = \(bind: serverID) ORDER BY account_id, section
            """
        ).map(decodeShare)
    }

    static var prefixedServerColumns: String {
        serverColumns.split(separator: ",").map { "s." + $0.trimmingCharacters(in: .whitespaces) }.joined(
            separator: ", ")
    }

    func serversShared(with accountID: String) async throws -> [MediaServer] {
        try await all(
            """
            SELECT DISTINCT \(unsafeRaw: Self.prefixedServerColumns)
            FROM servers s JOIN shares h ON h.server_id = s.id
            WHERE h.account_id = \(bind: accountID) AND h.accepted_at IS NOT NULL AND s.removed_at IS NULL
            ORDER BY s.name
            """
        ).map(decodeServer)
    }

    func pendingShares(accountID: String) async throws -> [ShareInvitation] {
        let rows = try await all(
            """
            SELECT \(unsafeRaw: Self.prefixedServerColumns), h.section, h.created_at AS shared_at, a.username AS owner_name
            FROM shares h JOIN servers s ON s.id = h.server_id JOIN accounts a ON a.id = s.owner_id
            WHERE h.account_id = \(bind: accountID) AND h.accepted_at IS NULL AND s.removed_at IS NULL
            ORDER BY h.created_at, s.id, h.section
            """)
        var invitations: [ShareInvitation] = []
        for row in rows {
            let server = try decodeServer(row)
            let section = try row.string("section")
            if let index = invitations.firstIndex(where: { $0.server.id == server.id }) {
                invitations[index].sections.append(section)
            } else {
                invitations.append(
                    ShareInvitation(
                        server: server, ownerUsername: try row.string("owner_name"), sections: [section],
                        createdAt: try row.date("shared_at")))
            }
        }
        return invitations
    }

    func outgoingShares(ownerID: String) async throws -> [OutgoingShare] {
        try await all(
            """
            SELECT h.server_id, h.section, h.account_id, h.created_at, h.accepted_at, s.name AS server_name,
                a.username AS username
            FROM shares h JOIN servers s ON s.id = h.server_id JOIN accounts a ON a.id = h.account_id
            WHERE s.owner_id = \(bind: ownerID) AND s.removed_at IS NULL
            ORDER BY s.name, s.id, a.username, h.section
            """
        ).map { row in
            OutgoingShare(
                share: try decodeShare(row), serverName: try row.string("server_name"),
                username: try row.string("username"))
        }
    }

    func acceptShares(serverID: String, accountID: String, at date: Date) async throws -> Int {
        try await changes(
            """
            UPDATE shares SET accepted_at = \(bind: date.epochSeconds)
            WHERE server_id = \(bind: serverID) AND account_id = \(bind: accountID) AND accepted_at IS NULL
            """)
    }

    func declineShares(serverID: String, accountID: String) async throws -> Int {
        try await changes(
            """
            DELETE FROM shares
            WHERE server_id = \(bind: serverID) AND account_id = \(bind: accountID) AND accepted_at IS NULL
            """)
    }
}
