import Foundation
import GatehouseCore
import GatehouseHub
import Logging
import Testing

@Suite("Hub start")
struct HubStartTests {
    /// Argon2 settings below OWASP's minimum stop the hub before it touches anything, unless the test/dev override
    /// is set (then it starts, saying so loudly).
    @Test func weakArgon2SettingsRefusedAtStart() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gh-weak-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        for (memory, passes) in [(64, 1), (19_456, 1), (19_455, 2), (7_167, 5)] {
            let configuration = HubConfiguration(
                dataDirectory: folder.path, argon2MemoryKiB: memory, argon2Iterations: passes)
            await #expect(throws: Argon2PasswordHasher.WeakSettings.self) {
                _ = try await HubRuntime.open(configuration: configuration, logger: logger)
            }
            #expect(!FileManager.default.fileExists(atPath: folder.path), "refused before creating the data folder")
        }

        var allowed = HubConfiguration(dataDirectory: folder.path, argon2MemoryKiB: 64, argon2Iterations: 1)
        allowed.allowWeakArgon2 = true
        let runtime = try await HubRuntime.open(configuration: allowed, logger: logger)
        await runtime.shutdown()
    }
}
