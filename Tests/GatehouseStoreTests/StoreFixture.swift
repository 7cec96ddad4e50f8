import Foundation
import GatehouseCore
import GatehouseStore
import Logging
import Testing

/// The databases every contract test runs against.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    var testDescription: String { rawValue }
}

/// Opens a fresh, empty store of a backend: a new SQLite file, or a new PostgreSQL schema on the server named by
/// GATEHOUSE_TEST_POSTGRES_URL (the test command starts one). Without that variable the PostgreSQL cases fail,
/// on purpose: the contract must hold on both.
func withStore(_ backend: Backend, _ body: (SQLStore) async throws -> Void) async throws {
    var logger = Logger(label: "test")
    logger.logLevel = .warning
    switch backend {
    case .sqlite:
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gh-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try await SQLStore.open(
            url: "sqlite:" + folder.appendingPathComponent("db.sqlite").path, logger: logger)
        do {
            try await body(store)
        } catch {
            try? await store.shutdown()
            throw error
        }
        try await store.shutdown()
    case .postgres:
        guard let url = ProcessInfo.processInfo.environment["GATEHOUSE_TEST_POSTGRES_URL"] else {
            Issue.record(
                "GATEHOUSE_TEST_POSTGRES_URL is not set: run the suite through scripts/test.sh, which starts PostgreSQL"
            )
            return
        }
        let schema = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let store = try await SQLStore.open(url: url, logger: logger, schema: schema)
        do {
            try await body(store)
        } catch {
            try? await store.execute("DROP SCHEMA \(schema) CASCADE")
            try? await store.shutdown()
            throw error
        }
        try await store.execute("DROP SCHEMA \(schema) CASCADE")
        try await store.shutdown()
    }
}

func makeAccount(_ name: String, at date: Date = Date(epochSeconds: 1_800_000_000)) -> Account {
    Account(id: "acc-" + name, username: name, email: name + "@example.com", createdAt: date)
}

func makeDevice(
    _ id: String, account: String, client: String = "client-1", at date: Date = Date(epochSeconds: 1_800_000_000)
)
    -> Device
{
    Device(
        id: id, accountID: account, kind: .api,
        info: Device.Info(clientIdentifier: client, name: "Phone", product: "App", version: "1", platform: "iOS"),
        ipAddress: "192.0.2.1", createdAt: date, lastSeenAt: date)
}
