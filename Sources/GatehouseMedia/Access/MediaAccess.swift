import GatehouseWire

/// What a verified token grants on this server.
public struct MediaAccess: Sendable, Equatable {
    /// Account id of the caller.
    public var accountID: String
    /// Device id of the caller.
    public var deviceID: String
    /// True for the owner of the server.
    public var isOwner: Bool
    /// Sections shared with the caller (ignored for the owner).
    public var sharedSections: Set<String>
    /// The DPoP key thumbprint the token is bound to (`cnf.jkt`), if any.
    public var boundThumbprint: String? = nil
    /// The profile the token is for and its restrictions, when it is a profile session's.
    public var profile: MediaTokenClaims.Profile? = nil

    /// Whether the account (owner or share) may read the named section, before any profile restriction.
    public func isShared(section: String) -> Bool {
        isOwner || sharedSections.contains(section)
    }

    /// Whether the caller may read the named section: shared with the account and, for a profile, one of its
    /// sections.
    public func canRead(section: String) -> Bool {
        guard isShared(section: section) else { return false }
        if let sections = profile?.sec, !sections.contains(section) { return false }
        return true
    }

    /// Whether the caller may see this item: its section, and for a profile its rating and labels.
    public func canSee(_ item: LibraryItem) -> Bool {
        guard canRead(section: item.section) else { return false }
        guard let profile else { return true }
        return profile.restrictions.allows(section: item.section, rating: item.rating, labels: item.labels ?? [])
    }

    /// Owner-only actions (rescan): the owner's own credential, never a profile of the owner.
    public var canAdminister: Bool { isOwner && profile == nil }
}
