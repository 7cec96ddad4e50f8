import Foundation

/// Resolves paths with realpath(3) and keeps them inside a library root.
enum PathGuard {
    /// The canonical absolute path, with every symbolic link resolved; nil if it does not exist.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Resolves `relativePath` under the canonical `root` and returns it only if it stays inside the root.
    static func resolve(relativePath: String, under root: String) -> String? {
        guard !relativePath.hasPrefix("/"), !relativePath.split(separator: "/").contains("..") else { return nil }
        guard let resolved = realPath(root + "/" + relativePath) else { return nil }
        return isInside(resolved, root: root) ? resolved : nil
    }

    /// Whether canonical `path` lies strictly inside canonical `root`.
    static func isInside(_ path: String, root: String) -> Bool {
        let prefix = root.hasSuffix("/") ? root : root + "/"
        // Byte-wise, not Unicode-equivalence, comparison: the file system compares bytes.
        return path.utf8.starts(with: prefix.utf8) && path.utf8.count > prefix.utf8.count
    }
}
