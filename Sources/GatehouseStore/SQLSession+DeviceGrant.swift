import Foundation
import GatehouseCore
import SQLKit

extension SQLSession {
    // MARK: Registered clients

    func decodeClient(_ row: any SQLRow) throws -> OAuthClient {
        OAuthClient(
            id: try row.string("client_id"), name: try row.string("name"), logo: try row.optionalString("logo"),
            createdAt: try row.date("created_at"))
    }

    func insertClient(_ client: OAuthClient) async throws -> Bool {
        do {
            try await exec(
                """
                INSERT INTO oauth_clients (client_id, name, logo, created_at)
                VALUES (\(bind: client.id), \(bind: client.name), \(bind: client.logo), \(bind: client.createdAt.epochSeconds))
                """)
            return true
        } catch let error where Self.isUniqueViolation(error) {
            return false
        }
    }

    func client(id: String) async throws -> OAuthClient? {
        try await first("SELECT * FROM oauth_clients WHERE client_id = \(bind: id)").map(decodeClient)
    }

    func clients() async throws -> [OAuthClient] {
        try await all("SELECT * FROM oauth_clients ORDER BY client_id").map(decodeClient)
    }

    func removeClient(id: String) async throws -> Bool {
        try await changes("DELETE FROM oauth_clients WHERE client_id = \(bind: id)") > 0
    }

    // MARK: Device authorizations

    func decodeDeviceAuthorization(_ row: any SQLRow) throws -> DeviceAuthorization {
        DeviceAuthorization(
            deviceCodeDigest: try row.string("device_code_digest"), userCodeDigest: try row.string("user_code_digest"),
            clientID: try row.string("client_id"), scope: try row.string("scope"),
            info: Device.Info(
                clientIdentifier: "", name: try row.string("device_name"), product: try row.string("product"),
                version: try row.string("version"), platform: try row.string("platform")),
            ipAddress: try row.string("ip_address"), createdAt: try row.date("created_at"),
            expiresAt: try row.date("expires_at"), interval: Int(try row.int("poll_interval")),
            lastPolledMilliseconds: try row.optionalInt("last_polled_ms"),
            status: DeviceAuthorization.Status(rawValue: try row.string("status")) ?? .denied,
            accountID: try row.optionalString("account_id"), decidedAt: try row.optionalDate("decided_at"),
            claimCodeDigest: try row.optionalString("claim_code_digest"))
    }

    func insertDeviceAuthorization(_ authorization: DeviceAuthorization) async throws -> Bool {
        let a = authorization
        do {
            try await exec(
                """
                INSERT INTO device_authorizations (device_code_digest, user_code_digest, client_id, scope, device_name,
                    product, version, platform, ip_address, created_at, expires_at, poll_interval, last_polled_ms,
                    status, account_id, decided_at, claim_code_digest)
                VALUES (\(bind: a.deviceCodeDigest), \(bind: a.userCodeDigest), \(bind: a.clientID), \(bind: a.scope),
                    \(bind: a.info.name), \(bind: a.info.product), \(bind: a.info.version), \(bind: a.info.platform),
                    \(bind: a.ipAddress), \(bind: a.createdAt.epochSeconds), \(bind: a.expiresAt.epochSeconds),
                    \(bind: Int64(a.interval)), \(bind: a.lastPolledMilliseconds), \(bind: a.status.rawValue),
                    \(bind: a.accountID), \(bind: a.decidedAt?.epochSeconds), \(bind: a.claimCodeDigest))
                """)
            return true
        } catch let error where Self.isUniqueViolation(error) {
            return false
        }
    }

    func deviceAuthorization(deviceCodeDigest: String) async throws -> DeviceAuthorization? {
        try await first(
            "SELECT * FROM device_authorizations WHERE device_code_digest = \(bind: deviceCodeDigest)"
        ).map(decodeDeviceAuthorization)
    }

    func pendingDeviceAuthorization(userCodeDigest: String, now: Date) async throws -> DeviceAuthorization? {
        try await first(
            """
            SELECT * FROM device_authorizations WHERE user_code_digest = \(bind: userCodeDigest)
                AND status = 'pending' AND expires_at > \(bind: now.epochSeconds)
            """
        ).map(decodeDeviceAuthorization)
    }

    func decideDeviceAuthorization(userCodeDigest: String, approve: Bool, accountID: String, now: Date) async throws
        -> Bool
    {
        let status = approve ? DeviceAuthorization.Status.approved : .denied
        return try await changes(
            """
            UPDATE device_authorizations SET status = \(bind: status.rawValue), account_id = \(bind: accountID),
                decided_at = \(bind: now.epochSeconds)
            WHERE user_code_digest = \(bind: userCodeDigest) AND status = 'pending'
                AND expires_at > \(bind: now.epochSeconds)
            """) == 1
    }

    func recordDevicePoll(deviceCodeDigest: String, nowMilliseconds: Int64) async throws -> Bool {
        try await changes(
            """
            UPDATE device_authorizations SET last_polled_ms = \(bind: nowMilliseconds)
            WHERE device_code_digest = \(bind: deviceCodeDigest) AND (last_polled_ms IS NULL
                OR last_polled_ms <= \(bind: nowMilliseconds) - poll_interval * 1000)
            """) == 1
    }

    func slowDownDevicePolling(deviceCodeDigest: String, by seconds: Int, nowMilliseconds: Int64) async throws {
        try await exec(
            """
            UPDATE device_authorizations SET poll_interval = poll_interval + \(bind: Int64(seconds)),
                last_polled_ms = \(bind: nowMilliseconds)
            WHERE device_code_digest = \(bind: deviceCodeDigest)
            """)
    }

    func markDeviceAuthorizationIssued(deviceCodeDigest: String) async throws -> Bool {
        try await changes(
            """
            UPDATE device_authorizations SET status = 'issued'
            WHERE device_code_digest = \(bind: deviceCodeDigest) AND status = 'approved'
            """) == 1
    }

    func liveServerClaim(codeDigest: String, now: Date) async throws -> ServerClaim? {
        try await first(
            "SELECT * FROM server_claims WHERE code_digest = \(bind: codeDigest) AND expires_at > \(bind: now.epochSeconds)"
        ).map { row in
            ServerClaim(
                codeDigest: try row.string("code_digest"), name: try row.string("name"),
                version: try row.string("version"), platform: try row.string("platform"), url: try row.string("url"),
                credentialDigest: try row.string("credential_digest"), expiresAt: try row.date("expires_at"))
        }
    }

    func purgeDeviceAuthorizations(expiredBefore date: Date) async throws -> Int {
        try await changes("DELETE FROM device_authorizations WHERE expires_at <= \(bind: date.epochSeconds)")
    }
}
