import Foundation
import GatehouseCore
import Testing

@testable import GatehouseHub

/// Operators' actions are authorized inside the services, so the admin pages, any later API route and the CLI get
/// the same rule: an admin account with a recent re-authentication, or the console.
@Suite("Operators: incidents, sign-outs and account look-ups are authorized in the services")
struct OperatorAuthorizationTests {
    static func admin(_ hub: TestHub) async throws -> SignedIn {
        _ = try await hub.services.accounts.register(
            username: "root", email: "root@example.com", password: TestHub.password,
            caller: Caller(ipAddress: "operator"), role: .admin)
        return try await hub.signIn("root")
    }

    func declare(_ hub: TestHub, _ actor: AdminAuthorization.Operator) async throws -> Incident {
        try await hub.services.incidents.declare(
            reason: "drill", forceReset: ["bob"], signOutAll: true, notify: false, banner: nil, by: actor,
            caller: Caller(ipAddress: "192.0.2.1"))
    }

    @Test("a member cannot declare incidents, sign others out or look accounts up", arguments: Backend.allCases)
    func membersAreRefused(backend: Backend) async throws {
        try await withHub(backend) { hub in
            try await hub.makeAccount("mallory")
            let bob = try await hub.makeAccount("bob")
            let mallory = try await hub.signIn("mallory")
            let actor = AdminAuthorization.Operator.admin(mallory.account, mallory.device)
            await #expect(throws: RequestError.forbidden) { try await declare(hub, actor) }
            await #expect(throws: RequestError.forbidden) {
                try await hub.services.devices.signOutAll(of: bob, by: actor, caller: Caller(ipAddress: "192.0.2.1"))
            }
            await #expect(throws: RequestError.forbidden) {
                try await hub.services.admin.searchAccounts("bob", by: mallory.account)
            }
            await #expect(throws: RequestError.forbidden) {
                try await hub.services.admin.account(id: bob.id, by: mallory.account)
            }
            #expect(try await hub.services.incidents.list().isEmpty)
        }
    }

    @Test(
        "an admin's stale session must re-authenticate first; a fresh one and the console may",
        arguments: Backend.allCases)
    func adminsNeedRecentAuthentication(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let bob = try await hub.makeAccount("bob")
            let root = try await Self.admin(hub)
            hub.clock.advance(hub.environment.settings.reauthenticationWindow + 1)
            let stale = AdminAuthorization.Operator.admin(root.account, root.device)
            await #expect(throws: AccountService.Error.reauthenticationRequired) { try await declare(hub, stale) }
            await #expect(throws: AccountService.Error.reauthenticationRequired) {
                try await hub.services.devices.signOutAll(of: bob, by: stale, caller: Caller(ipAddress: "192.0.2.1"))
            }
            // Reading is allowed without sudo; only changes ask for it.
            #expect(try await hub.services.admin.searchAccounts("bob", by: root.account).map(\.id) == [bob.id])
            #expect(try await hub.services.incidents.list().isEmpty)

            let fresh = try await hub.signIn("root")
            let incident = try await declare(hub, .admin(fresh.account, fresh.device))
            #expect(incident.total == 1)
            #expect(try await declare(hub, .console).total == 1)
        }
    }
}
