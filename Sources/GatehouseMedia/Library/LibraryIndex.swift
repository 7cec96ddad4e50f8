import Foundation
import Logging
import Synchronization

/// The in-memory library index, rebuilt by scans and saved as JSON in the data folder.
public final class LibraryIndex: Sendable {
    private struct State {
        var itemsByID: [String: LibraryItem] = [:]
        var itemsBySection: [String: [LibraryItem]] = [:]
        var lastScan: Date?
    }

    /// Configured sections, in configuration order.
    public let sections: [LibrarySection]
    private let state = Mutex(State())
    private let scanner: LibraryScanner
    private let indexFile: URL?
    private let logger: Logger
    /// Serialises scans so a manual rescan and the periodic one never interleave.
    private let scanLock = ScanLock()

    init(sections: [LibrarySection], scanner: LibraryScanner, indexFile: URL?, logger: Logger) {
        self.sections = sections
        self.scanner = scanner
        self.indexFile = indexFile
        self.logger = logger
    }

    /// The section with this exact name.
    public func section(named name: String) -> LibrarySection? {
        sections.first { $0.name == name }
    }

    /// Items of a section, sorted by path.
    public func items(inSection name: String) -> [LibraryItem] {
        state.withLock { $0.itemsBySection[name] ?? [] }
    }

    /// The item with this id.
    public func item(id: String) -> LibraryItem? {
        state.withLock { $0.itemsByID[id] }
    }

    /// Number of indexed items.
    public var itemCount: Int { state.withLock { $0.itemsByID.count } }

    /// Loads a saved index (items of sections no longer configured are dropped).
    func load() {
        guard let indexFile, let data = try? Data(contentsOf: indexFile),
            let items = try? JSONDecoder().decode([LibraryItem].self, from: data)
        else { return }
        let names = Set(sections.map(\.name))
        install(items.filter { names.contains($0.section) }, scannedAt: nil)
    }

    /// Rescans every section and returns the number of items.
    @discardableResult
    public func rescan() async -> Int {
        await scanLock.run { () async -> Int in
            let previous = state.withLock { $0.itemsByID }
            var all: [LibraryItem] = []
            for section in sections {
                all += await scanner.scan(section: section, previous: previous)
            }
            let changed =
                Set(all.map(\.id)) != Set(previous.keys)
                || all.contains { previous[$0.id] != $0 }
            install(all, scannedAt: Date())
            if changed {
                save(all)
                logger.info("library indexed", metadata: ["items": "\(all.count)"])
            }
            return all.count
        }
    }

    private func install(_ items: [LibraryItem], scannedAt: Date?) {
        var byID: [String: LibraryItem] = [:]
        var bySection: [String: [LibraryItem]] = [:]
        for item in items {
            byID[item.id] = item
            bySection[item.section, default: []].append(item)
        }
        state.withLock {
            $0.itemsByID = byID
            $0.itemsBySection = bySection
            if let scannedAt { $0.lastScan = scannedAt }
        }
    }

    private func save(_ items: [LibraryItem]) {
        guard let indexFile else { return }
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try encoder.encode(items).write(to: indexFile, options: .atomic)
        } catch {
            logger.warning("could not save the library index", metadata: ["error": "\(error)"])
        }
    }
}

/// A tiny async mutex: runs one operation at a time, in arrival order.
actor ScanLock {
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func run<T: Sendable>(_ operation: @Sendable () async -> T) async -> T {
        if busy {
            await withCheckedContinuation { waiters.append($0) }
        }
        busy = true
        defer {
            if waiters.isEmpty {
                busy = false
            } else {
                waiters.removeFirst().resume()
            }
        }
        return await operation()
    }
}
