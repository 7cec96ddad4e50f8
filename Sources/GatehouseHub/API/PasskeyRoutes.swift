import Foundation
import GatehouseCore
import Hummingbird
import WebAuthn

/// Passkeys: adding, listing and removing them, username-less sign-in, and re-authentication with one. The rules
/// are all in ``PasskeyService``; these handlers only decode and encode.
enum PasskeyRoutes {
    struct RegisterBody: Decodable {
        var challengeId: String
        var name: String?
        var credential: RegistrationResponseJSON
    }

    struct AssertionBody: Decodable {
        var challengeId: String
        var credential: AuthenticationResponseJSON
    }

    struct SignInBody: Decodable {
        var challengeId: String
        var credential: AuthenticationResponseJSON
        var device: SessionRoutes.DeviceInput?
    }

    struct SecondFactorOptionsBody: Decodable { var challenge: String }
    struct SecondFactorBody: Decodable {
        var challenge: String
        var challengeId: String
        var credential: AuthenticationResponseJSON
    }

    struct PasskeyOnlyBody: Decodable { var enabled: Bool }
    struct PasskeyOnlyView: Encodable { var passkeyOnly: Bool }

    struct PasskeyView: Encodable {
        var id: String
        var name: String
        var algorithm: Int64
        var backupEligible: Bool
        var backupState: Bool
        var transports: [String]
        var aaguid: String
        var createdAt: Date
        var lastUsedAt: Date?

        init(_ passkey: Passkey) {
            id = passkey.id
            name = passkey.name
            algorithm = passkey.algorithm
            backupEligible = passkey.backupEligible
            backupState = passkey.backupState
            transports = passkey.transports
            aaguid = passkey.aaguid
            createdAt = passkey.createdAt
            lastUsedAt = passkey.lastUsedAt
        }
    }

    /// WebAuthn's JSON forms keep their camelCase names (the browser's parse…FromJSON() reads them as they are),
    /// so the options are encoded apart from the API's snake_case envelope.
    static let webAuthnEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// `{"challenge_id": ..., "public_key": <options>}`.
    static func ceremony<Options: Sendable & Encodable>(_ ceremony: PasskeyCeremony<Options>) throws -> Response {
        let id = try webAuthnEncoder.encode(ceremony.challengeID)
        let options = try webAuthnEncoder.encode(ceremony.options)
        var data = Data("{\"challenge_id\":".utf8)
        data.append(id)
        data.append(contentsOf: Array(",\"public_key\":".utf8))
        data.append(options)
        data.append(contentsOf: Array("}".utf8))
        return JSONBody.response(encoded: data)
    }

    static func register(_ table: inout APIRouteTable, services: HubServices) {
        table.addSignedIn(.post, "/account/passkeys/options") { _, context in
            let identity = context.identity
            return try ceremony(
                try await services.passkeys.registrationOptions(account: identity.account, device: identity.device))
        }
        table.addSignedIn(.post, "/account/passkeys") { request, context in
            let identity = context.identity
            let body = try await request.decode(as: RegisterBody.self, context: context)
            let passkey = try await services.passkeys.register(
                account: identity.account, device: identity.device, challengeID: body.challengeId,
                name: body.name ?? "Passkey", credential: body.credential, caller: services.caller(request, context))
            return try JSONBody.response(PasskeyView(passkey), status: .created)
        }
        table.addSignedIn(.get, "/account/passkeys") { _, context in
            let identity = context.identity
            return try JSONBody.response(
                try await services.passkeys.passkeys(of: identity.account).map(PasskeyView.init))
        }
        table.addSignedIn(.delete, "/account/passkeys/{id}") { request, context in
            let identity = context.identity
            let id = try context.parameters.require("id")
            try await services.passkeys.remove(
                id: id, account: identity.account, device: identity.device, caller: services.caller(request, context))
            return JSONBody.noContent()
        }
        table.addSignedIn(.put, "/account/passkey-only") { request, context in
            let identity = context.identity
            let body = try await request.decode(as: PasskeyOnlyBody.self, context: context)
            try await services.passkeys.setPasskeyOnly(
                body.enabled, account: identity.account, device: identity.device,
                caller: services.caller(request, context))
            return try JSONBody.response(PasskeyOnlyView(passkeyOnly: body.enabled))
        }
        table.addOpen(.post, "/sessions/passkey/options") { request, context in
            return try ceremony(try await services.passkeys.signInOptions(caller: services.caller(request, context)))
        }
        table.addOpen(.post, "/sessions/passkey") { request, context in
            let body = try await request.decode(as: SignInBody.self, context: context)
            let info = try (body.device ?? SessionRoutes.DeviceInput()).info()
            let thumbprint = try await services.signInThumbprint(request)
            let signedIn = try await services.passkeys.signIn(
                challengeID: body.challengeId, credential: body.credential, info: info, kind: .api,
                caller: services.caller(request, context), knownDeviceToken: body.device?.knownDeviceToken,
                dpopThumbprint: thumbprint)
            return try JSONBody.response(SessionRoutes.view(signedIn), status: .created)
        }
        table.addOpen(.post, "/sessions/second-factor/passkey/options") { request, context in
            let body = try await request.decode(as: SecondFactorOptionsBody.self, context: context)
            return try ceremony(try await services.passkeys.secondFactorOptions(signInChallenge: body.challenge))
        }
        table.addOpen(.post, "/sessions/second-factor/passkey") { request, context in
            let body = try await request.decode(as: SecondFactorBody.self, context: context)
            let thumbprint = try await services.signInThumbprint(request)
            let signedIn = try await services.passkeys.completeSecondFactor(
                signInChallenge: body.challenge, challengeID: body.challengeId, credential: body.credential,
                caller: services.caller(request, context), dpopThumbprint: thumbprint)
            return try JSONBody.response(SessionRoutes.view(signedIn), status: .created)
        }
        table.addSignedIn(.post, "/session/reauthenticate/passkey/options") { _, context in
            let identity = context.identity
            return try ceremony(
                try await services.passkeys.reauthenticationOptions(account: identity.account, device: identity.device))
        }
        table.addSignedIn(.post, "/session/reauthenticate/passkey") { request, context in
            let identity = context.identity
            let body = try await request.decode(as: AssertionBody.self, context: context)
            try await services.passkeys.reauthenticate(
                account: identity.account, device: identity.device, challengeID: body.challengeId,
                credential: body.credential, caller: services.caller(request, context))
            return try JSONBody.response(
                SessionRoutes.Message(message: "Confirmed. Sensitive changes are allowed for a few minutes."))
        }
    }
}
