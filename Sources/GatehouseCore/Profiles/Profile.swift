import Foundation
import GatehouseWire

/// A managed profile of an account (a child, a shared TV): a name, an optional PIN and restrictions. It has no
/// e-mail and no password. Signing in "as" a profile means holding a profile session: a device credential of the
/// holder's account that names the profile (``Device/profileID``), so revocation, sign-out-all, the revocation
/// feed and the device views cover it like any other device.
public struct Profile: Sendable, Codable, Equatable {
    public var id: String
    public var accountID: String
    public var name: String
    /// Whether switching to the profile asks for a PIN. The PIN itself is stored only as a keyed digest.
    public var hasPIN: Bool
    public var restrictions: ProfileRestrictions
    public var createdAt: Date

    public init(
        id: String, accountID: String, name: String, hasPIN: Bool, restrictions: ProfileRestrictions, createdAt: Date
    ) {
        self.id = id
        self.accountID = accountID
        self.name = name
        self.hasPIN = hasPIN
        self.restrictions = restrictions
        self.createdAt = createdAt
    }
}

/// Reads and writes profiles. PINs appear only as keyed digests.
public protocol ProfileStore: Sendable {
    func insertProfile(_ profile: Profile, pinDigest: String?) async throws
    /// The account's profiles (not deleted), oldest first.
    func profiles(accountID: String) async throws -> [Profile]
    /// One profile of the account with its PIN digest (nil: no PIN); nil when there is no such profile.
    func profile(id: String, accountID: String) async throws -> (profile: Profile, pinDigest: String?)?
    func countProfiles(accountID: String) async throws -> Int
    /// Saves the name and restrictions; false when there is no such profile.
    func updateProfile(_ profile: Profile) async throws -> Bool
    /// Sets (or clears, with nil) the PIN digest; false when there is no such profile.
    func setProfilePIN(id: String, accountID: String, pinDigest: String?) async throws -> Bool
    /// Deletes the profile; false when there was none.
    func deleteProfile(id: String, accountID: String, at: Date) async throws -> Bool
    /// Revokes every live session (device) of the profile and logs the revocation; returns the revoked ids.
    func revokeProfileSessions(profileID: String, accountID: String, at: Date) async throws -> [String]
}

/// Which API routes a profile session reaches: the server list, media tokens, its own profile, and signing
/// itself out. Nothing else, now or for routes added later (the account, devices, activity, shares, profiles and
/// every security setting are the holder's).
public enum ProfilePolicy {
    /// `path` is below the API prefix (`/servers/abc/token`), `method` upper case.
    public static func allows(method: String, path: String) -> Bool {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        switch (method, segments.count) {
        case ("GET", 1): return segments[0] == "servers" || segments[0] == "profile"
        case ("POST", 3): return segments[0] == "servers" && segments[2] == "token"
        case ("DELETE", 1): return segments[0] == "session"
        default: return false
        }
    }
}
