import Foundation
import GatehouseCore
import SQLKit

extension SQLSession {
    static let deviceColumns = """
        id, account_id, kind, client_identifier, name, product, version, platform, ip_address, created_at,
        last_seen_at, reauthenticated_at, revoked_at, proof, dpop_jkt, profile_id
        """

    func decodeDevice(_ row: any SQLRow) throws -> Device {
        Device(
            id: try row.string("id"), accountID: try row.string("account_id"),
            kind: Device.Kind(rawValue: try row.string("kind")) ?? .api,
            info: Device.Info(
                clientIdentifier: try row.string("client_identifier"), name: try row.string("name"),
                product: try row.string("product"), version: try row.string("version"),
                platform: try row.string("platform")),
            ipAddress: try row.string("ip_address"), createdAt: try row.date("created_at"),
            lastSeenAt: try row.date("last_seen_at"), revokedAt: try row.optionalDate("revoked_at"),
            reauthenticatedAt: try row.date("reauthenticated_at"), proof: try row.string("proof"),
            dpopThumbprint: try row.optionalString("dpop_jkt"), profileID: try row.optionalString("profile_id"))
    }

    func insertDevice(_ device: Device, tokenDigest: String) async throws {
        try await exec(
            """
            INSERT INTO devices (id, account_id, kind, client_identifier, name, product, version, platform, ip_address,
                created_at, last_seen_at, reauthenticated_at, revoked_at, token_digest, proof, dpop_jkt, profile_id)
            VALUES (\(bind: device.id), \(bind: device.accountID), \(bind: device.kind.rawValue),
                \(bind: device.info.clientIdentifier), \(bind: device.info.name), \(bind: device.info.product),
                \(bind: device.info.version), \(bind: device.info.platform), \(bind: device.ipAddress),
                \(bind: device.createdAt.epochSeconds), \(bind: device.lastSeenAt.epochSeconds),
                \(bind: device.reauthenticatedAt.epochSeconds), NULL, \(bind: tokenDigest), \(bind: device.proof),
                \(bind: device.dpopThumbprint), \(bind: device.profileID))
            """)
    }

    func device(tokenDigest: String) async throws -> Device? {
        try await first(
            "SELECT \(unsafeRaw: Self.deviceColumns) FROM devices WHERE token_digest = \(bind: tokenDigest) AND revoked_at IS NULL"
        ).map(decodeDevice)
    }

    func device(id: String) async throws -> Device? {
        try await first("SELECT \(unsafeRaw: Self.deviceColumns) FROM devices WHERE id = \(bind: id)").map(decodeDevice)
    }

    func devices(accountID: String) async throws -> [Device] {
        try await all(
            """
            SELECT \(unsafeRaw: Self.deviceColumns) FROM devices WHERE account_id = \(bind: accountID) AND revoked_at IS NULL
            ORDER BY last_seen_at DESC, created_at DESC
            """
        ).map(decodeDevice)
    }

    func revokeDevice(id: String, accountID: String, at date: Date) async throws -> Bool {
        let changed =
            try await changes(
                "UPDATE devices SET revoked_at = \(bind: date.epochSeconds) WHERE id = \(bind: id) AND account_id = \(bind: accountID) AND revoked_at IS NULL"
            ) > 0
        if changed { try await logRevocation(accountID: accountID, deviceIDs: [id], allDevices: false, at: date) }
        return changed
    }

    func logRevocation(
        accountID: String, deviceIDs: [String], allDevices: Bool, at date: Date, serverID: String? = nil
    ) async throws {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        try await exec(
            """
            INSERT INTO revocations (account_id, device_ids, all_devices, at_ms, server_id)
            VALUES (\(bind: accountID), \(bind: deviceIDs.joined(separator: ",")), \(bind: allDevices.sqlInt),
                \(bind: milliseconds), \(bind: serverID))
            """)
    }

    func revocations(after: Int64, limit: Int) async throws -> [(sequence: Int64, revocation: Revocation)] {
        try await all(
            "SELECT * FROM revocations WHERE seq > \(bind: after) ORDER BY seq LIMIT \(literal: limit)"
        ).map { row in
            let ids = try row.string("device_ids")
            return (
                try row.int("seq"),
                Revocation(
                    accountID: try row.string("account_id"),
                    deviceIDs: ids.isEmpty ? [] : ids.split(separator: ",").map(String.init),
                    allDevices: try row.bool("all_devices"),
                    at: Date(timeIntervalSince1970: Double(try row.int("at_ms")) / 1000),
                    serverID: try row.optionalString("server_id"))
            )
        }
    }

    func revocationLog(writersFrom horizon: Int64, after sequence: Int64, limit: Int) async throws -> RevocationLogPage
    {
        // One statement, so the horizon and the rows come from one snapshot.
        let query: SQLQueryString
        switch dialect {
        case .postgres:
            // Every transaction whose id is below the snapshot's xmin has ended: its rows are visible now or never
            // will be. A row not visible now therefore has a writer at or above the horizon.
            query = """
                SELECT h.horizon, r.seq, r.writer, r.account_id, r.device_ids, r.all_devices, r.at_ms, r.server_id
                FROM (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS horizon) h
                LEFT JOIN (
                    SELECT * FROM revocations WHERE writer >= \(bind: horizon) AND seq > \(bind: sequence)
                    ORDER BY seq LIMIT \(literal: Int64(limit))
                ) r ON TRUE
                ORDER BY r.seq
                """
        case .sqlite:
            // One writer at a time: rows commit in `seq` order, and the next row's `seq` is above every visible one.
            query = """
                SELECT h.horizon, r.seq, r.seq AS writer, r.account_id, r.device_ids, r.all_devices, r.at_ms, r.server_id
                FROM (SELECT COALESCE(MAX(seq), 0) + 1 AS horizon FROM revocations) h
                LEFT JOIN (
                    SELECT * FROM revocations WHERE seq >= \(bind: horizon) AND seq > \(bind: sequence)
                    ORDER BY seq LIMIT \(literal: Int64(limit))
                ) r ON 1
                ORDER BY r.seq
                """
        }
        let rows = try await all(query)
        var page = RevocationLogPage(horizon: try rows.first?.int("horizon") ?? 0, entries: [])
        for row in rows {
            guard let seq = try row.optionalInt("seq") else { continue }
            let ids = try row.string("device_ids")
            page.entries.append(
                RevocationLogEntry(
                    sequence: seq, writer: try row.int("writer"),
                    revocation: Revocation(
                        accountID: try row.string("account_id"),
                        deviceIDs: ids.isEmpty ? [] : ids.split(separator: ",").map(String.init),
                        allDevices: try row.bool("all_devices"),
                        at: Date(timeIntervalSince1970: Double(try row.int("at_ms")) / 1000),
                        serverID: try row.optionalString("server_id"))))
        }
        return page
    }

