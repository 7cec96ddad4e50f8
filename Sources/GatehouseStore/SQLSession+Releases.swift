import Foundation
import GatehouseCore
import GatehouseReleases
import SQLKit

extension SQLSession {
    func insertRelease(_ release: StoredRelease) async throws {
        let signed = String(decoding: try JSONEncoder().encode(release.signed), as: UTF8.self)
        try await exec(
            """
            INSERT INTO releases (version, channel, manifest, signature, published_at)
            VALUES (\(bind: release.version), \(bind: release.channel), \(bind: signed), \(bind: release.signed.signature),
                \(bind: release.publishedAt.epochSeconds))
            """)
    }

    func releases(channel: String?) async throws -> [StoredRelease] {
        let rows =
            if let channel {
                try await all("SELECT * FROM releases WHERE channel = \(bind: channel) ORDER BY published_at, version")
            } else {
                try await all("SELECT * FROM releases ORDER BY published_at, version")
            }
        return try rows.map { row in
            StoredRelease(
                version: try row.string("version"), channel: try row.string("channel"),
                signed: try JSONDecoder().decode(SignedManifest.self, from: Data(try row.string("manifest").utf8)),
                publishedAt: try row.date("published_at"))
        }
    }

    func appendKeyList(sequence: Int, signed: SignedKeyList) async throws {
        let document = String(decoding: try JSONEncoder().encode(signed), as: UTF8.self)
        try await exec(
            "INSERT INTO release_key_lists (sequence, document) VALUES (\(bind: Int64(sequence)), \(bind: document))")
    }

    func keyLists() async throws -> [SignedKeyList] {
        try await all("SELECT document FROM release_key_lists ORDER BY sequence").map {
            try JSONDecoder().decode(SignedKeyList.self, from: Data(try $0.string("document").utf8))
        }
    }

    func insertAdvisory(_ advisory: Advisory) async throws {
        let signed = try advisory.signed.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) } ?? ""
        try await exec(
            """
            INSERT INTO advisories (id, affected, fixed, severity, summary, created_at, signed)
            VALUES (\(bind: advisory.id), \(bind: advisory.affected), \(bind: advisory.fixed), \(bind: advisory.severity),
                \(bind: advisory.summary), \(bind: advisory.createdAt.epochSeconds), \(bind: signed))
            """)
    }

    func storeReleaseList(sequence: Int64, signed: SignedReleaseList) async throws {
        let document = String(decoding: try JSONEncoder().encode(signed), as: UTF8.self)
        try await exec("INSERT INTO release_lists (sequence, document) VALUES (\(bind: sequence), \(bind: document))")
    }

    func recentReleaseLists(limit: Int) async throws -> [(sequence: Int64, signed: SignedReleaseList)] {
        try await all(
            "SELECT sequence, document FROM release_lists ORDER BY sequence DESC LIMIT \(literal: Int64(limit))"
        )
        .compactMap { row in
            guard
                let signed = try? JSONDecoder().decode(
                    SignedReleaseList.self, from: Data(try row.string("document").utf8))
            else { return nil }
            return (try row.int("sequence"), signed)
        }
    }

    func advisories() async throws -> [Advisory] {
        try await all("SELECT * FROM advisories ORDER BY created_at, id").map { row in
            Advisory(
                id: try row.string("id"), affected: try row.string("affected"), fixed: try row.string("fixed"),
                severity: try row.string("severity"), summary: try row.string("summary"),
                createdAt: try row.date("created_at"),
                signed: try? JSONDecoder().decode(SignedAdvisory.self, from: Data(try row.string("signed").utf8)))
        }
    }

    func allServers() async throws -> [MediaServer] {
        try await all("SELECT \(unsafeRaw: Self.serverColumns) FROM servers WHERE removed_at IS NULL ORDER BY id")
            .map(decodeServer)
    }

    func alertState(serverID: String) async throws -> ServerAlertState? {
        guard
            let row = try await first(
                "SELECT alerted_advisory, next_alert_at, alerts_sent FROM servers WHERE id = \(bind: serverID)"),
            try !row.string("alerted_advisory").isEmpty
        else { return nil }
        return ServerAlertState(
            serverID: serverID, advisoryID: try row.string("alerted_advisory"),
            nextAlertAt: try row.date("next_alert_at"), alertsSent: Int(try row.int("alerts_sent")))
    }

    func advanceAlert(serverID: String, expected: ServerAlertState?, next: ServerAlertState?) async throws -> Bool {
        let expectedID = expected?.advisoryID ?? ""
        let expectedSent = Int64(expected?.alertsSent ?? 0)
        return try await changes(
            """
            UPDATE servers SET alerted_advisory = \(bind: next?.advisoryID ?? ""),
                next_alert_at = \(bind: next?.nextAlertAt.epochSeconds ?? 0), alerts_sent = \(bind: Int64(next?.alertsSent ?? 0))
            WHERE id = \(bind: serverID) AND alerted_advisory = \(bind: expectedID) AND alerts_sent = \(bind: expectedSent)
            """) == 1
    }
}
