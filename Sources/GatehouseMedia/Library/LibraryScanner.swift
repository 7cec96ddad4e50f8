import Crypto
import Foundation

/// Walks section folders and builds library items, reusing probe results for files that did not change.
struct LibraryScanner: Sendable {
    let probe: MediaProbe

    /// The stable id of a file: first 24 hex digits of SHA-256("section\0relative/path").
    static func itemID(section: String, relativePath: String) -> String {
        let digest = SHA256.hash(data: Array("\(section)\u{0}\(relativePath)".utf8))
        return String(digest.map { String(format: "%02x", $0) }.joined().prefix(24))
    }

    /// Scans one section. Hidden files, unknown extensions and anything resolving outside the root are skipped.
    func scan(section: LibrarySection, previous: [String: LibraryItem]) async -> [LibraryItem] {
        guard let root = PathGuard.realPath(section.path) else { return [] }
        let rootURL = URL(fileURLWithPath: root, isDirectory: true)
        guard
            let enumerator = FileManager.default.enumerator(
                at: rootURL,
                includingPropertiesForKeys: [.isRegularFileKey, .fileSizeKey, .contentModificationDateKey],
                options: [.skipsHiddenFiles, .skipsPackageDescendants])
        else { return [] }
        var candidates: [(relative: String, resolved: String)] = []
        while let url = enumerator.nextObject() as? URL {
            let full = url.path
            guard PathGuard.isInside(full, root: root),
                let relative = String(full.utf8.dropFirst(root.utf8.count + 1))
            else { continue }
            guard MediaFileType.lookup(extension: url.pathExtension) != nil else { continue }
            // Symbolic links are followed only when they stay inside the section root.
            guard let resolved = PathGuard.resolve(relativePath: relative, under: root) else { continue }
            candidates.append((relative, resolved))
        }
        var items: [LibraryItem] = []
        for candidate in candidates.sorted(by: { $0.relative < $1.relative }) {
            guard var item = await makeItem(section: section, candidate: candidate, previous: previous) else {
                continue
            }
            // Sidecars are read on every scan (they are tiny), so editing one takes effect without touching the media.
            Self.applyRating(to: &item, sidecar: RatingSidecar.read(relativePath: candidate.relative, root: root))
            items.append(item)
        }
        return items
    }

    /// The item's rating and labels: the sidecar's when there is one, else the rating from the file's tags.
    static func applyRating(to item: inout LibraryItem, sidecar: RatingSidecar.Contents?) {
        if let sidecar {
            item.rating = sidecar.rating
            item.labels = sidecar.labels.isEmpty ? nil : sidecar.labels
        } else {
            item.rating = item.taggedRating
            item.labels = nil
        }
    }

    private func makeItem(
        section: LibrarySection, candidate: (relative: String, resolved: String), previous: [String: LibraryItem]
    ) async -> LibraryItem? {
        var info = stat()
        guard stat(candidate.resolved, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        let ext = (candidate.relative as NSString).pathExtension
        guard let type = MediaFileType.lookup(extension: ext) else { return nil }
        let id = Self.itemID(section: section.name, relativePath: candidate.relative)
        let size = Int64(info.st_size)
        let modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
        if let old = previous[id], old.size == size, old.modifiedAt == modified {
            return old
        }
        var item = LibraryItem(
            id: id, section: section.name, relativePath: candidate.relative, size: size, modifiedAt: modified,
            contentType: type.contentType, kind: section.kind ?? MediaFileType.defaultKind(for: type.family),
            duration: nil, codecs: nil)
        if let result = await probe.probe(file: candidate.resolved) {
            item.duration = result.duration
            item.codecs = result.codecs
            item.taggedRating = result.rating
        }
        return item
    }
}
