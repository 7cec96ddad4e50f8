import Foundation

/// The one ordered content-rating scale profiles and media servers share. US film (MPAA) and US TV (TV Parental
/// Guidelines) ratings sit on a single ladder of ranks, lowest (youngest audience) first:
///
/// | rank | film  | TV    |
/// |------|-------|-------|
/// | 1    |       | TV-Y  |
/// | 2    |       | TV-Y7 |
/// | 3    | G     | TV-G  |
/// | 4    | PG    | TV-PG |
/// | 5    | PG-13 | TV-14 |
/// | 6    | R     | TV-MA |
/// | 7    | NC-17 |       |
///
/// A profile's ceiling is one of these names; an item passes when its rank is at or below the ceiling's. An item
/// with no rating, or a rating not on the scale (`NR`, `Unrated`, a foreign scheme), has no rank and passes no
/// ceiling: a restricted profile sees only items known to be within range (fail closed).
public enum ContentRating {
    /// Canonical names and their ranks, in order.
    public static let scale: [(name: String, rank: Int)] = [
        ("TV-Y", 1), ("TV-Y7", 2), ("G", 3), ("TV-G", 3), ("PG", 4), ("TV-PG", 4), ("PG-13", 5), ("TV-14", 5),
        ("R", 6), ("TV-MA", 6), ("NC-17", 7),
    ]

    /// Upper-case letters and digits only, so `pg-13`, `PG 13`, `PG13` and `tv_14` all match.
    static func folded(_ text: String) -> String {
        String(
            text.uppercased().unicodeScalars.filter {
                ($0.value >= 65 && $0.value <= 90) || ($0.value >= 48 && $0.value <= 57)
            })
    }

    /// The canonical name of a rating as written in a tag or sidecar (`pg-13` gives `PG-13`), or nil when it is
    /// not on the scale. Input longer than 32 characters is refused.
    public static func canonical(_ text: String) -> String? {
        guard text.utf8.count <= 32 else { return nil }
        var key = folded(text)
        // "US:PG-13" or "us/PG-13" style prefixes (ffprobe tags, iTunes "mpaa|PG-13|300|").
        if key.hasPrefix("US"), key.count > 2, scale.contains(where: { folded($0.name) == String(key.dropFirst(2)) }) {
            key = String(key.dropFirst(2))
        }
        return scale.first { folded($0.name) == key }?.name
    }

    /// The rank of a rating, or nil when it is not on the scale.
    public static func rank(of text: String) -> Int? {
        guard let name = canonical(text) else { return nil }
        return scale.first { $0.name == name }?.rank
    }

    /// Whether an item rated `itemRating` (nil: unrated) is within the ceiling named `ceiling` (nil: no ceiling).
    /// A ceiling not on the scale lets nothing through.
    public static func allows(itemRating: String?, ceiling: String?) -> Bool {
        guard let ceiling else { return true }
        guard let limit = rank(of: ceiling), let itemRating, let rank = rank(of: itemRating) else { return false }
        return rank <= limit
    }
}

/// What a profile may see. Enforced by the media server from the signed token (``MediaTokenClaims/prf``), so it
/// holds offline.
public struct ProfileRestrictions: Sendable, Codable, Equatable {
    /// Library sections the profile may see (of those the holder may see); nil means every one the holder may.
    public var sections: [String]?
    /// The content-rating ceiling (a canonical ``ContentRating`` name), or nil for none.
    public var maxRating: String?
    /// When not empty, an item is shown only when it carries at least one of these labels.
    public var allowedLabels: [String]
    /// An item carrying any of these labels is never shown.
    public var blockedLabels: [String]

    public init(
        sections: [String]? = nil, maxRating: String? = nil, allowedLabels: [String] = [], blockedLabels: [String] = []
    ) {
        self.sections = sections
        self.maxRating = maxRating
        self.allowedLabels = allowedLabels
        self.blockedLabels = blockedLabels
    }

    /// Whether an item of `section`, rated `rating` (nil: unrated) and labelled `labels`, is within these
    /// restrictions. Labels compare case-insensitively.
    public func allows(section: String, rating: String?, labels: [String]) -> Bool {
        if let sections, !sections.contains(section) { return false }
        guard ContentRating.allows(itemRating: rating, ceiling: maxRating) else { return false }
        let itemLabels = Set(labels.map { $0.lowercased() })
        if blockedLabels.contains(where: { itemLabels.contains($0.lowercased()) }) { return false }
        if !allowedLabels.isEmpty, !allowedLabels.contains(where: { itemLabels.contains($0.lowercased()) }) {
            return false
        }
        return true
    }
}
