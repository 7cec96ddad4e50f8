import Foundation
import GatehouseCore
import Hummingbird
import HummingbirdTesting
import Testing

@testable import GatehouseHub

/// The device authorization grant (RFC 8628) and `/link`: every error code of the token endpoint, expiry on the
/// hub's clock, slow_down, single use, the wrong client, approval rules, and floods, on SQLite and PostgreSQL.
@Suite("Device authorization grant")
struct DeviceGrantTests {
    typealias OAuthError = DeviceGrantService.OAuthError

    static let tv = Device.Info(
        clientIdentifier: "", name: "Living-room TV", product: "Couch Player", version: "3.1", platform: "webOS")

    /// Polls once and returns the error code, or "issued".
    static func poll(
        _ grant: DeviceGrantService, _ code: String, client: String = "gatehouse-cli", address: String = "198.51.100.7"
    )
        async -> String
    {
        do {
            _ = try await grant.exchange(deviceCode: code, clientID: client, caller: Caller(ipAddress: address))
            return "issued"
        } catch let error as OAuthError {
            return error.code
        } catch {
            return "other: \(error)"
        }
    }

    /// Signs `name` in on a browser-like device and returns it with its account.
    static func browser(_ hub: TestHub, _ name: String) async throws -> SignedIn {
        try await hub.signIn(name)
    }

    static func approve(
        _ hub: TestHub, _ signedIn: SignedIn, _ userCode: String, approve: Bool = true, address: String = "192.0.2.10"
    )
        async throws
    {
        let grant = hub.services.deviceGrant
        let caller = Caller(ipAddress: address, deviceID: signedIn.device.id)
        let pending = try await grant.lookup(
            userCode: userCode, account: signedIn.account, device: signedIn.device, caller: caller)
        try await grant.decide(
            userCode: pending.userCode, ticket: pending.ticket, approve: approve, account: signedIn.account,
            device: signedIn.device, caller: caller)
    }

    @Test(
        "approved code: one credential, listed, mailed, refused after sign-out-all; the code is then spent",
        arguments: Backend.allCases)
    func approvedFlow(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("olivia")
            let browser = try await Self.browser(hub, "olivia")
            let grant = hub.services.deviceGrant
            let started = try await grant.start(
                clientID: "gatehouse-cli", scope: nil, info: Self.tv, caller: Caller(ipAddress: "198.51.100.7"))
            #expect(started.expiresIn == 600)
            #expect(started.interval == 5)
            #expect(started.verificationURI == "http://hub.test/link")
            #expect(started.verificationURIComplete == "http://hub.test/link?code=" + started.userCode)
            #expect(started.userCode.count == 9 && started.userCode.dropFirst(4).first == "-")
            #expect(
                started.userCode.replacingOccurrences(of: "-", with: "").allSatisfy {
                    DeviceGrantService.userCodeAlphabet.contains($0)
                })
            // Neither code is stored in the clear.
            let rows = try await hub.store.rawRows("SELECT * FROM device_authorizations")
            #expect(!rows.joined().contains(started.deviceCode))
            #expect(!rows.joined().contains(started.userCode.replacingOccurrences(of: "-", with: "")))

