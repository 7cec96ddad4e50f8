/// One indexed media file. Items are served only by `id`; `relativePath` is never taken from a client.
public struct LibraryItem: Codable, Sendable, Equatable {
    /// Stable id: hex prefix of SHA-256 over section name and relative path.
    public var id: String
    /// Section name.
    public var section: String
    /// Path relative to the section root, with `/` separators.
    public var relativePath: String
    /// Size in bytes.
    public var size: Int64
    /// Modification time, epoch seconds.
    public var modifiedAt: Double
    /// MIME type from the extension.
    public var contentType: String
    /// Kind, from the section or the extension.
    public var kind: MediaKind
    /// Duration in seconds, when ffprobe reported one.
    public var duration: Double?
    /// Codec names of the streams, when ffprobe ran.
    public var codecs: [String]?
    /// Content rating on ``ContentRating``'s scale (canonical name), from the sidecar file or else the file's tags;
    /// nil when unrated or rated off the scale (such an item passes no profile's ceiling).
    public var rating: String? = nil
    /// Labels from the sidecar file (for profiles' allowed and blocked labels).
    public var labels: [String]? = nil
    /// The rating ffprobe read from the file's own tags (kept so a rescan can re-apply sidecars without probing).
    public var taggedRating: String? = nil

    enum CodingKeys: String, CodingKey {
        case id, section, size, kind, duration, codecs, rating, labels
        case taggedRating = "tagged_rating"
        case relativePath = "path"
        case modifiedAt = "modified_at"
        case contentType = "content_type"
    }
}

/// A library section as configured, plus what the last scan found.
public struct LibrarySection: Sendable, Equatable {
    /// Section name (the sharing unit).
    public var name: String
    /// Root folder.
    public var path: String
    /// Kind, configured or guessed from the name; nil means by extension.
    public var kind: MediaKind?
}
