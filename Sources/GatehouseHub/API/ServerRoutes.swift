import Foundation
import GatehouseCore
import GatehouseWire
import Hummingbird
import NIOCore
import ServiceLifecycle

/// The media-server registry: claims, owners' management, sharing, access tokens, and the servers' own endpoints
/// (authenticated with their `ghs_` credential), including the revocation stream.
enum ServerRoutes {
    struct ServerView: Encodable {
        var id: String
        var name: String
        var version: String
        var platform: String
        var url: String
        var ownerId: String
        var lastSeenAt: Date
        var createdAt: Date
        var status: String?
        var latestVersion: String?
        var advisories: [String]?

        init(_ server: MediaServer, status: ReleaseService.Status? = nil) {
            self.status = status?.state.rawValue
            latestVersion = status?.latest
            advisories = status.map {
                $0.advisories.map { "\($0.id) (\($0.severity)): \($0.summary) Fixed in \($0.fixed)." }
            }
            id = server.id
            name = server.name
            version = server.version
            platform = server.platform
            url = server.url
            ownerId = server.ownerID
            lastSeenAt = server.lastSeenAt
            createdAt = server.createdAt
        }
    }

    struct Claim: Decodable { var code: String }
    struct Listing: Encodable {
        var owned: [ServerView]
        /// Servers whose shares the account accepted.
        var shared: [ServerView]
        /// Shares offered to the account, waiting for its answer (accept or decline).
        var pending: [PendingView]
        /// The shares of the account's own servers, pending and accepted.
        var outgoing: [OutgoingView]
    }
    struct PendingView: Encodable {
        var serverId: String
        var name: String
        var ownerUsername: String
        var sections: [String]
        var sharedAt: Date
    }
    struct OutgoingView: Encodable {
        var serverId: String
        var serverName: String
        var accountId: String
        var username: String
        var section: String
        var state: String
        var sharedAt: Date
        var acceptedAt: Date?

        init(_ outgoing: OutgoingShare) {
            serverId = outgoing.share.serverID
            serverName = outgoing.serverName
            accountId = outgoing.share.accountID
            username = outgoing.username
            section = outgoing.share.section
            state = outgoing.share.isAccepted ? "accepted" : "pending"
            sharedAt = outgoing.share.createdAt
            acceptedAt = outgoing.share.acceptedAt
        }
    }
    struct TokenView: Encodable {
        var token: String
        var expiresAt: Int64
    }
    struct ShareBody: Decodable {
        var account: String
        var sections: [String]
    }
    struct ShareView: Encodable {
        var section: String
        var accountId: String
        /// `pending` until the recipient accepts, then `accepted`.
        var state: String
        var sharedAt: Date
        var acceptedAt: Date?
    }

    static func register(_ table: inout APIRouteTable, services: HubServices) {
        let servers = services.servers
        table.addOpen(.post, "/servers/claims") { request, context in
            let body = try await JSONBody.decode(
                ServerService.ClaimRequest.self, from: request, context: context, decoder: WireJSON.decoder)
            let (code, expires) = try await servers.requestClaim(body, caller: services.caller(request, context))
            return try JSONBody.response(ServerClaimCode(code: code, expiresAt: expires.epochSeconds), status: .created)
        }
        table.addSignedIn(.post, "/servers/claim") { request, context in
            let identity = context.identity
            let body = try await request.decode(as: Claim.self, context: context)
            let server = try await servers.claim(
                code: body.code, by: identity.account, device: identity.device,
                caller: services.caller(request, context))
            return try JSONBody.response(ServerView(server), status: .created)
        }
        table.addSignedIn(.get, "/servers") { _, context in
            let account = context.identity.account
            var owned: [ServerView] = []
            for server in try await servers.servers(of: account) {
                owned.append(ServerView(server, status: try await services.releases.status(of: server)))
            }
            let pending = try await servers.pendingShares(for: account).map {
                PendingView(
                    serverId: $0.server.id, name: $0.server.name, ownerUsername: $0.ownerUsername,
                    sections: $0.sections, sharedAt: $0.createdAt)
            }
            return try JSONBody.response(
                Listing(
                    owned: owned, shared: try await servers.sharedServers(with: account).map { ServerView($0) },
                    pending: pending, outgoing: try await servers.outgoingShares(of: account).map(OutgoingView.init)))
        }
        table.addSignedIn(.delete, "/servers/{id}") { request, context in
            let identity = context.identity
            try await servers.remove(
                serverID: try context.parameters.require("id"), by: identity.account, device: identity.device,
                caller: services.caller(request, context))
            return JSONBody.noContent()
        }
        table.addSignedIn(.post, "/servers/{id}/token") { _, context in
            let identity = context.identity
            let token = try await servers.accessToken(
                serverID: try context.parameters.require("id"), account: identity.account, device: identity.device)
            return try JSONBody.response(TokenView(token: token.token, expiresAt: token.expiresAt.epochSeconds))
        }
        table.addSignedIn(.get, "/servers/{id}/shares") { _, context in
            let identity = context.identity
            let shares = try await servers.shares(
                serverID: try context.parameters.require("id"), owner: identity.account)
            return try JSONBody.response(
                shares.map {
                    ShareView(
                        section: $0.section, accountId: $0.accountID, state: $0.isAccepted ? "accepted" : "pending",
                        sharedAt: $0.createdAt, acceptedAt: $0.acceptedAt)
                })
        }
        table.addSignedIn(.post, "/servers/{id}/shares") { request, context in
            let identity = context.identity
            let body = try await request.decode(as: ShareBody.self, context: context)
            try await servers.share(
                serverID: try context.parameters.require("id"), sections: body.sections, with: body.account,
                by: identity.account, device: identity.device, caller: services.caller(request, context))
            return JSONBody.noContent()
        }
        table.addSignedIn(.post, "/servers/{id}/accept") { request, context in
            let identity = context.identity
            try await servers.acceptShare(
                serverID: try context.parameters.require("id"), by: identity.account,
                caller: services.caller(request, context))
            return JSONBody.noContent()
        }
        table.addSignedIn(.post, "/servers/{id}/decline") { request, context in
            let identity = context.identity
            try await servers.declineShare(
                serverID: try context.parameters.require("id"), by: identity.account,
                caller: services.caller(request, context))
            return JSONBody.noContent()
        }
        table.addSignedIn(.delete, "/servers/{id}/shares/{account}") { request, context in
            let identity = context.identity
            let section = request.uri.queryParameters["section"].map(String.init)
            try await servers.unshare(
                serverID: try context.parameters.require("id"), section: section,
                from: try context.parameters.require("account"), by: identity.account, device: identity.device,
                caller: services.caller(request, context))
            return JSONBody.noContent()
        }
        table.addOpen(.get, "/keys/media") { _, _ in
            let keys = MediaTokenSigner(keyring: services.environment.keyring).publishedKeys()
            return try JSONBody.response(MediaKeySet(keys: keys))
        }
        table.addServerRoute(.get, "/servers/me") { _, context in
            let server = try context.requireServer().server
            return try JSONBody.response(ServerInfo(serverID: server.id, ownerID: server.ownerID, name: server.name))
        }
        table.addServerRoute(.post, "/servers/me/heartbeat") { request, context in
            let server = try context.requireServer().server
            let body = try await JSONBody.decode(
                ServerHeartbeat.self, from: request, context: context, decoder: WireJSON.decoder)
            try await servers.heartbeat(server: server, version: body.version, platform: body.platform)
            // A new version may have made the server vulnerable (or safe): settle alerts now, not at the next poll.
            try await services.releases.sendDueAlerts()
            return JSONBody.noContent()
        }
        table.addServerRoute(.post, "/servers/me/update-report") { request, context in
            let server = try context.requireServer().server
            let body = try await JSONBody.decode(
                ServerUpdateReport.self, from: request, context: context, decoder: WireJSON.decoder)
            try await services.releases.recordUpdateReport(
                server: server, version: body.version, outcome: body.outcome, reason: body.reason ?? "")
            return JSONBody.noContent()
        }
        table.addServerRoute(.get, "/servers/me/revocations") { _, context in
            let server = try context.requireServer()
            return revocationStream(server: server.server, credential: server.credential, services: services)
        }
    }

