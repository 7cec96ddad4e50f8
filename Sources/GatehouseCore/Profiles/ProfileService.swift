import Foundation
import GatehouseBasics
import GatehouseWire

/// Managed profiles: the holder creates, edits, deletes them and sets their PINs; a signed-in device of the
/// holder switches to one (with its PIN). Every rule lives here, so the API, the pages and the CLI all get it.
///
/// - A switch is made only from the holder's own device credential (full sign-in, with the second factor when
///   the account has one): never from an app password or from another profile's session. It hands the device
///   over: the switching credential is revoked in the same transaction and a profile session replaces it, so
///   getting back to the holder needs the holder's full sign-in again, never a PIN.
/// - PIN attempts spend a per-profile budget reserved atomically before the PIN is looked at (growing delays,
///   never a lockout; the holder's own sign-in uses other counters and is unaffected, and setting a new PIN
///   clears the budget).
/// - A PIN is stored only as a keyed digest (HMAC under the keyring's digest key, bound to the profile id): a
///   copied database without the keyring does not give the 10^6 PINs away to a brute force.
public struct ProfileService: Sendable {
    public enum Error: PublicError, Equatable {
        case notAllowed
        case invalidName
        case invalidPIN
        case invalidRestrictions(String)
        case tooMany
        case notFound
        case wrongPIN
        case throttled(seconds: Int)

        public var status: Int {
            switch self {
            case .notAllowed: 403
            case .invalidName, .invalidPIN, .invalidRestrictions, .tooMany: 422
            case .notFound: 404
            case .wrongPIN: 403
            case .throttled: 429
            }
        }
        public var code: String {
            switch self {
            case .notAllowed: "profile_not_allowed"
            case .invalidName: "invalid_name"
            case .invalidPIN: "invalid_pin"
            case .invalidRestrictions: "invalid_restrictions"
            case .tooMany: "too_many_profiles"
            case .notFound: "profile_not_found"
            case .wrongPIN: "wrong_pin"
            case .throttled: "throttled"
            }
        }
        public var message: String {
            switch self {
            case .notAllowed:
                "A profile session cannot do this. Sign in as the account holder (with your password and second factor)."
            case .invalidName: "Give the profile a name of 1 to 40 characters."
            case .invalidPIN: "A PIN is 4 to 6 digits."
            case .invalidRestrictions(let reason): reason
            case .tooMany: "This account has too many profiles. Delete one first."
            case .notFound: "No such profile."
            case .wrongPIN: "That PIN is not correct."
            case .throttled(let seconds): "Too many PIN attempts. Try again in \(seconds) seconds."
            }
        }
    }

    public static let maximumPerAccount = 20
    /// Per profile: 5 free PIN attempts, then 30 s doubling to an hour; counters fade after a day.
    public static let pinPolicy = ThrottlePolicy(freeAttempts: 5, baseDelay: 30, maximumDelay: 3600, window: 86_400)
    static let maximumSections = 50
    static let maximumLabels = 50

    let env: HubEnvironment

    public init(environment: HubEnvironment) {
        self.env = environment
    }

    /// The throttle key of a profile's PIN budget.
    public static func pinThrottleKey(_ profileID: String) -> String { "profile-pin:" + profileID }

    /// The keyed digest of a profile's PIN: HMAC-SHA-256 under the keyring-derived digest key, over the profile id
    /// and the PIN, so equal PINs of two profiles differ and no digest can be recomputed without the keyring.
    public func pinDigest(profileID: String, pin: String) -> String {
        env.digest("profile-pin\u{0}" + profileID + "\u{0}" + pin)
    }

    // MARK: Validation

