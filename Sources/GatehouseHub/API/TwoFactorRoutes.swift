import Foundation
import GatehouseCore
import Hummingbird
import QRCode

enum TwoFactorRoutes {
    struct EnrollmentView: Encodable {
        var secret: String
        var uri: String
        var qrSvg: String
        var qrPng: String
        var qrTerminal: String
    }

    struct Code: Decodable { var code: String }
    struct Codes: Encodable { var recoveryCodes: [String] }
    struct Status: Encodable {
        var enabled: Bool
        var recoveryCodesRemaining: Int
    }

    static func register(_ table: inout APIRouteTable, services: HubServices) {
        table.addSignedIn(.get, "/account/2fa") { _, context in
            let account = context.identity.account
            let enabled = try await services.twoFactor.isEnabled(accountID: account.id)
            let remaining = try await services.twoFactor.remainingRecoveryCodes(accountID: account.id)
            return try JSONBody.response(Status(enabled: enabled, recoveryCodesRemaining: remaining))
        }
        table.addSignedIn(.post, "/account/2fa/totp") { _, context in
            let account = context.identity.account
            let enrollment = try await services.twoFactor.beginEnrollment(account: account)
            return try JSONBody.response(try view(enrollment), status: .created)
        }
        table.addSignedIn(.post, "/account/2fa/totp/confirm") { request, context in
            let account = context.identity.account
            let body = try await request.decode(as: Code.self, context: context)
            let codes = try await services.twoFactor.confirmEnrollment(
                account: account, code: body.code, caller: services.caller(request, context))
            return try JSONBody.response(Codes(recoveryCodes: codes))
        }
        table.addSignedIn(.delete, "/account/2fa") { request, context in
            let identity = context.identity
            try await services.twoFactor.disable(
                account: identity.account, device: identity.device, caller: services.caller(request, context))
            return JSONBody.noContent()
        }
        table.addSignedIn(.post, "/account/2fa/recovery-codes") { request, context in
            let identity = context.identity
            let codes = try await services.twoFactor.regenerateRecoveryCodes(
                account: identity.account, device: identity.device, caller: services.caller(request, context))
            return try JSONBody.response(Codes(recoveryCodes: codes))
        }
    }

    static func view(_ enrollment: TwoFactorService.Enrollment) throws -> EnrollmentView {
        let code = try QRCode(text: enrollment.uri, correction: .medium)
        return EnrollmentView(
            secret: enrollment.secretBase32, uri: enrollment.uri, qrSvg: code.svg(moduleSize: 6),
            qrPng: Data(code.png(scale: 6)).base64EncodedString(), qrTerminal: code.terminalText())
    }
}

enum RecoveryRoutes {
    struct ResetRequest: Decodable { var identifier: String }
    struct ResetConfirm: Decodable {
        var token: String
        var newPassword: String
        /// Needed for a passkey-only account (a recovery code) and for a locked account with two-factor sign-in on
        /// (an authenticator code or a recovery code).
        var recoveryCode: String?
    }
    struct LockRequest: Decodable { var token: String }
    struct Locked: Encodable {
        var locked = true
        var signedOut: Int
        var message: String
    }
    struct Message: Encodable { var message: String }

    static let lockedMessage =
        "The account is locked and every device was signed out. Reset its password with the link mailed to its address."
    static let acceptedMessage =
        "If an account matches, a reset link is on its way to its email address. It expires in 30 minutes."

    static func register(_ table: inout APIRouteTable, services: HubServices) {
        table.addOpen(.post, "/password-reset") { request, context in
            let body = try await request.decode(as: ResetRequest.self, context: context)
            services.recovery.requestReset(identifier: body.identifier, caller: services.caller(request, context))
            return try JSONBody.response(Message(message: acceptedMessage), status: .accepted)
        }
        table.addOpen(.post, "/password-reset/confirm") { request, context in
            let body = try await request.decode(as: ResetConfirm.self, context: context)
            try await services.recovery.confirmReset(
                token: body.token, newPassword: body.newPassword, caller: services.caller(request, context),
                recoveryCode: body.recoveryCode)
            return try JSONBody.response(Message(message: "Your password was reset. Every device was signed out."))
        }
        // "This wasn't me": the link of a security mail locks the account. Asks for nothing but the link.
        table.addOpen(.post, "/account/lock") { request, context in
            let body = try await request.decode(as: LockRequest.self, context: context)
            let count = try await services.lockdown.lock(token: body.token, caller: services.caller(request, context))
            return try JSONBody.response(Locked(signedOut: count, message: lockedMessage))
        }
    }
}
