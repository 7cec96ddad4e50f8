import Foundation
import GatehouseCore
import GatehouseWire
import SQLKit

extension SQLSession {
    static let profileColumns = "id, account_id, name, pin_digest, restrictions, created_at"

    func decodeProfile(_ row: any SQLRow) throws -> (profile: Profile, pinDigest: String?) {
        let digest = try row.optionalString("pin_digest")
        let restrictions =
            (try? JSONDecoder().decode(ProfileRestrictions.self, from: Data(try row.string("restrictions").utf8)))
            // A row that does not parse restricts everything rather than nothing.
            ?? ProfileRestrictions(sections: [], maxRating: nil)
        return (
            Profile(
                id: try row.string("id"), accountID: try row.string("account_id"), name: try row.string("name"),
                hasPIN: digest != nil, restrictions: restrictions, createdAt: try row.date("created_at")),
            digest
        )
    }

    static func encodeRestrictions(_ restrictions: ProfileRestrictions) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(restrictions), as: UTF8.self)
    }

    func insertProfile(_ profile: Profile, pinDigest: String?) async throws {
        let restrictions = try Self.encodeRestrictions(profile.restrictions)
        try await exec(
            """
            INSERT INTO profiles (id, account_id, name, pin_digest, restrictions, created_at)
            VALUES (\(bind: profile.id), \(bind: profile.accountID), \(bind: profile.name), \(bind: pinDigest),
                \(bind: restrictions), \(bind: profile.createdAt.epochSeconds))
            """)
    }

    func profiles(accountID: String) async throws -> [Profile] {
        try await all(
            """
            SELECT \(unsafeRaw: Self.profileColumns) FROM profiles WHERE account_id = \(bind: accountID)
            ORDER BY created_at, id
            """
        ).map { try decodeProfile($0).profile }
    }

    func profile(id: String, accountID: String) async throws -> (profile: Profile, pinDigest: String?)? {
        try await first(
            """
            SELECT \(unsafeRaw: Self.profileColumns) FROM profiles
            WHERE id = \(bind: id) AND account_id = \(bind: accountID)
            """
        ).map(decodeProfile)
    }

    func countProfiles(accountID: String) async throws -> Int {
        Int(
            try await first("SELECT COUNT(*) AS n FROM profiles WHERE account_id = \(bind: accountID)")?
                .optionalInt("n") ?? 0)
    }

    func updateProfile(_ profile: Profile) async throws -> Bool {
        let restrictions = try Self.encodeRestrictions(profile.restrictions)
        return try await changes(
            """
            UPDATE profiles SET name = \(bind: profile.name),
                restrictions = \(bind: restrictions)
            WHERE id = \(bind: profile.id) AND account_id = \(bind: profile.accountID)
            """) > 0
    }

    func setProfilePIN(id: String, accountID: String, pinDigest: String?) async throws -> Bool {
        try await changes(
            """
            UPDATE profiles SET pin_digest = \(bind: pinDigest)
            WHERE id = \(bind: id) AND account_id = \(bind: accountID)
            """) > 0
    }

    func deleteProfile(id: String, accountID: String, at date: Date) async throws -> Bool {
        try await changes("DELETE FROM profiles WHERE id = \(bind: id) AND account_id = \(bind: accountID)") > 0
    }

    func revokeProfileSessions(profileID: String, accountID: String, at date: Date) async throws -> [String] {
        let ids = try await all(
            """
            SELECT id FROM devices
            WHERE account_id = \(bind: accountID) AND profile_id = \(bind: profileID) AND revoked_at IS NULL
            """
        ).map { try $0.string("id") }
        guard !ids.isEmpty else { return [] }
        try await exec(
            """
            UPDATE devices SET revoked_at = \(bind: date.epochSeconds)
            WHERE account_id = \(bind: accountID) AND profile_id = \(bind: profileID) AND revoked_at IS NULL
            """)
        try await logRevocation(accountID: accountID, deviceIDs: ids, allDevices: false, at: date)
        return ids
    }
}
