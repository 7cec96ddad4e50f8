import Foundation
import GatehouseCore
import Hummingbird
import HummingbirdTesting
import Testing

@testable import GatehouseHub

/// Issue 16, items 1 and 2: the first start's setup link, sign-up modes and invitations, on both databases.
@Suite("Household: setup link, sign-up modes, invitations")
struct HouseholdTests {
    static let invite = AccountSettings(signUpMode: .invite)

    /// An admin signed in just now (so the sudo window is open) and its device.
    static func admin(_ hub: TestHub, _ name: String = "root") async throws -> SignedIn {
        _ = try await hub.services.accounts.register(
            username: name, email: name + "@example.com", password: TestHub.password,
            caller: Caller(ipAddress: "operator"), role: .admin)
        return try await hub.signIn(name)
    }

    static func invitation(
        _ hub: TestHub, by inviter: SignedIn, uses: Int = 1, lifetime: TimeInterval = 86_400, email: String? = nil,
        shares: [InvitationShare] = []
    ) async throws -> InvitationService.Created {
        try await hub.services.invitations.create(
            by: inviter.account, device: inviter.device, maxUses: uses, lifetime: lifetime, email: email,
            shares: shares, send: false, caller: Caller(ipAddress: "192.0.2.1"))
    }

    static func accountExists(_ hub: TestHub, _ name: String) async throws -> Bool {
        try await hub.store.autocommit.account(identifier: name) != nil
    }

    @Test("50 concurrent acceptances of a 1-use invitation make exactly one account", arguments: Backend.allCases)
    func oneUseUnderConcurrency(backend: Backend) async throws {
        try await withHub(backend, settings: Self.invite) { hub in
            let admin = try await Self.admin(hub)
            let created = try await Self.invitation(hub, by: admin)
            let invitations = hub.services.invitations
            let outcomes = await concurrently(0..<50, refusals: InvitationService.Error.self) { index in
                let account = try await invitations.accept(
                    token: created.token, username: "kid\(index)", email: "kid\(index)@example.com",
                    password: TestHub.password, caller: Caller(ipAddress: "198.51.100.\(index + 1)"))
                return account == nil ? "no-account" : "joined"
            }
            #expect(outcomes.filter { $0 == "joined" }.count == 1, "\(outcomes)")
            #expect(outcomes.filter { $0 == "invitation_invalid" }.count == 49, "\(outcomes)")
            var made = 0
            for index in 0..<50 where try await Self.accountExists(hub, "kid\(index)") { made += 1 }
            #expect(made == 1)
            let stored = try #require(try await hub.store.autocommit.invitations(inviterID: nil, limit: 10).first)
            #expect(stored.uses == 1)
        }
    }

    @Test(
        "an invitation bound to an address refuses another; a revoked or expired one is refused",
        arguments: Backend.allCases)
    func boundRevokedExpired(backend: Backend) async throws {
        try await withHub(backend, settings: Self.invite) { hub in
            let admin = try await Self.admin(hub)
            let invitations = hub.services.invitations
            let caller = Caller(ipAddress: "198.51.100.7")
            let bound = try await Self.invitation(hub, by: admin, uses: 3, email: "Dana@Example.com")
            await #expect(throws: InvitationService.Error.otherAddress) {
                try await invitations.accept(
                    token: bound.token, username: "mallory", email: "mallory@example.com", password: TestHub.password,
                    caller: caller)
            }
            #expect(try await Self.accountExists(hub, "mallory") == false)
            let dana = try await invitations.accept(
                token: bound.token, username: "dana", email: "dana@example.com", password: TestHub.password,
                caller: caller)
            #expect(dana?.role == .user)

            let revoked = try await Self.invitation(hub, by: admin, uses: 5)
            try await invitations.revoke(
                id: revoked.invitation.id, by: admin.account, device: admin.device, caller: caller)
            await #expect(throws: InvitationService.Error.invalid) {
                try await invitations.accept(
                    token: revoked.token, username: "eve", email: "eve@example.com", password: TestHub.password,
                    caller: caller)
            }
            #expect(try await invitations.preview(token: revoked.token) == nil)