    private enum StreamEvent: Sendable {
        case revocation(Revocation)
        case tick
    }

    /// Server-sent events: `hello` on connect, then every revocation that concerns this server's owner or the
    /// accounts it shares with (no other account's ids leave the hub), and a ping every 15 s. The stream ends when
    /// the server is removed, and within 5 s of the hub shutting down.
    static func revocationStream(server: MediaServer, credential: String, services: HubServices) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-store"
        let body = ResponseBody { writer in
            let (events, continuation) = AsyncStream<StreamEvent>.makeStream(bufferingPolicy: .bufferingNewest(10_000))
            let revocations = services.environment.revocations.subscribe()
            let feeder = Task {
                for await revocation in revocations { continuation.yield(.revocation(revocation)) }
                continuation.finish()
            }
            let ticker = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(5))
                    continuation.yield(.tick)
                }
            }
            let metrics = services.environment.metrics
            metrics.serverConnected()
            defer {
                metrics.serverDisconnected()
                feeder.cancel()
                ticker.cancel()
            }
            var audience = try await services.servers.audience(of: server)
            let hello = try WireJSON.encoder.encode(RevocationHello(at: Int64(Date().timeIntervalSince1970 * 1000)))
            try await writer.write(
                ByteBuffer(string: "event: hello\ndata: \(String(decoding: hello, as: UTF8.self))\n\n"))
            var quiet = 0
            stream: for await event in events {
                if Task.isCancelled || Task.isShuttingDownGracefully { break stream }
                switch event {
                case .revocation(let revocation):
                    // A server-scoped revocation (a share taken back) goes to the server it names, and only there:
                    // by then the account has already left this server's audience.
                    if let scope = revocation.serverID {
                        guard scope == server.id else { continue }
                    } else {
                        guard audience.contains(revocation.accountID) else { continue }
                    }
                    let data = try WireJSON.encoder.encode(RevocationEvent(revocation))
                    try await writer.write(
                        ByteBuffer(string: "event: revocation\ndata: \(String(decoding: data, as: UTF8.self))\n\n"))
                case .tick:
                    guard try await services.servers.authenticate(credential: credential) != nil else { break stream }
                    audience = try await services.servers.audience(of: server)
                    quiet += 5
                    if quiet >= 15 {
                        quiet = 0
                        try await writer.write(ByteBuffer(string: ": ping\n\n"))
                    }
                }
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }
}

extension RevocationEvent {
    /// The stream's event for a revocation from the log.
    init(_ revocation: Revocation) {
        self.init(
            accountID: revocation.accountID, deviceIDs: revocation.deviceIDs, allDevices: revocation.allDevices,
            at: Int64((revocation.at.timeIntervalSince1970 * 1000).rounded(.up)), serverID: revocation.serverID)
    }
}
