import Foundation

/// One entry of the revocation log: its sequence number, the writer (the transaction that wrote it on PostgreSQL;
/// the sequence number itself on SQLite), and the revocation.
public struct RevocationLogEntry: Sendable, Equatable {
    public var sequence: Int64
    public var writer: Int64
    public var revocation: Revocation

    public init(sequence: Int64, writer: Int64, revocation: Revocation) {
        self.sequence = sequence
        self.writer = writer
        self.revocation = revocation
    }
}

/// One read of the revocation log (see ``DeviceStore/revocationLog(writersFrom:after:limit:)``).
public struct RevocationLogPage: Sendable, Equatable {
    /// Every entry whose writer is below the horizon was visible to this read, or will never exist.
    public var horizon: Int64
    public var entries: [RevocationLogEntry]

    public init(horizon: Int64, entries: [RevocationLogEntry]) {
        self.horizon = horizon
        self.entries = entries
    }
}

/// Follows the revocation log without ever skipping an entry that commits late.
///
/// A plain cursor over the sequence number loses entries on PostgreSQL: T1 takes sequence 10 and stays open, T2
/// takes 11 and commits, a reader moves its cursor to 11, and 10 (committed later) is never read. This reader keeps
/// instead a horizon: the oldest transaction that was still running at its last read (`pg_snapshot_xmin`). An
/// entry invisible at that read was written by a transaction at or above the horizon, so each read takes every
/// entry written at or above the previous horizon, hands out the ones not handed out yet, and moves the horizon
/// up. Entries are handed out as soon as they are visible (nothing waits for older transactions); only the memory
/// of what was handed out waits, and it is dropped once its writers fall below the horizon.
///
/// On SQLite (one writer at a time) the writer is the sequence number and the horizon the next one, so this is the
/// plain cursor again.
public struct RevocationLogReader: Sendable {
    public private(set) var horizon: Int64
    /// Entries handed out whose writers are at or above the horizon (sequence → writer).
    public private(set) var delivered: [Int64: Int64]
    let pageSize: Int

    /// Positions the reader at the end of the log as it is now: entries visible now are not handed out.
    public static func atEnd(of store: any DeviceStore, pageSize: Int = 1_000) async throws -> RevocationLogReader {
        let probe = try await store.revocationLog(writersFrom: .max, after: .max, limit: 0)
        var reader = RevocationLogReader(horizon: probe.horizon, delivered: [:], pageSize: pageSize)
        _ = try await reader.next(from: store)
        return reader
    }

    /// A reader that hands out the whole log from the start.
    public init(pageSize: Int = 1_000) {
        self.init(horizon: 0, delivered: [:], pageSize: pageSize)
    }

    init(horizon: Int64, delivered: [Int64: Int64], pageSize: Int) {
        self.horizon = horizon
        self.delivered = delivered
        self.pageSize = max(1, pageSize)
    }

    /// Reads what is new since the last call, oldest sequence first. The reader moves only when every page was
    /// read, so an error leaves it where it was (the next call reads the same entries again).
    public mutating func next(from store: any DeviceStore) async throws -> [Revocation] {
        var fresh: [Revocation] = []
        var delivered = self.delivered
        var after: Int64 = 0
        var newHorizon: Int64?
        while true {
            let page = try await store.revocationLog(writersFrom: horizon, after: after, limit: pageSize)
            // The first page's horizon is the safe one: every later page reads a newer snapshot, which sees
            // everything the first one saw.
            if newHorizon == nil { newHorizon = page.horizon }
            for entry in page.entries {
                after = entry.sequence
                if delivered[entry.sequence] == nil {
                    delivered[entry.sequence] = entry.writer
                    fresh.append(entry.revocation)
                }
            }
            if page.entries.count < pageSize { break }
        }
        let moved = max(horizon, newHorizon ?? horizon)
        self.horizon = moved
        self.delivered = delivered.filter { $0.value >= moved }
        return fresh
    }
}