            let short = try await Self.invitation(hub, by: admin, uses: 5, lifetime: 3_600)
            #expect(try await invitations.preview(token: short.token) != nil)
            hub.clock.advance(3_601)
            await #expect(throws: InvitationService.Error.invalid) {
                try await invitations.accept(
                    token: short.token, username: "late", email: "late@example.com", password: TestHub.password,
                    caller: caller)
            }
            await #expect(throws: InvitationService.Error.invalid) {
                try await invitations.accept(
                    token: "ghi_" + String(repeating: "x", count: 43), username: "guess", email: "guess@example.com",
                    password: TestHub.password, caller: caller)
            }
            #expect(try await Self.accountExists(hub, "eve") == false)
            #expect(try await Self.accountExists(hub, "late") == false)
        }
    }

    @Test(
        "sign-up modes are enforced by the service, so the API gets them; the refusal says nothing about accounts",
        arguments: Backend.allCases)
    func signUpModesOverTheAPI(backend: Backend) async throws {
        for mode in SignUpMode.allCases {
            try await withHub(backend, settings: AccountSettings(signUpMode: mode)) { hub in
                try await hub.makeAccount("carla")
                try await hub.withRouter { client in
                    let fresh = try await client.execute(
                        uri: "/api/v1/accounts", method: .post, headers: JSON.headers,
                        body: JSON.body([
                            "username": "newbie", "email": "newbie@example.com", "password": TestHub.password,
                        ]))
                    let taken = try await client.execute(
                        uri: "/api/v1/accounts", method: .post, headers: JSON.headers,
                        body: JSON.body([
                            "username": "other", "email": "carla@example.com", "password": TestHub.password,
                        ]))
                    #expect(JSON.sansRequestID(fresh) == JSON.sansRequestID(taken), "\(mode)")
                    if mode == .open {
                        #expect(fresh.status == .accepted)
                    } else {
                        #expect(fresh.status == .forbidden, "\(mode)")
                        #expect(
                            JSON.object(fresh)["error"] as? String == "sign_up_closed"
                                || String(buffer: fresh.body).contains("sign_up_closed"))
                    }
                }
                #expect(try await Self.accountExists(hub, "newbie") == (mode == .open))
            }
        }
        // Closed: no invitation can be made, and one made before the switch does not work.
        try await withHub(backend, settings: AccountSettings(signUpMode: .closed)) { hub in
            let admin = try await Self.admin(hub)
            await #expect(throws: RequestError.self) { _ = try await Self.invitation(hub, by: admin) }
            await #expect(throws: RequestError.self) {
                try await hub.services.invitations.accept(
                    token: "ghi_whatever", username: "x1x", email: "x1x@example.com", password: TestHub.password,
                    caller: Caller(ipAddress: "198.51.100.9"))
            }
        }
    }

    @Test(
        "enumeration: accepting with a registered address answers like success, spends a use alike, and mails the owner",
        arguments: Backend.allCases)
    func acceptingWithATakenAddressTellsNothing(backend: Backend) async throws {
        try await withHub(backend, settings: Self.invite) { hub in
            let admin = try await Self.admin(hub)
            try await hub.makeAccount("owner")
            let first = try await Self.invitation(hub, by: admin, uses: 2)
            let second = try await Self.invitation(hub, by: admin, uses: 2)
            try await hub.withRouter { client in
                let fresh = try await client.execute(
                    uri: "/api/v1/invitations/accept", method: .post, headers: JSON.headers,
                    body: JSON.body([
                        "token": first.token, "username": "newcomer", "email": "newcomer@example.com",
                        "password": TestHub.password,
                    ]))
                let taken = try await client.execute(
                    uri: "/api/v1/invitations/accept", method: .post, headers: JSON.headers,
                    body: JSON.body([
                        "token": second.token, "username": "sneaky", "email": "owner@example.com",
                        "password": TestHub.password,
                    ]))
                #expect(fresh.status == .accepted)
                #expect(fresh.status == taken.status)
                #expect(JSON.sansRequestID(fresh) == JSON.sansRequestID(taken))
            }
            let stored = try await hub.store.autocommit.invitations(inviterID: nil, limit: 10)
            #expect(stored.map(\.uses) == [1, 1], "a taken address spends a use like a new account")
            #expect(try await Self.accountExists(hub, "newcomer"))
            #expect(try await Self.accountExists(hub, "sneaky") == false)
            let owner = try await hub.mail(to: "owner@example.com")
            #expect(owner.contains { $0.subject.contains("Someone tried to create an account") })
        }
    }

    @Test("members invite only when allowed; preset shares are received on joining", arguments: Backend.allCases)
    func membersAndShares(backend: Backend) async throws {
        try await withHub(backend, settings: Self.invite) { hub in
            try await hub.makeAccount("mia")
            let mia = try await hub.signIn("mia")
            await #expect(throws: InvitationService.Error.notAllowed) { _ = try await Self.invitation(hub, by: mia) }
            let admin = try await Self.admin(hub)
            let session = hub.store.autocommit
            try await session.insertClaim(
                ServerClaim(
                    codeDigest: "code", name: "Den", version: "1", platform: "Linux", url: "http://den.test",
                    credentialDigest: "cred", expiresAt: hub.clock.now().addingTimeInterval(600)))
            let server = try #require(
                try await session.completeClaim(
                    codeDigest: "code", serverID: "srv1", ownerID: admin.account.id, at: hub.clock.now()))
            await #expect(throws: InvitationService.Error.self) {
                _ = try await Self.invitation(
                    hub, by: admin, shares: [InvitationShare(serverID: "nope", section: "Movies")])
            }
            let created = try await Self.invitation(
                hub, by: admin, shares: [InvitationShare(serverID: server.id, section: "Kids")])
            let joined = try #require(
                try await hub.services.invitations.accept(
                    token: created.token, username: "kiddo", email: "kiddo@example.com", password: TestHub.password,
                    caller: Caller(ipAddress: "198.51.100.3")))
            let shares = try await session.shares(serverID: server.id)
            // Accepted by joining: the newcomer consented by accepting the invitation.
            #expect(shares.contains { $0.section == "Kids" && $0.accountID == joined.id && $0.isAccepted })
        }
        try await withHub(backend, settings: AccountSettings(signUpMode: .invite, membersCanInvite: true)) { hub in
            try await hub.makeAccount("mia")
            let mia = try await hub.signIn("mia")
            let created = try await Self.invitation(hub, by: mia)
            #expect(created.link.hasPrefix("http://hub.test/join?token=ghi_"))
            #expect(try await hub.services.invitations.list(for: mia.account).count == 1)
        }
    }

    @Test(
        "the setup link makes exactly one admin, with TOTP on, under racing use; it works once and a new start voids it",
        arguments: Backend.allCases)
    func setupLink(backend: Backend) async throws {
        try await withHub(backend, settings: Self.invite) { hub in
            let setup = hub.services.setup
            let old = try #require(try await setup.issueLinkIfNoAdmin())
            let link = try #require(try await setup.issueLinkIfNoAdmin())
            let oldToken = String(old.split(separator: "=").last!)
            let token = String(link.split(separator: "=").last!)
            #expect(try await setup.isValid(token: oldToken) == false, "a new start voids the old link")
            #expect(try await setup.isValid(token: token))
            let secret = setup.newSecret()
            let totp = TOTP(secret: try #require(Base32.decode(secret.secretBase32)))
            let code = totp.code(step: totp.step(at: hub.clock.now()))
            // A wrong code creates nothing and keeps the link.
            await #expect(throws: TwoFactorService.Error.invalidCode) {
                _ = try await setup.complete(
                    token: token, username: "boss", email: "boss@example.com", password: TestHub.password,
                    secretBase32: secret.secretBase32, code: code == "000000" ? "111111" : "000000",
                    caller: Caller(ipAddress: "192.0.2.5"))
            }
            let results = await withTaskGroup(of: Bool.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        (try? await setup.complete(
                            token: token, username: "boss\(index)", email: "boss\(index)@example.com",
                            password: TestHub.password, secretBase32: secret.secretBase32, code: code,
                            caller: Caller(ipAddress: "192.0.2.\(index + 10)"))) != nil
                    }
                }
                var all: [Bool] = []
                for await result in group { all.append(result) }
                return all
            }
            #expect(results.filter { $0 }.count == 1)
            #expect(try await hub.store.autocommit.adminCount() == 1)
            var admin: Account?
            for index in 0..<20 {
                if let account = try await hub.store.autocommit.account(identifier: "boss\(index)") { admin = account }
            }
            let made = try #require(admin)
            #expect(made.role == .admin)
            #expect(try await hub.services.twoFactor.isEnabled(accountID: made.id))
            #expect(try await setup.isValid(token: token) == false)
            #expect(try await setup.issueLinkIfNoAdmin() == nil, "no link once an admin exists")
            // Signing in as the new admin needs the second factor.
            let outcome = try await hub.services.signIn.signIn(
                identifier: made.username, password: TestHub.password, info: TestHub.info("boss"), kind: .api,
                caller: Caller(ipAddress: "192.0.2.99"))
            guard case .secondFactorRequired = outcome else {
                Issue.record("the admin signed in without a second factor")
                return
            }
        }
    }

    @Test(
        "an admin's recovery link needs sudo and the member's second factor, works once, signs out and tells the old address",
        arguments: Backend.allCases)
    func recoveryLink(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let links = hub.services.recoveryLinks
            let caller = Caller(ipAddress: "192.0.2.40")
            let stale = try await Self.admin(hub)
            let member = try await hub.makeAccount("lost")
            let memberSession = try await hub.signIn("lost")
            let totp = try await ConcurrentGuessingTests.enableTwoFactor(hub, member)
            hub.clock.advance(601)
            await #expect(throws: AccountService.Error.reauthenticationRequired) {
                _ = try await links.issue(for: "lost", by: stale.account, device: stale.device, caller: caller)
            }
            let plain = try await hub.makeAccount("plain")
            let plainSession = try await hub.signIn("plain")
            await #expect(throws: RequestError.self) {
                _ = try await links.issue(for: "lost", by: plain, device: plainSession.device, caller: caller)
            }
            let admin = try await hub.signIn("root")
            let issued = try await links.issue(
                for: "lost", by: admin.account, device: admin.device, lifetime: 48 * 3_600, caller: caller)
            #expect(issued.expiresAt <= hub.clock.now().addingTimeInterval(86_400))
            #expect(issued.link.hasPrefix("http://hub.test/recover?token=ghm_"))
            let token = String(issued.link.split(separator: "=").last!)
            #expect(try await links.pending(token: token)?.needsSecondFactor == true)
            await #expect(throws: AdminRecoveryLinkService.Error.secondFactorRequired) {
                try await links.complete(
                    token: token, newPassword: "orbit-thistle-canyon-86", newEmail: nil, code: nil, caller: caller)
            }
            hub.clock.advance(30)
            let step = totp.step(at: hub.clock.now())
            let valid = Set((step - 1...step + 1).map { totp.code(step: $0) })
            let wrong = (0..<10).map { String(format: "%06d", $0 * 111_111) }.first { !valid.contains($0) }!
            await #expect(throws: AdminRecoveryLinkService.Error.secondFactorRequired) {
                try await links.complete(
                    token: token, newPassword: "orbit-thistle-canyon-86", newEmail: nil, code: wrong, caller: caller)
            }
            try await links.complete(
                token: token, newPassword: "orbit-thistle-canyon-86", newEmail: "found@example.com",
                code: totp.code(step: step), caller: caller)
            #expect(
                try await hub.services.devices.authenticate(token: memberSession.token.value, ipAddress: "192.0.2.1")
                    == nil)
            await #expect(throws: AccountService.Error.invalidToken) {
                try await links.complete(
                    token: token, newPassword: "another-long-passphrase-19", newEmail: nil, code: nil, caller: caller)
            }
            let updated = try #require(try await hub.store.autocommit.account(id: member.id))
            #expect(updated.email == "found@example.com")
            #expect(updated.isEmailVerified == false)
            #expect(try await hub.mail(to: "lost@example.com").contains { $0.subject.contains("administrator") })
            #expect(try await hub.mail(to: "found@example.com").contains { $0.subject.contains("Confirm") })
            #expect(try await hub.audit(member.id).contains { $0.kind == AuditEvent.Kind.recoveryLinkUsed.rawValue })
            // A member without a second factor needs none; the link voids the previous one.
            let first = try await links.issue(for: "plain", by: admin.account, device: admin.device, caller: caller)
            let second = try await links.issue(for: "plain", by: admin.account, device: admin.device, caller: caller)
            #expect(try await links.pending(token: String(first.link.split(separator: "=").last!)) == nil)
            try await links.complete(
                token: String(second.link.split(separator: "=").last!), newPassword: "orbit-thistle-canyon-86",
                newEmail: nil, code: nil, caller: caller)
            #expect(
                try await hub.services.devices.authenticate(token: plainSession.token.value, ipAddress: "192.0.2.1")
                    == nil)
        }
    }
}
