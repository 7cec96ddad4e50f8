/// What a library section or item holds.
public enum MediaKind: String, Codable, Sendable, CaseIterable {
    case movie, show, music, photo, other

    /// Guesses a section's kind from its name (`Movies`, `TV Shows`, `Music`, `Photos`, ...).
    static func guess(sectionName: String) -> MediaKind? {
        let name = sectionName.lowercased()
        let hints: [(MediaKind, [String])] = [
            (.show, ["show", "tv", "series", "episode"]),
            (.movie, ["movie", "film", "cinema"]),
            (.music, ["music", "audio", "song", "album"]),
            (.photo, ["photo", "picture", "image", "camera"]),
        ]
        for (kind, words) in hints where words.contains(where: name.contains) {
            return kind
        }
        return nil
    }
}

/// Media file types the library indexes, by lower-cased extension.
enum MediaFileType {
    enum Family { case video, audio, image }

    static let table: [String: (contentType: String, family: Family)] = [
        "mp4": ("video/mp4", .video), "m4v": ("video/mp4", .video), "mov": ("video/quicktime", .video),
        "webm": ("video/webm", .video), "mkv": ("video/x-matroska", .video), "avi": ("video/x-msvideo", .video),
        "ts": ("video/mp2t", .video), "ogv": ("video/ogg", .video),
        "mp3": ("audio/mpeg", .audio), "flac": ("audio/flac", .audio), "ogg": ("audio/ogg", .audio),
        "oga": ("audio/ogg", .audio), "opus": ("audio/ogg", .audio), "m4a": ("audio/mp4", .audio),
        "aac": ("audio/aac", .audio), "wav": ("audio/wav", .audio),
        "jpg": ("image/jpeg", .image), "jpeg": ("image/jpeg", .image), "png": ("image/png", .image),
        "gif": ("image/gif", .image), "webp": ("image/webp", .image), "heic": ("image/heic", .image),
        "avif": ("image/avif", .image),
    ]

    static func lookup(extension ext: String) -> (contentType: String, family: Family)? {
        table[ext.lowercased()]
    }

    static func defaultKind(for family: Family) -> MediaKind {
        switch family {
        case .video: .movie
        case .audio: .music
        case .image: .photo
        }
    }
}
