import Foundation
import GatehouseCore
import SQLKit

extension SQLSession {
    static let invitationColumns =
        "id, inviter_id, email, max_uses, uses, shares, created_at, expires_at, revoked_at"

    func decodeInvitation(_ row: any SQLRow) throws -> Invitation {
        let sharesText = try row.string("shares")
        let shares = (try? JSONDecoder().decode([InvitationShare].self, from: Data(sharesText.utf8))) ?? []
        return Invitation(
            id: try row.string("id"), inviterID: try row.string("inviter_id"), email: try row.optionalString("email"),
            maxUses: Int(try row.int("max_uses")), uses: Int(try row.int("uses")), shares: shares,
            createdAt: try row.date("created_at"), expiresAt: try row.date("expires_at"),
            revokedAt: try row.optionalDate("revoked_at"))
    }

    func insertInvitation(_ invitation: Invitation, digest: String) async throws {
        let shares = String(decoding: try JSONEncoder().encode(invitation.shares), as: UTF8.self)
        try await exec(
            """
            INSERT INTO invitations (id, digest, inviter_id, email, email_key, max_uses, uses, shares, created_at,
                expires_at, revoked_at)
            VALUES (\(bind: invitation.id), \(bind: digest), \(bind: invitation.inviterID), \(bind: invitation.email),
                \(bind: invitation.email.map(AccountNames.canonical)), \(bind: Int64(invitation.maxUses)),
                \(bind: Int64(invitation.uses)), \(bind: shares), \(bind: invitation.createdAt.epochSeconds),
                \(bind: invitation.expiresAt.epochSeconds), NULL)
            """)
    }

    func invitation(digest: String) async throws -> Invitation? {
        try await first("SELECT \(unsafeRaw: Self.invitationColumns) FROM invitations WHERE digest = \(bind: digest)")
            .map(decodeInvitation)
    }

    func invitations(inviterID: String?, limit: Int) async throws -> [Invitation] {
        let rows: [any SQLRow]
        if let inviterID {
            rows = try await all(
                """
                SELECT \(unsafeRaw: Self.invitationColumns) FROM invitations WHERE inviter_id = \(bind: inviterID)
                ORDER BY created_at DESC, id LIMIT \(literal: Int64(limit))
                """)
        } else {
            rows = try await all(
                """
                SELECT \(unsafeRaw: Self.invitationColumns) FROM invitations
                ORDER BY created_at DESC, id LIMIT \(literal: Int64(limit))
                """)
        }
        return try rows.map(decodeInvitation)
    }

    func revokeInvitation(id: String, inviterID: String?, at date: Date) async throws -> Bool {
        if let inviterID {
            return try await changes(
                """
                UPDATE invitations SET revoked_at = \(bind: date.epochSeconds)
                WHERE id = \(bind: id) AND inviter_id = \(bind: inviterID) AND revoked_at IS NULL
                """) == 1
        }
        return try await changes(
            "UPDATE invitations SET revoked_at = \(bind: date.epochSeconds) WHERE id = \(bind: id) AND revoked_at IS NULL"
        ) == 1
    }

    func claimInvitationUse(digest: String, emailKey: String, now: Date) async throws -> Invitation? {
        // One conditional statement: on PostgreSQL a concurrent update waits for the row lock and re-checks the
        // condition; on SQLite transactions are serialised. Either way no more than max_uses pass.
        let spent = try await changes(
            """
            UPDATE invitations SET uses = uses + 1
            WHERE digest = \(bind: digest) AND uses < max_uses AND expires_at > \(bind: now.epochSeconds)
                AND revoked_at IS NULL AND (email_key IS NULL OR email_key = \(bind: emailKey))
            """)
        guard spent == 1 else { return nil }
        return try await invitation(digest: digest)
    }

    func adminCount() async throws -> Int {
        let row = try await first("SELECT count(*) AS n FROM accounts WHERE role = 'admin'")
        return Int(try row?.int("n") ?? 0)
    }
}
