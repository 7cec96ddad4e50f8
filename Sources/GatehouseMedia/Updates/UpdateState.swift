import Foundation
import GatehouseReleases

/// What the updater remembers between checks and restarts (`updates.json` in the data folder): the release keys it
/// trusts now (the pin, moved on by the key lists it accepted), the newest manifest it has seen per channel (so an
/// older listing replayed later is refused) and the versions that failed their health check (never tried again).
struct UpdateState: Sendable, Codable, Equatable {
    /// A verified manifest's version and signing date.
    struct Seen: Sendable, Codable, Equatable {
        var version: SemanticVersion
        var date: String
    }

    /// The key given with `--release-key` when this state began.
    var pinned: ReleaseKeyList.Key
    /// The keys manifests may be signed with now.
    var trusted: [ReleaseKeyList.Key]
    /// The sequence of the last key list accepted; -1 before any.
    var keySequence: Int
    /// The newest verified manifest per channel.
    var seen: [String: Seen]
    /// Versions rolled back after a failed health check.
    var rejected: [String]
    /// The sequence of the newest signed release list seen; an older one later is a replay.
    var listSequence: Int64?

    /// A fresh state trusting only the pinned key.
    init(pinned: ReleaseKeyList.Key) {
        self.pinned = pinned
        trusted = [pinned]
        keySequence = -1
        seen = [:]
        rejected = []
    }

    enum CodingKeys: String, CodingKey {
        case pinned, trusted, seen, rejected
        case keySequence = "key_sequence"
        case listSequence = "list_sequence"
    }
}

/// Reads and writes `UpdateState` in the data folder (mode 0600, written atomically).
struct UpdateStateStore: Sendable {
    let path: String

    init(dataFolder: String) {
        path = URL(fileURLWithPath: dataFolder, isDirectory: true).appendingPathComponent("updates.json").path
    }

    func load() -> UpdateState? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(UpdateState.self, from: data)
    }

    /// The stored state when it began from `pin`; otherwise (first use, or the owner pinned another key) a fresh one.
    func load(pin: ReleaseKeyList.Key?) -> UpdateState? {
        let stored = load()
        guard let pin else { return stored }
        if let stored, stored.pinned == pin { return stored }
        return UpdateState(pinned: pin)
    }

    func save(_ state: UpdateState) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let url = URL(fileURLWithPath: path)
        try encoder.encode(state).write(to: url, options: .atomic)
        _ = chmod(path, 0o600)
    }
}
