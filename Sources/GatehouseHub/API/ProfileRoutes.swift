import Foundation
import GatehouseCore
import GatehouseWire
import Hummingbird

/// `/profiles`: the holder's managed profiles (list, create, edit, PIN, delete) and the switch; `/profile`: the
/// profile a profile session runs as. The rules are ``ProfileService``'s.
enum ProfileRoutes {
    struct Restrictions: Codable {
        var sections: [String]?
        var maxRating: String?
        var allowedLabels: [String]?
        var blockedLabels: [String]?

        init(_ restrictions: ProfileRestrictions) {
            sections = restrictions.sections
            maxRating = restrictions.maxRating
            allowedLabels = restrictions.allowedLabels
            blockedLabels = restrictions.blockedLabels
        }

        var model: ProfileRestrictions {
            ProfileRestrictions(
                sections: sections, maxRating: maxRating, allowedLabels: allowedLabels ?? [],
                blockedLabels: blockedLabels ?? [])
        }
    }

    struct Create: Decodable {
        var name: String
        var pin: String?
        var restrictions: Restrictions?
    }

    struct Update: Decodable {
        var name: String
        var restrictions: Restrictions?
    }

    struct SetPIN: Decodable {
        /// The new PIN, or null to remove it.
        var pin: String?
    }

    struct Switch: Decodable {
        var pin: String?
    }

    struct ProfileView: Encodable {
        var id: String
        var name: String
        var hasPin: Bool
        var restrictions: Restrictions
        var createdAt: Date

        init(_ profile: Profile) {
            id = profile.id
            name = profile.name
            hasPin = profile.hasPIN
            restrictions = Restrictions(profile.restrictions)
            createdAt = profile.createdAt
        }
    }

    struct Switched: Encodable {
        /// The profile session's device credential, shown this once. The credential that switched no longer works.
        var token: String
        var deviceId: String
        var profile: ProfileView
    }

    struct Current: Encodable {
        /// Null for the holder's own device.
        var profile: ProfileView?

        enum CodingKeys: String, CodingKey { case profile }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(profile, forKey: .profile)
        }
    }

    static func register(_ table: inout APIRouteTable, services: HubServices) {
        table.addSignedIn(.get, "/profiles") { _, context in
            let identity = context.identity
            return try JSONBody.response(
                try await services.profiles.list(account: identity.account).map(ProfileView.init))
        }
        table.addSignedIn(.post, "/profiles") { request, context in
            let identity = context.identity
            let body = try await request.decode(as: Create.self, context: context)
            let profile = try await services.profiles.create(
                account: identity.account, name: body.name, pin: body.pin,
                restrictions: body.restrictions?.model ?? ProfileRestrictions(),
                caller: services.caller(request, context))
            return try JSONBody.response(ProfileView(profile), status: .created)
        }
        table.addSignedIn(.put, "/profiles/{id}") { request, context in
            let identity = context.identity
            let body = try await request.decode(as: Update.self, context: context)
            let profile = try await services.profiles.update(
                id: try context.parameters.require("id"), account: identity.account, name: body.name,
                restrictions: body.restrictions?.model ?? ProfileRestrictions(),
                caller: services.caller(request, context))
            return try JSONBody.response(ProfileView(profile))
        }
        table.addSignedIn(.put, "/profiles/{id}/pin") { request, context in
            let identity = context.identity
            let body = try await request.decode(as: SetPIN.self, context: context)
            try await services.profiles.setPIN(
                id: try context.parameters.require("id"), account: identity.account, pin: body.pin,
                caller: services.caller(request, context))
            return JSONBody.noContent()
        }
        table.addSignedIn(.delete, "/profiles/{id}") { request, context in
            let identity = context.identity
            try await services.profiles.delete(
                id: try context.parameters.require("id"), account: identity.account,
                caller: services.caller(request, context))
            return JSONBody.noContent()
        }
        table.addSignedIn(.post, "/profiles/{id}/switch") { request, context in
            let identity = context.identity
            let body = try await request.decode(as: Switch.self, context: context)
            let (profile, device, token) = try await services.profiles.switchTo(
                profileID: try context.parameters.require("id"), account: identity.account, device: identity.device,
                pin: body.pin, caller: services.caller(request, context))
            return try JSONBody.response(
                Switched(token: token.value, deviceId: device.id, profile: ProfileView(profile)), status: .created)
        }
        table.addSignedIn(.get, "/profile") { _, context in
            let identity = context.identity
            let profile = try await services.profiles.profile(of: identity.device)
            return try JSONBody.response(Current(profile: profile.map(ProfileView.init)))
        }
    }
}
