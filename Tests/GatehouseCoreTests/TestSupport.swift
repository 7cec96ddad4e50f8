import Argon2
import Foundation
import Logging
import Synchronization

@testable import GatehouseCore

/// Cheap Argon2 settings for tests (far below the production floor).
let cheap = Argon2.Parameters(memoryKiB: 64, iterations: 1, parallelism: 1)

/// A stored hash as the hasher writes it, or with whatever `keyID` (nil: unkeyed) and parameters a test wants.
func storedHash(
    _ password: String, parameters: Argon2.Parameters = cheap, keyring: Keyring, keyID: String?,
    salt: [UInt8] = Array("sixteen byte slt".utf8)
) throws -> String {
    try PHCString.make(
        password: Array(password.utf8), salt: salt, parameters: parameters,
        secret: keyID.flatMap { keyring.pepper(id: $0)?.material } ?? [], keyID: keyID.map { Array($0.utf8) }
    ).description
}

/// A PHC string with the given fields and a random salt and tag, computed by nobody (for planted hashes).
func plantedHash(
    memoryKiB: Int, iterations: Int, parallelism: Int = 1, keyID: String?, saltLength: Int = 16,
    tagLength: Int = 32
) -> String {
    PHCString(
        parameters: Argon2.Parameters(memoryKiB: memoryKiB, iterations: iterations, parallelism: parallelism),
        salt: SecureRandom.bytes(saltLength), tag: SecureRandom.bytes(tagLength), keyID: keyID.map { Array($0.utf8) }
    ).description
}

/// Log lines kept in memory, to check what is (and is not) logged.
final class CapturedLogs: Sendable {
    private let lines = Mutex<[String]>([])

    var all: [String] { lines.withLock { $0 } }

    var logger: Logger {
        var logger = Logger(label: "test") { _ in Handler(sink: self) }
        logger.logLevel = .trace
        return logger
    }

    func append(_ line: String) { lines.withLock { $0.append(line) } }

    struct Handler: LogHandler {
        let sink: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let fields = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            sink.append("\(event.level) \(event.message) \(fields.joined(separator: " "))")
        }
    }
}

/// A flag shared between a pool job and the test.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }

    /// Waits (without blocking a thread) until the flag is set, for at most `seconds`.
    func wait(seconds: Double = 10) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while !isSet && Date() < deadline { try await Task.sleep(for: .milliseconds(2)) }
    }
}

/// Occupies one worker of `pool` until `release` is set; returns once the job runs.
func occupyWorker(of pool: WorkPool, until release: Flag) async throws {
    let started = Flag()
    Task {
        try await pool.run {
            started.set()
            while !release.isSet { usleep(1000) }
        }
    }
    try await started.wait()
}
