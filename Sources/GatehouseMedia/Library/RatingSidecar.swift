import Foundation
import GatehouseWire

/// Ratings and labels written next to a media file, for files whose tags carry none (or the wrong one):
///
/// - `<file>.meta.json` (for `movie.mkv`: `movie.mkv.meta.json`): `{"rating": "PG-13", "labels": ["kids"]}`,
///   both keys optional;
/// - `<file>.rating`: plain text, the rating on its first line (`PG-13`).
///
/// The JSON file wins when both exist. A sidecar is read only when it is a regular file of at most 4 KiB that
/// resolves inside the section root (like the media itself). Ratings are matched on ``ContentRating``'s scale
/// (`pg13`, `PG 13` and `PG-13` are the same); one that is not on it counts as unrated. At most 50 labels of
/// 1 to 40 characters are kept.
enum RatingSidecar {
    static let maximumBytes = 4096

    struct Contents: Equatable {
        /// Canonical rating, or nil (unrated or not on the scale).
        var rating: String?
        var labels: [String]
    }

    /// Reads the sidecar of `relativePath` under `root`, nil when there is none.
    static func read(relativePath: String, root: String) -> Contents? {
        if let data = load(relativePath + ".meta.json", root: root) {
            return parseJSON(data) ?? Contents(rating: nil, labels: [])
        }
        if let data = load(relativePath + ".rating", root: root) {
            return parseText(data)
        }
        return nil
    }

    static func load(_ relativePath: String, root: String) -> Data? {
        guard let resolved = PathGuard.resolve(relativePath: relativePath, under: root) else { return nil }
        var info = stat()
        guard stat(resolved, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_size <= maximumBytes else {
            return nil
        }
        return FileManager.default.contents(atPath: resolved).flatMap { $0.count <= maximumBytes ? $0 : nil }
    }

    /// `{"rating": "...", "labels": [...]}`; nil when it is not such a JSON object.
    static func parseJSON(_ data: Data) -> Contents? {
        struct Body: Decodable {
            var rating: String?
            var labels: [String]?
        }
        guard let body = try? JSONDecoder().decode(Body.self, from: data) else { return nil }
        return Contents(rating: body.rating.flatMap(ContentRating.canonical), labels: cleanLabels(body.labels ?? []))
    }

    /// The first non-empty line is the rating.
    static func parseText(_ data: Data) -> Contents {
        let text = String(decoding: data, as: UTF8.self)
        let line = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .first { !$0.isEmpty }
        return Contents(rating: line.flatMap(ContentRating.canonical), labels: [])
    }

    static func cleanLabels(_ labels: [String]) -> [String] {
        var result: [String] = []
        for raw in labels.prefix(50) {
            let label = raw.trimmingCharacters(in: .whitespaces)
            guard !label.isEmpty, label.unicodeScalars.count <= 40,
                label.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7f }), !result.contains(label)
            else { continue }
            result.append(label)
        }
        return result
    }
}