    func latestFullRevocation(accountID: String, serverID: String?) async throws -> Date? {
        // Account-wide revocations always count; a server-scoped one (a share taken back) only for its server.
        guard
            let milliseconds = try await first(
                """
                SELECT MAX(at_ms) AS at FROM revocations WHERE account_id = \(bind: accountID) AND all_devices = 1
                    AND (server_id IS NULL OR server_id = \(bind: serverID ?? ""))
                """
            )?.optionalInt("at")
        else { return nil }
        return Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }

    func latestRevocationSequence() async throws -> Int64 {
        try await first("SELECT MAX(seq) AS n FROM revocations")?.optionalInt("n") ?? 0
    }

    /// Revokes every live device but `keeping`, and every app password of the account (an app password is never
    /// "the current device"); returns the revoked ids, devices first.
    func revokeEverything(accountIDs: [String], at date: Date) async throws {
        guard !accountIDs.isEmpty else { return }
        let idList = SQLGroupExpression(SQLList(accountIDs.map { SQLBind($0) }))
        let stamp = date.epochSeconds
        try await run { db in
            try await db.update("devices").set("revoked_at", to: SQLBind(stamp))
                .where("account_id", .in, idList).where("revoked_at", .is, SQLLiteral.null).run()
        }
        // App passwords die with the devices (the account-wide revocation below covers their media tokens).
        try await run { db in
            try await db.update("app_passwords").set("revoked_at", to: SQLBind(stamp))
                .where("account_id", .in, idList).where("revoked_at", .is, SQLLiteral.null).run()
        }
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        for chunk in accountIDs.chunked(200) {
            try await run { db in
                var insert = db.insert(into: "revocations").columns("account_id", "device_ids", "all_devices", "at_ms")
                for accountID in chunk {
                    insert = insert.values(SQLBind(accountID), SQLBind(""), SQLBind(Int64(1)), SQLBind(milliseconds))
                }
                try await insert.run()
            }
        }
    }

    func revokeDevices(accountID: String, keeping: String?, at date: Date) async throws -> [String] {
        let keep = keeping ?? ""
        var ids = try await all(
            "SELECT id FROM devices WHERE account_id = \(bind: accountID) AND revoked_at IS NULL AND id <> \(bind: keep)"
        ).map { try $0.string("id") }
        if !ids.isEmpty {
            try await exec(
                "UPDATE devices SET revoked_at = \(bind: date.epochSeconds) WHERE account_id = \(bind: accountID) AND revoked_at IS NULL AND id <> \(bind: keep)"
            )
        }
        ids += try await revokeAllAppPasswords(accountID: accountID, at: date)
        guard !ids.isEmpty else { return [] }
        try await logRevocation(accountID: accountID, deviceIDs: ids, allDevices: keeping == nil, at: date)
        return ids
    }

    func markReauthenticated(deviceID: String, at date: Date, proof: String) async throws {
        try await exec(
            "UPDATE devices SET reauthenticated_at = \(bind: date.epochSeconds), proof = \(bind: proof) WHERE id = \(bind: deviceID)"
        )
    }

    func touchDevice(id: String, at date: Date, ipAddress: String) async throws {
        try await exec(
            "UPDATE devices SET last_seen_at = \(bind: date.epochSeconds), ip_address = \(bind: ipAddress) WHERE id = \(bind: id)"
        )
    }

    func setKnownDigest(deviceID: String, digest: String) async throws {
        try await exec("UPDATE devices SET known_digest = \(bind: digest) WHERE id = \(bind: deviceID)")
    }

    func isKnownDevice(accountID: String, knownDigest: String) async throws -> Bool {
        try await first(
            """
            SELECT 1 AS one FROM devices WHERE account_id = \(bind: accountID) AND known_digest = \(bind: knownDigest)
                AND revoked_at IS NULL LIMIT 1
            """
        ) != nil
    }

    func forgetKnownDevices(accountID: String) async throws {
        try await exec("UPDATE devices SET known_digest = NULL WHERE account_id = \(bind: accountID)")
    }

    func bindDevice(id: String, thumbprint: String) async throws -> Bool {
        try await changes(
            "UPDATE devices SET dpop_jkt = \(bind: thumbprint) WHERE id = \(bind: id) AND dpop_jkt IS NULL AND revoked_at IS NULL"
        ) > 0
    }

    func replaceTokenDigest(deviceID: String, from old: String, to new: String) async throws {
        try await exec(
            "UPDATE devices SET token_digest = \(bind: new) WHERE id = \(bind: deviceID) AND token_digest = \(bind: old)"
        )
    }
}
