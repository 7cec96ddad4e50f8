import Foundation
import GatehouseCore
import Hummingbird

/// The account as the API shows it.
struct AccountView: Encodable {
    var id: String
    var username: String
    var email: String
    var emailVerified: Bool
    var role: String
    var passwordResetRequired: Bool
    var antiPhishingPhrase: String?
    var twoFactorEnabled: Bool?
    var createdAt: Date

    init(_ account: Account, twoFactorEnabled: Bool? = nil) {
        id = account.id
        username = account.username
        email = account.email
        emailVerified = account.isEmailVerified
        role = account.role.rawValue
        passwordResetRequired = account.isResetRequired
        antiPhishingPhrase = account.antiPhishingPhrase
        self.twoFactorEnabled = twoFactorEnabled
        createdAt = account.createdAt
    }
}

struct DeviceView: Encodable {
    var id: String
    var name: String
    var product: String
    var version: String
    var platform: String
    var kind: String
    var ipAddress: String
    var createdAt: Date
    var lastSeenAt: Date
    /// When the credential stops working unless the device is used again (idle and absolute limits).
    var expiresAt: Date?
    var current: Bool
    /// True when the credential is bound to a DPoP key (RFC 9449).
    var dpopBound: Bool
    /// The managed profile this device is a session of (absent for the holder's own devices).
    var profileId: String?

    init(_ device: Device, currentID: String?, expiresAt: Date? = nil) {
        dpopBound = device.dpopThumbprint != nil
        profileId = device.profileID
        self.expiresAt = expiresAt
        id = device.id
        name = device.info.name
        product = device.info.product
        version = device.info.version
        platform = device.info.platform
        kind = device.kind.rawValue
        ipAddress = device.ipAddress
        createdAt = device.createdAt
        lastSeenAt = device.lastSeenAt
        current = device.id == currentID
    }
}

enum AccountRoutes {
    struct Register: Decodable {
        var username: String
        var email: String
        var password: String
    }

    struct Token: Decodable { var token: String }

    struct ChangePassword: Decodable {
        var currentPassword: String
        var newPassword: String
        var signOutOtherDevices: Bool?
    }

    struct ChangeEmail: Decodable {
        var password: String
        var newEmail: String
    }

    struct Phrase: Decodable { var phrase: String? }

    struct Message: Encodable { var message: String }

    static func register(_ table: inout APIRouteTable, services: HubServices) {
        let encoded = AccountJSONCache()
        table.addOpen(.post, "/accounts") { request, context in
            let body = try await request.decode(as: Register.self, context: context)
            try await services.accounts.register(
                username: body.username, email: body.email, password: body.password,
                caller: services.caller(request, context))
            return try JSONBody.response(
                Message(message: AccountService.signUpAcceptedMessage), status: .accepted)
        }
        table.addOpen(.post, "/account/verify-email") { request, context in
            let body = try await request.decode(as: Token.self, context: context)
            let account = try await services.accounts.verifyEmail(
                token: body.token, caller: services.caller(request, context))
            return try JSONBody.response(AccountView(account))
        }
        table.addSignedIn(.get, "/account") { _, context in
            let account = context.identity.account
            let body = try encoded.body(for: account) { try JSONBody.encoder.encode(AccountView(account)) }
            return JSONBody.response(encoded: body)
        }
        table.addOpen(.post, "/account/revert-email") { request, context in
            let body = try await request.decode(as: Token.self, context: context)
            try await services.accounts.revertEmailChange(token: body.token, caller: services.caller(request, context))
            return try JSONBody.response(
                Message(
                    message:
                        "Your address is back. Every device was signed out; we mailed a link to set a new password."))
        }
        table.addSignedIn(.post, "/account/resend-verification") { request, context in
            try await services.accounts.resendVerification(
                account: context.identity.account, caller: services.caller(request, context))
            return try JSONBody.response(
                Message(message: "If the address is not yet confirmed, a new link is on its way."))
        }
        table.addSignedIn(.post, "/account/password") { request, context in
            let identity = context.identity
            let body = try await request.decode(as: ChangePassword.self, context: context)
            try await services.accounts.changePassword(
                account: identity.account, device: identity.device, currentPassword: body.currentPassword,
                newPassword: body.newPassword,
                signOutOtherDevices: body.signOutOtherDevices ?? true, caller: services.caller(request, context))
            return try JSONBody.response(Message(message: "Your password was changed."))
        }
        table.addSignedIn(.post, "/account/email") { request, context in
            let identity = context.identity
            let body = try await request.decode(as: ChangeEmail.self, context: context)
            try await services.accounts.changeEmail(
                account: identity.account, device: identity.device, password: body.password, newEmail: body.newEmail,
                caller: services.caller(request, context))
            return try JSONBody.response(
                Message(message: AccountService.emailChangeAcceptedMessage), status: .accepted)
        }
        table.addSignedIn(.put, "/account/anti-phishing-phrase") { request, context in
            let identity = context.identity
            let body = try await request.decode(as: Phrase.self, context: context)
            let account = try await services.accounts.setAntiPhishingPhrase(
                account: identity.account, phrase: body.phrase, caller: services.caller(request, context))
            return try JSONBody.response(AccountView(account))
        }
    }
}
