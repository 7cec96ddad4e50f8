import Foundation
import GatehouseCore
import Hummingbird

enum SessionRoutes {
    struct DeviceInput: Decodable {
        var clientIdentifier: String?
        var name: String?
        var product: String?
        var version: String?
        var platform: String?
        /// The known-device secret this device was given at its last sign-in, if any.
        var knownDeviceToken: String?

        /// Trimmed, bounded fields, with defaults for what the client did not say.
        func info() throws -> Device.Info {
            func clean(_ value: String?, _ fallback: String, limit: Int = 100) -> String {
                let trimmed = (value ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                let visible = String(trimmed.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7f })
                return visible.isEmpty ? fallback : visible.clipped(toScalars: limit)
            }
            return Device.Info(
                clientIdentifier: clean(clientIdentifier, SecureRandom.identifier(), limit: 128),
                name: clean(name, "Unnamed device"), product: clean(product, "Unknown app"),
                version: clean(version, "?", limit: 40), platform: clean(platform, "Unknown platform", limit: 60))
        }
    }

    struct SignInBody: Decodable {
        var identifier: String
        var password: String
        var device: DeviceInput?
    }

    struct SecondFactorBody: Decodable {
        var challenge: String
        var code: String
    }

    struct SignedInView: Encodable {
        var token: String
        /// Keep it and send it as `device.known_device_token` at the next sign-in from this device.
        var knownDeviceToken: String
        var device: DeviceView
        var account: AccountView
        /// `DPoP` when the credential is bound to the key of the sign-in's DPoP proof, else `Bearer`.
        var tokenType: String
    }

    struct ChallengeView: Encodable {
        var secondFactorRequired = true
        var challenge: String
        var methods: [String]
    }

    struct Reauthenticate: Decodable {
        var password: String
        var code: String?
    }

    struct Message: Encodable { var message: String }

    static func register(_ table: inout APIRouteTable, services: HubServices) {
        table.addOpen(.post, "/sessions") { request, context in
            let body = try await request.decode(as: SignInBody.self, context: context)
            let info = try (body.device ?? DeviceInput()).info()
            let thumbprint = try await services.signInThumbprint(request)
            let outcome = try await services.signIn.signIn(
                identifier: body.identifier, password: body.password, info: info, kind: .api,
                caller: services.caller(request, context), knownDeviceToken: body.device?.knownDeviceToken,
                dpopThumbprint: thumbprint)
            switch outcome {
            case .signedIn(let signedIn):
                return try JSONBody.response(view(signedIn), status: .created)
            case .secondFactorRequired(let challenge, let methods):
                return try JSONBody.response(ChallengeView(challenge: challenge, methods: methods))
            }
        }
        table.addOpen(.post, "/sessions/second-factor") { request, context in
            let body = try await request.decode(as: SecondFactorBody.self, context: context)
            let thumbprint = try await services.signInThumbprint(request)
            let signedIn = try await services.signIn.completeSecondFactor(
                challenge: body.challenge, code: body.code, caller: services.caller(request, context),
                dpopThumbprint: thumbprint)
            return try JSONBody.response(view(signedIn), status: .created)
        }
        table.addSignedIn(.delete, "/session") { request, context in
            let identity = context.identity
            try await services.devices.revoke(
                deviceID: identity.device.id, of: identity.account, caller: services.caller(request, context))
            return JSONBody.noContent()
        }
        table.addSignedIn(.post, "/session/reauthenticate") { request, context in
            let identity = context.identity
            let body = try await request.decode(as: Reauthenticate.self, context: context)
            try await services.signIn.reauthenticate(
                account: identity.account, device: identity.device, password: body.password, code: body.code,
                caller: services.caller(request, context))
            return try JSONBody.response(
                Message(message: "Confirmed. Sensitive changes are allowed for a few minutes."))
        }
    }

    static func view(_ signedIn: SignedIn) -> SignedInView {
        SignedInView(
            token: signedIn.token.value, knownDeviceToken: signedIn.knownDeviceToken.value,
            device: DeviceView(signedIn.device, currentID: signedIn.device.id),
            account: AccountView(signedIn.account), tokenType: signedIn.device.dpopThumbprint == nil ? "Bearer" : "DPoP"
        )
    }
}

enum DeviceRoutes {
    struct SignOutAll: Decodable { var keepCurrent: Bool? }
    struct Count: Encodable { var signedOut: Int }

    static func register(_ table: inout APIRouteTable, services: HubServices) {
        table.addSignedIn(.get, "/devices") { _, context in
            let identity = context.identity
            let devices = try await services.devices.devices(of: identity.account)
            return try JSONBody.response(
                devices.map {
                    DeviceView($0, currentID: identity.device.id, expiresAt: services.devices.expiry(of: $0))
                })
        }
        table.addSignedIn(.delete, "/devices/{id}") { request, context in
            let identity = context.identity
            let id = try context.parameters.require("id")
            try await services.devices.revoke(
                deviceID: id, of: identity.account, caller: services.caller(request, context))
            return JSONBody.noContent()
        }
        table.addSignedIn(.post, "/devices/sign-out-all") { request, context in
            let identity = context.identity
            let body = try await request.decode(as: SignOutAll.self, context: context)
            let count = try await services.devices.signOutAll(
                of: identity.account, keepingCurrent: body.keepCurrent ?? true,
                caller: services.caller(request, context))
            return try JSONBody.response(Count(signedOut: count))
        }
    }
}

enum AuditRoutes {
    struct EventView: Encodable {
        var id: Int64
        var kind: String
        var ipAddress: String
        var detail: String
        var createdAt: Date
    }

    static func register(_ table: inout APIRouteTable, services: HubServices) {
        table.addSignedIn(.get, "/security-activity") { _, context in
            let identity = context.identity
            let events = try await services.audit.recentEvents(of: identity.account, limit: 100)
            return try JSONBody.response(
                events.map {
                    EventView(
                        id: $0.id, kind: $0.kind, ipAddress: $0.ipAddress, detail: $0.detail, createdAt: $0.createdAt)
                })
        }
    }
}
