import Foundation
import GatehouseCore
import Hummingbird

/// `/account/app-passwords`: list, create (needs a recent re-authentication; the secret is shown once), revoke.
enum AppPasswordRoutes {
    struct Create: Decodable {
        var name: String
        var scopes: [String]
        var lifetimeDays: Int?
    }

    struct AppPasswordView: Encodable {
        var id: String
        var name: String
        var scopes: [String]
        var createdAt: Date
        var expiresAt: Date
        var lastUsedAt: Date?
        var lastUsedAddress: String?
        var expired: Bool

        init(_ password: AppPassword, now: Date) {
            id = password.id
            name = password.name
            scopes = password.scopes.map(\.rawValue)
            createdAt = password.createdAt
            expiresAt = password.expiresAt
            lastUsedAt = password.lastUsedAt
            lastUsedAddress = password.lastUsedAddress
            expired = password.expiresAt <= now
        }

        enum CodingKeys: String, CodingKey {
            case id, name, scopes, createdAt, expiresAt, lastUsedAt, lastUsedAddress, expired
        }

        /// Never-used fields are written as null rather than left out.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(name, forKey: .name)
            try container.encode(scopes, forKey: .scopes)
            try container.encode(createdAt, forKey: .createdAt)
            try container.encode(expiresAt, forKey: .expiresAt)
            try container.encode(lastUsedAt, forKey: .lastUsedAt)
            try container.encode(lastUsedAddress, forKey: .lastUsedAddress)
            try container.encode(expired, forKey: .expired)
        }
    }

    struct Created: Encodable {
        /// The secret, shown this once: use it with the account's username or e-mail (HTTP Basic).
        var password: String
        var appPassword: AppPasswordView
    }

    static func register(_ table: inout APIRouteTable, services: HubServices) {
        table.addSignedIn(.get, "/account/app-passwords") { _, context in
            let identity = context.identity
            let now = services.environment.clock.now()
            let list = try await services.appPasswords.list(account: identity.account)
            return try JSONBody.response(list.map { AppPasswordView($0, now: now) })
        }
        table.addSignedIn(.post, "/account/app-passwords") { request, context in
            let identity = context.identity
            let body = try await request.decode(as: Create.self, context: context)
            guard body.scopes.count <= 8 else { throw AppPasswordService.Error.invalidScopes }
            var scopes: [AppPassword.Scope] = []
            for name in body.scopes {
                guard let scope = AppPassword.Scope(rawValue: name) else {
                    throw AppPasswordService.Error.invalidScopes
                }
                scopes.append(scope)
            }
            let (password, secret) = try await services.appPasswords.create(
                account: identity.account, device: identity.device, name: body.name, scopes: scopes,
                lifetimeDays: body.lifetimeDays, caller: services.caller(request, context))
            return try JSONBody.response(
                Created(
                    password: secret.value,
                    appPassword: AppPasswordView(password, now: services.environment.clock.now())),
                status: .created)
        }
        table.addSignedIn(.delete, "/account/app-passwords/{id}") { request, context in
            let identity = context.identity
            try await services.appPasswords.revoke(
                id: try context.parameters.require("id"), account: identity.account,
                caller: services.caller(request, context))
            return JSONBody.noContent()
        }
    }
}