    static func cleanName(_ name: String) throws -> String {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        let visible = String(trimmed.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7f })
        guard !visible.isEmpty, visible.unicodeScalars.count <= 40, visible == trimmed else { throw Error.invalidName }
        return visible
    }

    static func checkPIN(_ pin: String) throws {
        guard (4...6).contains(pin.utf8.count), pin.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
            throw Error.invalidPIN
        }
    }

    /// Checks and normalises restrictions: known rating names (canonical spelling), bounded lists of printable
    /// names, no duplicates.
    public static func normalise(_ restrictions: ProfileRestrictions) throws -> ProfileRestrictions {
        func names(_ list: [String], limit: Int, length: Int, what: String) throws -> [String] {
            guard list.count <= limit else { throw Error.invalidRestrictions("At most \(limit) \(what).") }
            var seen: [String] = []
            for raw in list {
                let name = raw.trimmingCharacters(in: .whitespaces)
                guard !name.isEmpty, name.unicodeScalars.count <= length,
                    name.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7f })
                else { throw Error.invalidRestrictions("Each of the \(what) is 1 to \(length) characters.") }
                if !seen.contains(name) { seen.append(name) }
            }
            return seen
        }
        var result = ProfileRestrictions()
        if let sections = restrictions.sections {
            result.sections = try names(sections, limit: maximumSections, length: 100, what: "sections")
        }
        if let rating = restrictions.maxRating, !rating.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let canonical = ContentRating.canonical(rating) else {
                throw Error.invalidRestrictions(
                    "Unknown rating. Use one of: " + ContentRating.scale.map(\.name).joined(separator: ", ") + ".")
            }
            result.maxRating = canonical
        }
        result.allowedLabels = try names(restrictions.allowedLabels, limit: maximumLabels, length: 40, what: "labels")
        result.blockedLabels = try names(restrictions.blockedLabels, limit: maximumLabels, length: 40, what: "labels")
        return result
    }

    // MARK: The holder's actions

    /// The account's profiles.
    public func list(account: Account) async throws -> [Profile] {
        guard CredentialScope.profileID == nil else { throw Error.notAllowed }
        return try await env.store.autocommit.profiles(accountID: account.id)
    }

    /// One profile of the account (404 for any other id, of this account or not).
    public func profile(id: String, account: Account) async throws -> Profile {
        guard id.utf8.count <= 64, let found = try await env.store.autocommit.profile(id: id, accountID: account.id)
        else {
            throw Error.notFound
        }
        return found.profile
    }

    /// Creates a profile. Needs the holder's own credential (not an app password, not a profile session).
    public func create(
        account: Account, name: String, pin: String?, restrictions: ProfileRestrictions, caller: Caller
    ) async throws -> Profile {
        try CredentialScope.requireFullCredential()
        let name = try Self.cleanName(name)
        let pin = pin.flatMap { $0.isEmpty ? nil : $0 }
        if let pin { try Self.checkPIN(pin) }
        let restrictions = try Self.normalise(restrictions)
        let now = env.clock.now()
        let profile = Profile(
            id: "prf_" + SecureRandom.identifier(), accountID: account.id, name: name, hasPIN: pin != nil,
            restrictions: restrictions, createdAt: now)
        let digest = pin.map { pinDigest(profileID: profile.id, pin: $0) }
        try await env.store.transaction { tx in
            guard try await tx.countProfiles(accountID: account.id) < Self.maximumPerAccount else {
                throw Error.tooMany
            }
            try await tx.insertProfile(profile, pinDigest: digest)
            try await tx.appendAudit(
                AuditRecord(
                    accountID: account.id, kind: .profileCreated, ipAddress: caller.ipAddress,
                    detail: profile.id + " " + profile.name), at: now)
        }
        return profile
    }

    /// Renames a profile and replaces its restrictions. Live sessions of the profile are signed out, so no token
    /// minted under the old restrictions outlives the change by more than a media token's five minutes.
    public func update(
        id: String, account: Account, name: String, restrictions: ProfileRestrictions, caller: Caller
    ) async throws -> Profile {
        try CredentialScope.requireFullCredential()
        var profile = try await self.profile(id: id, account: account)
        profile.name = try Self.cleanName(name)
        let old = profile.restrictions
        profile.restrictions = try Self.normalise(restrictions)
        let now = env.clock.now()
        let updated = profile
        let revoked = try await env.store.transaction { tx -> [String] in
            guard try await tx.updateProfile(updated) else { throw Error.notFound }
            try await tx.appendAudit(
                AuditRecord(
                    accountID: account.id, kind: .profileChanged, ipAddress: caller.ipAddress,
                    detail: updated.id + " restrictions"), at: now)
            // Any change of restrictions signs the profile's sessions out (a tightening must not wait for them to
            // end on their own); a rename alone does not.
            guard old != updated.restrictions else { return [] }
            return try await tx.revokeProfileSessions(profileID: updated.id, accountID: account.id, at: now)
        }
        if !revoked.isEmpty {
            env.announce(Revocation(accountID: account.id, deviceIDs: revoked, allDevices: false, at: now))
        }
        return updated
    }

    /// Sets a new PIN (or removes it with nil) and clears the profile's PIN budget: the holder is never locked
    /// out of their own profile.
    public func setPIN(id: String, account: Account, pin: String?, caller: Caller) async throws {
        try CredentialScope.requireFullCredential()
        let pin = pin.flatMap { $0.isEmpty ? nil : $0 }
        if let pin { try Self.checkPIN(pin) }
        let profile = try await self.profile(id: id, account: account)
        let digest = pin.map { pinDigest(profileID: profile.id, pin: $0) }
        let now = env.clock.now()
        try await env.store.transaction { tx in
            guard try await tx.setProfilePIN(id: profile.id, accountID: account.id, pinDigest: digest) else {
                throw Error.notFound
            }
            try await tx.clearThrottle(key: Self.pinThrottleKey(profile.id))
            try await tx.appendAudit(
                AuditRecord(
                    accountID: account.id, kind: .profileChanged, ipAddress: caller.ipAddress,
                    detail: profile.id + (pin == nil ? " PIN removed" : " PIN set")), at: now)
        }
    }

    /// Deletes a profile and signs out its sessions.
    public func delete(id: String, account: Account, caller: Caller) async throws {
        try CredentialScope.requireFullCredential()
        let profile = try await self.profile(id: id, account: account)
        let now = env.clock.now()
        let revoked = try await env.store.transaction { tx -> [String] in
            let revoked = try await tx.revokeProfileSessions(profileID: profile.id, accountID: account.id, at: now)
            guard try await tx.deleteProfile(id: profile.id, accountID: account.id, at: now) else {
                throw Error.notFound
            }
            try await tx.clearThrottle(key: Self.pinThrottleKey(profile.id))
            try await tx.appendAudit(
                AuditRecord(
                    accountID: account.id, kind: .profileDeleted, ipAddress: caller.ipAddress,
                    detail: profile.id + " " + profile.name), at: now)
            return revoked
        }
        if !revoked.isEmpty {
            env.announce(Revocation(accountID: account.id, deviceIDs: revoked, allDevices: false, at: now))
        }
    }

    // MARK: Switching

    /// Switches the holder's signed-in `device` to a profile: checks the PIN (when the profile has one) after
    /// reserving an attempt, then, in one transaction, revokes the device's own credential and issues a profile
    /// session in its place. Returns the new device and its credential (shown once).
    ///
    /// Only profiles of the caller's own account can be addressed (any other id is 404, exactly as a missing one),
    /// so a PIN guess reveals nothing about other accounts.
    public func switchTo(
        profileID: String, account: Account, device: Device, pin: String?, caller: Caller
    ) async throws -> (Profile, Device, OpaqueToken) {
        // A profile session or an app password never switches: back to the holder is a full sign-in.
        try CredentialScope.requireFullCredential()
        guard device.profileID == nil, device.accountID == account.id, device.revokedAt == nil else {
            throw Error.notAllowed
        }
        guard profileID.utf8.count <= 64, (pin ?? "").utf8.count <= 16,
            let (profile, digest) = try await env.store.autocommit.profile(id: profileID, accountID: account.id)
        else { throw Error.notFound }
        let now = env.clock.now()
        if let digest {
            // Reserve before looking: concurrent guesses can never together pass more than the budget.
            let wait = try await env.store.autocommit.reserveAttempt(
                key: Self.pinThrottleKey(profile.id), policy: Self.pinPolicy, now: now)
            if wait > 0 { throw Error.throttled(seconds: wait) }
            let given = pin ?? ""
            let candidate = pinDigest(profileID: profile.id, pin: given)
            guard (try? Self.checkPIN(given)) != nil, ConstantTime.equals(candidate, digest) else {
                try await env.store.autocommit.appendAudit(
                    AuditRecord(
                        accountID: account.id, kind: .profilePINFailed, ipAddress: caller.ipAddress,
                        detail: profile.id + " from device " + device.id), at: now)
                throw Error.wrongPIN
            }
        }
        var info = device.info
        info.name = String((profile.name + " (profile) on " + device.info.name).prefix(200))
        let session = Device(
            id: SecureRandom.identifier(), accountID: account.id, kind: device.kind, info: info,
            ipAddress: caller.ipAddress, createdAt: now, lastSeenAt: now, reauthenticatedAt: .distantPast,
            proof: "a switch to the profile \u{201C}\(profile.name)\u{201D}", dpopThumbprint: device.dpopThumbprint,
            profileID: profile.id)
        let token = OpaqueToken.generate(prefix: "ghd")
        let tokenDigest = env.digest(token.value)
        try await env.store.transaction { tx in
            // The switching credential ends here: if it was already revoked (a concurrent switch), nothing is issued.
            guard try await tx.revokeDevice(id: device.id, accountID: account.id, at: now) else {
                throw Error.notAllowed
            }
            try await tx.insertDevice(session, tokenDigest: tokenDigest)
            if profile.hasPIN { try await tx.clearThrottle(key: Self.pinThrottleKey(profile.id)) }
            try await tx.appendAudit(
                AuditRecord(
                    accountID: account.id, kind: .profileSwitched, ipAddress: caller.ipAddress,
                    detail: "device \(device.id) to profile \(profile.id) (session \(session.id))"), at: now)
        }
        env.announce(Revocation(accountID: account.id, deviceIDs: [device.id], allDevices: false, at: now))
        return (profile, session, token)
    }

    /// The profile a profile session runs as (nil for the holder's own device).
    public func profile(of device: Device) async throws -> Profile? {
        guard let id = device.profileID else { return nil }
        return try await env.store.autocommit.profile(id: id, accountID: device.accountID)?.profile
    }
}
