import Foundation
import GatehouseReleases

/// The installed builds in the data folder, shared by the updater (which stages a new build) and the supervisor
/// (which health-checks it and switches back when it is unhealthy):
///
///     versions/<version>/gatehouse   an installed build
///     versions/current               link to the active <version> folder (absent: the supervisor's own executable)
///     versions/pending               staged and switched to, not yet health-checked
///     versions/installed             passed its health check, not yet reported to the hub
///     versions/rolled-back           failed its health check and was switched back, not yet reported
public struct VersionsFolder: Sendable {
    /// A marker file's content.
    public struct Marker: Sendable, Codable, Equatable {
        /// The version the marker is about (the new one).
        public var version: String
        /// Where `current` pointed before the switch (a version folder name), or nil for the supervisor's own build.
        public var previous: String?
        /// Why a rollback happened.
        public var reason: String?

        /// Creates a marker.
        public init(version: String, previous: String? = nil, reason: String? = nil) {
            self.version = version
            self.previous = previous
            self.reason = reason
        }
    }

    /// The marker files.
    public enum MarkerKind: String, Sendable {
        case pending
        case installed
        case rolledBack = "rolled-back"
    }

    /// The `versions` folder.
    public let root: URL

    /// The layout under `dataFolder/versions`.
    public init(dataFolder: String) {
        root = URL(fileURLWithPath: dataFolder, isDirectory: true).appendingPathComponent("versions", isDirectory: true)
    }

    /// The executable name inside a version folder.
    public static let executableName = "gatehouse"

    /// The folder of one version.
    public func folder(version: SemanticVersion) -> URL {
        root.appendingPathComponent(version.description, isDirectory: true)
    }

    /// The active build's executable, when a `current` link exists and leads to one.
    public var currentExecutable: String? {
        let path = root.appendingPathComponent("current").appendingPathComponent(Self.executableName).path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    /// The version folder name `current` points to, or nil when there is no link.
    public var currentTarget: String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: root.appendingPathComponent("current").path)
    }

    /// Points `current` at a version folder (a name inside `versions`), or removes it for nil. The switch is one
    /// rename of a fresh link over the old one, so a crash leaves either the old or the new link, never none.
    public func switchCurrent(to target: String?) throws {
        try FileManager.default.createDirectory(
            at: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let current = root.appendingPathComponent("current").path
        guard let target else {
            if unlink(current) != 0 && errno != ENOENT { throw Failure.fileSystem("remove current", errno) }
            return
        }
        let temporary = root.appendingPathComponent(".current-\(getpid())").path
        _ = unlink(temporary)
        // Relative, so the data folder can move.
        guard symlink(target, temporary) == 0 else { throw Failure.fileSystem("link", errno) }
        guard rename(temporary, current) == 0 else {
            let code = errno
            _ = unlink(temporary)
            throw Failure.fileSystem("switch current", code)
        }
    }

    /// Reads a marker; nil when absent or unreadable.
    public func read(_ kind: MarkerKind) -> Marker? {
        guard let data = FileManager.default.contents(atPath: path(kind)) else { return nil }
        return try? JSONDecoder().decode(Marker.self, from: data)
    }

    /// Writes a marker atomically.
    public func write(_ marker: Marker, as kind: MarkerKind) throws {
        try FileManager.default.createDirectory(
            at: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try JSONEncoder().encode(marker).write(to: URL(fileURLWithPath: path(kind)), options: .atomic)
    }

    /// Removes a marker (nothing if absent).
    public func remove(_ kind: MarkerKind) {
        _ = unlink(path(kind))
    }

    func path(_ kind: MarkerKind) -> String {
        root.appendingPathComponent(kind.rawValue).path
    }

    /// Errors changing the folder.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case fileSystem(String, Int32)

        public var description: String {
            switch self {
            case .fileSystem(let what, let code): "\(what) failed: \(String(cString: strerror(code)))"
            }
        }
    }
}
