import Foundation
import GatehouseCore
import Hummingbird

/// `/invitations`: make (needs a recent sign-in or re-authentication; the link is shown once), list, revoke, and
/// accept (open: the newcomer has no account yet).
enum InvitationRoutes {
    struct Create: Decodable {
        var maxUses: Int?
        var expiresInHours: Double?
        var email: String?
        var send: Bool?
        var shares: [Share]?
    }

    struct Share: Decodable {
        var serverId: String
        var section: String
    }

    struct Accept: Decodable {
        var token: String
        var username: String
        var email: String
        var password: String
    }

    struct InvitationView: Encodable {
        var id: String
        var email: String?
        var maxUses: Int
        var uses: Int
        var shares: [ShareView]
        var createdAt: Date
        var expiresAt: Date
        var revokedAt: Date?
        var live: Bool

        struct ShareView: Encodable {
            var serverId: String
            var section: String
        }

        init(_ invitation: Invitation, now: Date) {
            id = invitation.id
            email = invitation.email
            maxUses = invitation.maxUses
            uses = invitation.uses
            shares = invitation.shares.map { ShareView(serverId: $0.serverID, section: $0.section) }
            createdAt = invitation.createdAt
            expiresAt = invitation.expiresAt
            revokedAt = invitation.revokedAt
            live = invitation.isLive(at: now)
        }
    }

    struct Created: Encodable {
        var invitation: InvitationView
        var link: String
    }

    struct List: Encodable { var invitations: [InvitationView] }

    static func register(_ table: inout APIRouteTable, services: HubServices) {
        table.addSignedIn(.post, "/invitations") { request, context in
            let identity = context.identity
            let body = try await request.decode(as: Create.self, context: context)
            guard (body.shares?.count ?? 0) <= InvitationService.maximumShares else {
                throw InvitationService.Error.badRequest("Share at most \(InvitationService.maximumShares) sections.")
            }
            let hours = body.expiresInHours ?? InvitationService.defaultLifetime / 3_600
            guard hours.isFinite else { throw InvitationService.Error.badRequest("expires_in_hours is a number.") }
            let created = try await services.invitations.create(
                by: identity.account, device: identity.device, maxUses: body.maxUses ?? 1,
                lifetime: min(max(hours, 0), 100_000) * 3_600, email: body.email,
                shares: (body.shares ?? []).map { InvitationShare(serverID: $0.serverId, section: $0.section) },
                send: body.send ?? false, caller: services.caller(request, context))
            return try JSONBody.response(
                Created(
                    invitation: InvitationView(created.invitation, now: services.environment.clock.now()),
                    link: created.link), status: .created)
        }
        table.addSignedIn(.get, "/invitations") { _, context in
            let identity = context.identity
            let now = services.environment.clock.now()
            let invitations = try await services.invitations.list(for: identity.account)
            return try JSONBody.response(List(invitations: invitations.map { InvitationView($0, now: now) }))
        }
        table.addSignedIn(.delete, "/invitations/{id}") { request, context in
            let identity = context.identity
            try await services.invitations.revoke(
                id: try context.parameters.require("id"), by: identity.account, device: identity.device,
                caller: services.caller(request, context))
            return Response(status: .noContent)
        }
        table.addOpen(.post, "/invitations/accept") { request, context in
            let body = try await request.decode(as: Accept.self, context: context)
            try await services.invitations.accept(
                token: body.token, username: body.username, email: body.email, password: body.password,
                caller: services.caller(request, context))
            return try JSONBody.response(
                AccountRoutes.Message(message: AccountService.signUpAcceptedMessage), status: .accepted)
        }
    }
}