            #expect(await Self.poll(grant, started.deviceCode) == "authorization_pending")
            // Typed in lower case without the dash, on the browser.
            let pending = try await grant.lookup(
                userCode: started.userCode.lowercased().replacingOccurrences(of: "-", with: ""),
                account: browser.account,
                device: browser.device, caller: Caller(ipAddress: "192.0.2.10", deviceID: browser.device.id))
            #expect(pending.clientName == "Gatehouse command line")
            #expect(pending.isRegistered)
            #expect(pending.info.product == "Couch Player" && pending.info.platform == "webOS")
            #expect(pending.ipAddress == "198.51.100.7")
            try await grant.decide(
                userCode: pending.userCode, ticket: pending.ticket, approve: true, account: browser.account,
                device: browser.device, caller: Caller(ipAddress: "192.0.2.10", deviceID: browser.device.id))
            hub.clock.advance(5)
            let signedIn = try await grant.exchange(
                deviceCode: started.deviceCode, clientID: "gatehouse-cli", caller: Caller(ipAddress: "198.51.100.7"))
            #expect(grant.expiresIn(signedIn.device) > 0)
            // Spent: a second exchange is invalid_grant, however long one waits.
            hub.clock.advance(5)
            #expect(await Self.poll(grant, started.deviceCode) == "invalid_grant")
            // The user code is spent too.
            await #expect(throws: DeviceGrantService.LinkError.unknownCode) {
                try await Self.approve(hub, browser, started.userCode)
            }
            // Listed like any other device, with what the TV said about itself.
            let devices = try await hub.services.devices.devices(of: account)
            let tv = try #require(devices.first { $0.id == signedIn.device.id })
            #expect(tv.info.product == "Couch Player" && tv.ipAddress == "198.51.100.7")
            // The owner was mailed, as for any new sign-in.
            let mails = try await hub.mail(to: "olivia@example.com").filter {
                $0.subject == "New sign-in to your account"
            }
            #expect(mails.contains { $0.text.contains("Couch Player") })
            let log = try await hub.audit(account.id).map(\.kind)
            #expect(log.contains(AuditEvent.Kind.deviceLinkApproved.rawValue))
            // The credential works, and sign-out-all ends it.
            #expect(
                try await hub.services.devices.authenticate(token: signedIn.token.value, ipAddress: "198.51.100.7")
                    != nil)
            try await hub.services.devices.signOutAll(
                of: account, keepingCurrent: false, caller: Caller(ipAddress: "192.0.2.10"))
            #expect(
                try await hub.services.devices.authenticate(token: signedIn.token.value, ipAddress: "198.51.100.7")
                    == nil)
        }
    }

    @Test(
        "polling faster than the interval: slow_down, and the interval grows by 5 s each time",
        arguments: Backend.allCases)
    func slowDown(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let grant = hub.services.deviceGrant
            let started = try await grant.start(
                clientID: "gatehouse-cli", scope: "media", info: Self.tv, caller: Caller(ipAddress: "198.51.100.7"))
            #expect(await Self.poll(grant, started.deviceCode) == "authorization_pending")
            hub.clock.advance(4)
            #expect(await Self.poll(grant, started.deviceCode) == "slow_down")  // interval now 10
            hub.clock.advance(5)
            #expect(await Self.poll(grant, started.deviceCode) == "slow_down")  // 5 < 10: interval now 15
            hub.clock.advance(15)
            #expect(await Self.poll(grant, started.deviceCode) == "authorization_pending")
            hub.clock.advance(14)
            #expect(await Self.poll(grant, started.deviceCode) == "slow_down")
            hub.clock.advance(20)
            #expect(await Self.poll(grant, started.deviceCode) == "authorization_pending")
        }
    }

    @Test(
        "after 600 s: expired_token for the device, and the user code is unknown on /link", arguments: Backend.allCases)
    func expiry(backend: Backend) async throws {
        try await withHub(backend) { hub in
            try await hub.makeAccount("paul")
            let browser = try await Self.browser(hub, "paul")
            let grant = hub.services.deviceGrant
            let started = try await grant.start(
                clientID: "gatehouse-cli", scope: nil, info: Self.tv, caller: Caller(ipAddress: "198.51.100.7"))
            hub.clock.advance(599)
            #expect(await Self.poll(grant, started.deviceCode) == "authorization_pending")
            hub.clock.advance(1)
            #expect(await Self.poll(grant, started.deviceCode) == "expired_token")
            await #expect(throws: DeviceGrantService.LinkError.unknownCode) {
                try await Self.approve(hub, browser, started.userCode)
            }
            // An approval that came just in time is not honoured after expiry either.
            let second = try await grant.start(
                clientID: "gatehouse-cli", scope: nil, info: Self.tv, caller: Caller(ipAddress: "198.51.100.7"))
            hub.clock.advance(590)
            let fresh = try await Self.browser(hub, "paul")
            try await Self.approve(hub, fresh, second.userCode)
            hub.clock.advance(11)
            #expect(await Self.poll(grant, second.deviceCode) == "expired_token")
            // Purged an hour after expiry; then the code is simply unknown.
            hub.clock.advance(3_600)
            #expect(try await grant.purgeExpired() == 2)
            #expect(await Self.poll(grant, second.deviceCode) == "invalid_grant")
        }
    }

    @Test("denied: access_denied on every later poll", arguments: Backend.allCases)
    func denial(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("quinn")
            let browser = try await Self.browser(hub, "quinn")
            let grant = hub.services.deviceGrant
            let started = try await grant.start(
                clientID: "gatehouse-cli", scope: nil, info: Self.tv, caller: Caller(ipAddress: "198.51.100.7"))
            try await Self.approve(hub, browser, started.userCode, approve: false)
            #expect(await Self.poll(grant, started.deviceCode) == "access_denied")
            hub.clock.advance(5)
            #expect(await Self.poll(grant, started.deviceCode) == "access_denied")
            #expect(try await hub.services.devices.devices(of: account).count == 1)
            #expect(try await hub.audit(account.id).map(\.kind).contains(AuditEvent.Kind.deviceLinkDenied.rawValue))
        }
    }

    @Test(
        "clients: wrong client_id is invalid_grant, unregistered is invalid_client unless allowed (then unverified)",
        arguments: Backend.allCases)
    func clients(backend: Backend) async throws {
        try await withHub(backend) { hub in
            try await hub.makeAccount("rita")
            let browser = try await Self.browser(hub, "rita")
            let grant = hub.services.deviceGrant
            let tvCaller = Caller(ipAddress: "198.51.100.7")
            await #expect(throws: OAuthError.invalidClient) {
                _ = try await grant.start(clientID: "couch-player", scope: nil, info: Self.tv, caller: tvCaller)
            }
            await #expect(throws: OAuthError.invalidRequest("client_id is missing or malformed.")) {
                _ = try await grant.start(clientID: "bad id", scope: nil, info: Self.tv, caller: tvCaller)
            }
            await #expect(throws: OAuthError.invalidRequest("client_id is missing or malformed.")) {
                _ = try await grant.start(
                    clientID: String(repeating: "a", count: 65), scope: nil, info: Self.tv, caller: tvCaller)
            }
            _ = try await grant.registerClient(id: "couch-player", name: "Couch Player for TVs", logo: nil)
            await #expect(throws: OAuthError.self) {
                _ = try await grant.registerClient(id: "couch-player", name: "Again", logo: nil)
            }
            let started = try await grant.start(clientID: "couch-player", scope: nil, info: Self.tv, caller: tvCaller)
            #expect(await Self.poll(grant, started.deviceCode, client: "gatehouse-cli") == "invalid_grant")
            #expect(await Self.poll(grant, started.deviceCode, client: "nobody-registered-me") == "invalid_client")
            let pending = try await grant.lookup(
                userCode: started.userCode, account: browser.account, device: browser.device,
                caller: Caller(ipAddress: "192.0.2.10"))
            #expect(pending.clientName == "Couch Player for TVs" && pending.isRegistered)
            #expect(try await grant.clients().map(\.id) == ["gatehouse-cli", "gatehouse-media", "couch-player"])
            #expect(try await grant.removeClient(id: "couch-player"))
            #expect(await Self.poll(grant, started.deviceCode, client: "couch-player") == "invalid_client")
            // Malformed device codes are invalid_grant without a lookup.
            #expect(await Self.poll(grant, "ghl_short") == "invalid_grant")
        }
        try await withHub(backend, configure: { $0.allowUnregisteredClients = true }) { hub in
            try await hub.makeAccount("sam")
            let browser = try await Self.browser(hub, "sam")
            let grant = hub.services.deviceGrant
            let started = try await grant.start(
                clientID: "some-tv-app", scope: nil, info: Self.tv, caller: Caller(ipAddress: "198.51.100.7"))
            let pending = try await grant.lookup(
                userCode: started.userCode, account: browser.account, device: browser.device,
                caller: Caller(ipAddress: "192.0.2.10"))
            #expect(pending.clientName == "some-tv-app")
            #expect(!pending.isRegistered)
        }
    }

    @Test(
        "approving needs a recent sign-in; denying does not; a decision needs the lookup's ticket",
        arguments: Backend.allCases)
    func approvalRules(backend: Backend) async throws {
        try await withHub(backend) { hub in
            try await hub.makeAccount("tess")
            let browser = try await Self.browser(hub, "tess")
            let other = try await Self.browser(hub, "tess")
            let grant = hub.services.deviceGrant
            // Both sessions are nearly as old as the re-authentication window when the TV asks.
            hub.clock.advance(hub.environment.settings.reauthenticationWindow - 5)
            let started = try await grant.start(
                clientID: "gatehouse-cli", scope: nil, info: Self.tv, caller: Caller(ipAddress: "198.51.100.7"))
            let caller = Caller(ipAddress: "192.0.2.10", deviceID: browser.device.id)
            let pending = try await grant.lookup(
                userCode: started.userCode, account: browser.account, device: browser.device, caller: caller)
            // Another browser of the same account cannot reuse this lookup's ticket, nor can a forged one pass.
            await #expect(throws: DeviceGrantService.LinkError.staleDecision) {
                try await grant.decide(
                    userCode: pending.userCode, ticket: pending.ticket, approve: true, account: other.account,
                    device: other.device, caller: caller)
            }
            await #expect(throws: DeviceGrantService.LinkError.staleDecision) {
                try await grant.decide(
                    userCode: pending.userCode, ticket: "k1:" + String(repeating: "0", count: 64), approve: true,
                    account: browser.account, device: browser.device, caller: caller)
            }
            // The session is now older than the re-authentication window (the code is 10 s old).
            hub.clock.advance(10)
            let old = browser.device
            await #expect(throws: AccountService.Error.reauthenticationRequired) {
                try await grant.decide(
                    userCode: pending.userCode, ticket: pending.ticket, approve: true, account: browser.account,
                    device: old, caller: caller)
            }
            #expect(await Self.poll(grant, started.deviceCode) == "authorization_pending")
            try await grant.decide(
                userCode: pending.userCode, ticket: pending.ticket, approve: false, account: browser.account,
                device: old, caller: caller)
            hub.clock.advance(5)
            #expect(await Self.poll(grant, started.deviceCode) == "access_denied")
        }
    }

    @Test("sign-out-all between approval and the poll: access_denied", arguments: Backend.allCases)
    func signOutAllAfterApproval(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("uma")
            let browser = try await Self.browser(hub, "uma")
            let grant = hub.services.deviceGrant
            let started = try await grant.start(
                clientID: "gatehouse-cli", scope: nil, info: Self.tv, caller: Caller(ipAddress: "198.51.100.7"))
            try await Self.approve(hub, browser, started.userCode)
            try await hub.services.devices.signOutAll(
                of: account, keepingCurrent: false, caller: Caller(ipAddress: "192.0.2.10"))
            #expect(await Self.poll(grant, started.deviceCode) == "access_denied")
        }
    }

    @Test("200 concurrent polls of an approved code issue exactly one credential", arguments: Backend.allCases)
    func concurrentPolls(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("vera")
            let browser = try await Self.browser(hub, "vera")
            let grant = hub.services.deviceGrant
            let started = try await grant.start(
                clientID: "gatehouse-cli", scope: nil, info: Self.tv, caller: Caller(ipAddress: "198.51.100.7"))
            try await Self.approve(hub, browser, started.userCode)
            let code = started.deviceCode
            let outcomes = await withTaskGroup(of: String.self) { group in
                for _ in 0..<200 { group.addTask { await Self.poll(grant, code) } }
                var all: [String] = []
                for await outcome in group { all.append(outcome) }
                return all
            }
            #expect(outcomes.filter { $0 == "issued" }.count == 1)
            #expect(outcomes.allSatisfy { $0 == "issued" || $0 == "invalid_grant" }, "\(Set(outcomes))")
            #expect(try await hub.services.devices.devices(of: account).count == 2)
        }
    }

    @Test("200 concurrent approvals of one code: one decision", arguments: Backend.allCases)
    func concurrentApprovals(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("wade")
            let browser = try await Self.browser(hub, "wade")
            let grant = hub.services.deviceGrant
            let started = try await grant.start(
                clientID: "gatehouse-cli", scope: nil, info: Self.tv, caller: Caller(ipAddress: "198.51.100.7"))
            let pending = try await grant.lookup(
                userCode: started.userCode, account: browser.account, device: browser.device,
                caller: Caller(ipAddress: "192.0.2.10"))
            let outcomes = await concurrently(0..<200) { index in
                try await grant.decide(
                    userCode: pending.userCode, ticket: pending.ticket, approve: index % 2 == 0,
                    account: browser.account, device: browser.device, caller: Caller(ipAddress: "192.0.2.10"))
                return "decided"
            }
            #expect(outcomes.filter { $0 == "decided" }.count == 1)
            #expect(outcomes.allSatisfy { $0 == "decided" || $0 == "link_decided" }, "\(Set(outcomes))")
            let decisions = try await hub.audit(account.id).filter {
                $0.kind == AuditEvent.Kind.deviceLinkApproved.rawValue
                    || $0.kind == AuditEvent.Kind.deviceLinkDenied.rawValue
            }
            #expect(decisions.count == 1)
        }
    }

    /// Random well-formed codes that are not `live`.
    static func guesses(_ count: Int, avoiding live: String) -> [String] {
        var out: [String] = []
        let normalizedLive = DeviceGrantService.normalize(live)
        while out.count < count {
            let code = DeviceGrantService.generateUserCode()
            if code != normalizedLive { out.append(code) }
        }
        return out
    }

    @Test(
        "a guessing flood: 300 concurrent codes from one account over many addresses, and from many accounts at one address",
        arguments: Backend.allCases)
    func guessingFlood(backend: Backend) async throws {
        try await withHub(backend) { hub in
            try await hub.makeAccount("mallory")
            let attacker = try await Self.browser(hub, "mallory")
            let grant = hub.services.deviceGrant
            let started = try await grant.start(
                clientID: "gatehouse-cli", scope: nil, info: Self.tv, caller: Caller(ipAddress: "198.51.100.7"))
            let guesses = Self.guesses(300, avoiding: started.userCode)
            // One account, 300 addresses: the account's budget holds.
            let outcomes = await withTaskGroup(of: String.self) { group in
                for (index, guess) in guesses.enumerated() {
                    group.addTask {
                        do {
                            _ = try await grant.lookup(
                                userCode: guess, account: attacker.account, device: attacker.device,
                                caller: Caller(ipAddress: "203.0.\(index / 250).\(index % 250)"))
                            return "found"
                        } catch let error as any PublicError {
                            return error.code
                        } catch {
                            return "other: \(error)"
                        }
                    }
                }
                var all: [String] = []
                for await outcome in group { all.append(outcome) }
                return all
            }
            #expect(!outcomes.contains("found"))
            #expect(!outcomes.contains { $0.hasPrefix("other") })
            let evaluated = outcomes.filter { $0 == "unknown_user_code" }.count
            #expect(evaluated <= DeviceGrantService.entryPolicy.freeAttempts, "evaluated \(evaluated) codes")
            // Even the right code is now held up for this account.
            await #expect(throws: SignInService.Error.self) {
                _ = try await grant.lookup(
                    userCode: started.userCode, account: attacker.account, device: attacker.device,
                    caller: Caller(ipAddress: "203.0.9.9"))
            }

            // Many accounts, one address: the address's budget holds.
            var accounts: [SignedIn] = []
            for index in 0..<30 {
                try await hub.makeAccount("bot\(index)")
                accounts.append(try await Self.browser(hub, "bot\(index)"))
            }
            let captured = accounts
            let second = Self.guesses(300, avoiding: started.userCode)
            let fromOneAddress = await withTaskGroup(of: String.self) { group in
                for (index, guess) in second.enumerated() {
                    group.addTask {
                        let who = captured[index % captured.count]
                        do {
                            _ = try await grant.lookup(
                                userCode: guess, account: who.account, device: who.device,
                                caller: Caller(ipAddress: "198.51.100.66"))
                            return "found"
                        } catch let error as any PublicError {
                            return error.code
                        } catch {
                            return "other: \(error)"
                        }
                    }
                }
                var all: [String] = []
                for await outcome in group { all.append(outcome) }
                return all
            }
            #expect(!fromOneAddress.contains("found"))
            #expect(!fromOneAddress.contains { $0.hasPrefix("other") })
            let evaluatedHere = fromOneAddress.filter { $0 == "unknown_user_code" }.count
            #expect(evaluatedHere <= DeviceGrantService.entryPolicy.freeAttempts, "evaluated \(evaluatedHere) codes")
            // The live code is untouched: its owner still approves it, and the TV signs in.
            try await hub.makeAccount("owner")
            let owner = try await Self.browser(hub, "owner")
            try await Self.approve(hub, owner, started.userCode, address: "192.0.2.44")
            #expect(await Self.poll(grant, started.deviceCode) == "issued")
        }
    }

    @Test("device authorization requests are throttled per address")
    func requestFlood() async throws {
        try await withHub(.sqlite) { hub in
            let grant = hub.services.deviceGrant
            for _ in 0..<DeviceGrantService.requestPolicy.freeAttempts {
                _ = try await grant.start(
                    clientID: "gatehouse-cli", scope: nil, info: Self.tv, caller: Caller(ipAddress: "198.51.100.8"))
            }
            await #expect(throws: OAuthError.self) {
                _ = try await grant.start(
                    clientID: "gatehouse-cli", scope: nil, info: Self.tv, caller: Caller(ipAddress: "198.51.100.8"))
            }
            _ = try await grant.start(
                clientID: "gatehouse-cli", scope: nil, info: Self.tv, caller: Caller(ipAddress: "198.51.100.9"))
        }
    }

    @Test("user codes: 8 letters of the alphabet, typed in any case with or without dashes")
    func userCodes() {
        for _ in 0..<1_000 {
            let code = DeviceGrantService.generateUserCode()
            #expect(code.count == 8 && code.allSatisfy { DeviceGrantService.userCodeAlphabet.contains($0) })
        }
        #expect(DeviceGrantService.normalize("bcdf-ghjk") == "BCDFGHJK")
        #expect(DeviceGrantService.normalize(" BCDF GHJK ") == "BCDFGHJK")
        #expect(DeviceGrantService.normalize("BCDFGHJ") == nil)
        #expect(DeviceGrantService.normalize("BCDFGHJA") == nil)  // A is not in the alphabet
        #expect(DeviceGrantService.normalize(String(repeating: "B", count: 10_000)) == nil)
    }

    // MARK: The wire format

    static func form(_ fields: [(String, String)]) -> ByteBuffer {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return ByteBuffer(
            string: fields.map { $0.0 + "=" + ($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "") }
                .joined(separator: "&"))
    }

    static let formHeaders: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    @Test("the endpoints answer in RFC 8628 / RFC 6749 form: JSON, 400, error codes, no-store")
    func wireFormat() async throws {
        try await withHub(.sqlite) { hub in
            try await hub.withRouter { client in
                let started = try await client.execute(
                    uri: "/oauth/device_authorization", method: .post, headers: Self.formHeaders,
                    body: Self.form([("client_id", "gatehouse-cli"), ("scope", "media"), ("device_name", "TV")]))
                #expect(started.status == .ok)
                #expect(started.headers[.cacheControl] == "no-store")
                let codes = JSON.object(started)
                for key in [
                    "device_code", "user_code", "verification_uri", "verification_uri_complete", "expires_in",
                    "interval",
                ] {
                    #expect(codes[key] != nil, "missing \(key)")
                }
                let deviceCode = try #require(codes["device_code"] as? String)

                func token(_ fields: [(String, String)], headers: HTTPFields = Self.formHeaders) async throws -> (
                    Int, String?
                ) {
                    let response = try await client.execute(
                        uri: "/oauth/token", method: .post, headers: headers, body: Self.form(fields))
                    #expect(response.headers[.cacheControl] == "no-store")
                    return (Int(response.status.code), JSON.object(response)["error"] as? String)
                }
                let grant = ("grant_type", "urn:ietf:params:oauth:grant-type:device_code")
                var answer = try await token([grant, ("device_code", deviceCode), ("client_id", "gatehouse-cli")])
                #expect(answer == (400, "authorization_pending"))
                answer = try await token([grant, ("device_code", deviceCode), ("client_id", "gatehouse-cli")])
                #expect(answer == (400, "slow_down"))
                answer = try await token([grant, ("device_code", deviceCode), ("client_id", "gatehouse-media")])
                #expect(answer == (400, "invalid_grant"))
                answer = try await token([grant, ("device_code", deviceCode), ("client_id", "unknown-app")])
                #expect(answer == (400, "invalid_client"))
                answer = try await token([
                    grant, ("device_code", "ghl_" + String(repeating: "A", count: 43)), ("client_id", "gatehouse-cli"),
                ])
                #expect(answer == (400, "invalid_grant"))
                answer = try await token([("grant_type", "password"), ("client_id", "gatehouse-cli")])
                #expect(answer == (400, "unsupported_grant_type"))
                answer = try await token([grant, ("client_id", "gatehouse-cli")])
                #expect(answer == (400, "invalid_request"))
                answer = try await token([grant, ("device_code", deviceCode)])
                #expect(answer == (400, "invalid_request"))
                answer = try await token([
                    grant, ("device_code", deviceCode), ("client_id", "gatehouse-cli"), ("client_id", "gatehouse-cli"),
                ])
                #expect(answer == (400, "invalid_request"))
                answer = try await token([
                    grant, ("device_code", String(repeating: "x", count: 5_000)), ("client_id", "gatehouse-cli"),
                ])
                #expect(answer == (400, "invalid_grant"))
                answer = try await token(
                    [grant, ("device_code", deviceCode), ("client_id", "gatehouse-cli")], headers: JSON.headers)
                #expect(answer == (400, "invalid_request"))
                // A public client's HTTP Basic with an empty secret names the client too.
                answer = try await token(
                    [grant, ("device_code", deviceCode)],
                    headers: [
                        .contentType: "application/x-www-form-urlencoded",
                        .authorization: "Basic " + Data("gatehouse-media:".utf8).base64EncodedString(),
                    ])
                #expect(answer == (400, "invalid_grant"))
                // An unknown client that authenticated with HTTP Basic: 401 with a challenge (RFC 6749 §5.2).
                let basic = try await client.execute(
                    uri: "/oauth/token", method: .post,
                    headers: [
                        .contentType: "application/x-www-form-urlencoded",
                        .authorization: "Basic " + Data("unknown-app:".utf8).base64EncodedString(),
                    ],
                    body: Self.form([grant, ("device_code", deviceCode)]))
                #expect(basic.status == .unauthorized)
                #expect(basic.headers[.wwwAuthenticate] == "Basic realm=\"gatehouse\"")
                #expect(JSON.object(basic)["error"] as? String == "invalid_client")
                // NUL bytes and broken escapes are invalid_request, never a 500.
                let broken = try await client.execute(
                    uri: "/oauth/token", method: .post, headers: Self.formHeaders,
                    body: ByteBuffer(string: "grant_type=%00&client_id=%ZZ"))
                #expect(broken.status == .badRequest)
                #expect(JSON.object(broken)["error"] as? String == "invalid_request")
                let noClient = try await client.execute(
                    uri: "/oauth/device_authorization", method: .post, headers: Self.formHeaders, body: Self.form([]))
                #expect(noClient.status == .badRequest)
                #expect(JSON.object(noClient)["error"] as? String == "invalid_request")
            }
        }
    }

    @Test(
        "a media server claims itself through /link: only with its own credential's digest, and it gets no account credential",
        arguments: Backend.allCases)
    func mediaServerClaimsItself(backend: Backend) async throws {
        try await withHub(backend) { hub in
            let account = try await hub.makeAccount("zoe")
            let browser = try await Self.browser(hub, "zoe")
            let grant = hub.services.deviceGrant
            let secret = "ghs_" + String(repeating: "s", count: 43)
            let digest = Digest.sha256Hex(secret)
            let media = Caller(ipAddress: "198.51.100.20")
            let request = try JSONDecoder().decode(
                ServerService.ClaimRequest.self,
                from: Data(
                    #"{"name": "Basement NAS", "version": "1.4.0", "platform": "Linux", "url": "http://nas.local:32400", "credential_digest": "\#(digest)"}"#
                        .utf8))
            let claim = try await hub.services.servers.requestClaim(request, caller: media)
            // The claim code alone (guessed, or read off someone's screen) is not enough, nor is another client.
            await #expect(throws: OAuthError.self) {
                _ = try await grant.start(
                    clientID: "gatehouse-media", scope: nil, info: Self.tv, caller: media,
                    serverClaim: .init(code: claim.code, credentialDigest: String(repeating: "0", count: 64)))
            }
            await #expect(throws: OAuthError.self) {
                _ = try await grant.start(
                    clientID: "gatehouse-cli", scope: nil, info: Self.tv, caller: media,
                    serverClaim: .init(code: claim.code, credentialDigest: digest))
            }
            let started = try await grant.start(
                clientID: "gatehouse-media", scope: nil, info: Self.tv, caller: media,
                serverClaim: .init(code: claim.code.lowercased(), credentialDigest: digest.uppercased()))
            let pending = try await grant.lookup(
                userCode: started.userCode, account: browser.account, device: browser.device,
                caller: Caller(ipAddress: "192.0.2.10"))
            #expect(pending.isServerClaim)
            #expect(pending.info.name == "Basement NAS" && pending.info.product == "Gatehouse media server")
            try await grant.decide(
                userCode: pending.userCode, ticket: pending.ticket, approve: true, account: browser.account,
                device: browser.device, caller: Caller(ipAddress: "192.0.2.10"))
            let servers = try await hub.services.servers.servers(of: account)
            #expect(servers.map(\.name) == ["Basement NAS"])
            // The server's own credential now works; polling the token endpoint yields no account credential.
            #expect(try await hub.services.servers.authenticate(credential: secret)?.ownerID == account.id)
            #expect(await Self.poll(grant, started.deviceCode, client: "gatehouse-media") == "invalid_grant")
            #expect(try await hub.services.devices.devices(of: account).count == 1)
            // The claim code is spent: the old way cannot claim it again.
            await #expect(throws: ServerService.Error.unknownCode) {
                _ = try await hub.services.servers.claim(
                    code: claim.code, by: account, device: browser.device, caller: Caller(ipAddress: "192.0.2.10"))
            }
        }
    }

    // MARK: The /link page

    /// A browser in the router test: the hub's cookies, sent back by hand.
    final class Cookies: @unchecked Sendable {
        var values: [String: String] = [:]

        func take(_ response: TestResponse) {
            for field in response.headers[values: .setCookie] {
                let pair = field.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
                if pair.count == 2 { values[String(pair[0])] = String(pair[1]) }
            }
        }

        var header: HTTPFields {
            [
                .cookie: values.map { "\($0.key)=\($0.value)" }.joined(separator: "; "), .origin: "http://hub.test",
                .contentType: "application/x-www-form-urlencoded",
            ]
        }
    }

    static func field(_ name: String, in response: TestResponse) -> String? {
        let html = String(buffer: response.body)
        guard let range = html.range(of: "name=\"\(name)\" value=\"") else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    @Test(
        "/link: CSRF, an old session confirms first and comes back with the code, then approves",
        arguments: Backend.allCases)
    func linkPage(backend: Backend) async throws {
        try await withHub(backend) { hub in
            try await hub.makeAccount("yara")
            let grant = hub.services.deviceGrant
            let started = try await grant.start(
                clientID: "gatehouse-cli", scope: nil, info: Self.tv, caller: Caller(ipAddress: "198.51.100.7"))
            let clock = hub.clock
            try await hub.withRouter { client in
                let cookies = Cookies()
                // Arriving from the QR code signed out: sign in first, then back to /link with the code.
                let arrive = try await client.execute(uri: "/link?code=" + started.userCode.lowercased(), method: .get)
                #expect(arrive.status == .seeOther)
                let signInPath = try #require(arrive.headers[.location])
                #expect(signInPath.hasPrefix("/sign-in?next="))
                let signInPage = try await client.execute(uri: signInPath, method: .get)
                cookies.take(signInPage)
                let next = try #require(Self.field("next", in: signInPage))
                #expect(next == "/link?code=" + started.userCode)
                let signedIn = try await client.execute(
                    uri: "/sign-in", method: .post, headers: cookies.header,
                    body: Self.form([
                        ("csrf", Self.field("csrf", in: signInPage) ?? ""), ("identifier", "yara"),
                        ("password", TestHub.password), ("next", next),
                    ]))
                #expect(signedIn.status == .seeOther)
                #expect(signedIn.headers[.location] == "/link?code=" + started.userCode)
                cookies.take(signedIn)
                let linkPage = try await client.execute(
                    uri: "/link?code=" + started.userCode, method: .get, headers: cookies.header)
                #expect(Self.field("code", in: linkPage) == started.userCode)
                #expect(String(buffer: linkPage.body).contains("Only enter a code shown on your own screen"))
                let csrf = try #require(Self.field("csrf", in: linkPage))

                // No CSRF token, or a forged one: refused before anything is looked up.
                let forged = try await client.execute(
                    uri: "/link", method: .post, headers: cookies.header, body: Self.form([("code", started.userCode)]))
                #expect(forged.status == .forbidden)
                var otherOrigin = cookies.header
                otherOrigin[.origin] = "http://evil.test"
                let crossSite = try await client.execute(
                    uri: "/link", method: .post, headers: otherOrigin,
                    body: Self.form([("csrf", csrf), ("code", started.userCode)]))
                #expect(crossSite.status == .forbidden)

                // Eleven minutes later the session is old: confirm first (no code spent), then back here.
                clock.advance(660)
                let late = try await grant.start(
                    clientID: "gatehouse-cli", scope: nil, info: Self.tv, caller: Caller(ipAddress: "198.51.100.7"))
                let old = try await client.execute(
                    uri: "/link", method: .post, headers: cookies.header,
                    body: Self.form([("csrf", csrf), ("code", late.userCode)]))
                #expect(old.status == .seeOther)
                let confirmPath = try #require(old.headers[.location])
                #expect(confirmPath.hasPrefix("/account/confirm?next="))
                let confirmPage = try await client.execute(uri: confirmPath, method: .get, headers: cookies.header)
                #expect(Self.field("next", in: confirmPage) == "/link?code=" + late.userCode)
                let confirmed = try await client.execute(
                    uri: "/account/confirm", method: .post, headers: cookies.header,
                    body: Self.form([
                        ("csrf", csrf), ("password", TestHub.password), ("next", "/link?code=" + late.userCode),
                    ]))
                #expect(confirmed.headers[.location] == "/link?code=" + late.userCode)

                let details = try await client.execute(
                    uri: "/link", method: .post, headers: cookies.header,
                    body: Self.form([("csrf", csrf), ("code", late.userCode)]))
                #expect(details.status == .ok)
                let html = String(buffer: details.body)
                #expect(html.contains("Couch Player") && html.contains("webOS") && html.contains("198.51.100.7"))
                #expect(html.contains("link-registered"))
                let ticket = try #require(Self.field("ticket", in: details))
                let approved = try await client.execute(
                    uri: "/link/decide", method: .post, headers: cookies.header,
                    body: Self.form([
                        ("csrf", csrf), ("code", late.userCode), ("ticket", ticket), ("decision", "approve"),
                    ]))
                #expect(approved.status == .ok)
                #expect(String(buffer: approved.body).contains("Device approved"))
                // A wrong code is a 404 page, not a 500.
                let wrong = try await client.execute(
                    uri: "/link", method: .post, headers: cookies.header,
                    body: Self.form([("csrf", csrf), ("code", "nonsense\u{1F600}")]))
                #expect(wrong.status == .notFound)
            }
            #expect(await Self.poll(grant, started.deviceCode) == "expired_token")
        }
    }
}
