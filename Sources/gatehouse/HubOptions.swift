import ArgumentParser
import Foundation
import GatehouseHub
import Logging

/// Options every command that opens the hub's data shares: the data folder and database.
struct HubOptions: ParsableArguments {
    @Option(help: "Data folder: SQLite file, keyring, delivered mail. Env: GATEHOUSE_DATA.")
    var data: String?

    @Option(help: "Database URL: sqlite:PATH or postgres://user:pass@host:port/db. Env: GATEHOUSE_DATABASE_URL.")
    var database: String?

    @Option(help: "Keyring file (default: keys/keyring.json in the data folder). Env: GATEHOUSE_KEYRING.")
    var keyring: String?

    @Option(help: "Public URL people reach the hub at; links in mail point here. Env: GATEHOUSE_PUBLIC_URL.")
    var publicURL: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error. Env: GATEHOUSE_LOG_LEVEL.")
    var logLevel: String?

    @Option(help: "Log format: text, or json (one object per line, with the request id). Env: GATEHOUSE_LOG_FORMAT.")
    var logFormat: String?

    /// The configuration these options (and the environment) describe.
    func configuration(port: Int = 8080, host: String = "127.0.0.1") -> HubConfiguration {
        let env = ProcessInfo.processInfo.environment
        var configuration = HubConfiguration(
            dataDirectory: data ?? env["GATEHOUSE_DATA"] ?? "./gatehouse-data", host: host, port: port,
            publicURL: publicURL ?? env["GATEHOUSE_PUBLIC_URL"],
            databaseURL: database ?? env["GATEHOUSE_DATABASE_URL"], keyringPath: keyring ?? env["GATEHOUSE_KEYRING"])
        if let memory = env["GATEHOUSE_ARGON2_MEMORY_KIB"].flatMap(Int.init) { configuration.argon2MemoryKiB = memory }
        if let passes = env["GATEHOUSE_ARGON2_ITERATIONS"].flatMap(Int.init) { configuration.argon2Iterations = passes }
        configuration.allowWeakArgon2 = env["GATEHOUSE_ARGON2_ALLOW_WEAK"] == "1"
        configuration.breachIndexPath = env["GATEHOUSE_BREACH_INDEX"]
        configuration.pwnedRangeURL = env["GATEHOUSE_PWNED_RANGE_URL"]
        configuration.breachCheckFailsClosed = env["GATEHOUSE_BREACH_CHECK"] == "fail-closed"
        if env["GATEHOUSE_VULNERABLE_SERVERS"] == "owner-only" { configuration.vulnerableServerAccess = .ownerOnly }
        return configuration
    }

    func makeLogger(label: String = "gatehouse") -> Logger {
        let environment = ProcessInfo.processInfo.environment
        let level = logLevel ?? environment["GATEHOUSE_LOG_LEVEL"] ?? "info"
        var logger =
            (logFormat ?? environment["GATEHOUSE_LOG_FORMAT"]) == "json"
            ? Logger(label: label, factory: { JSONLogHandler(label: $0) }) : Logger(label: label)
        logger.logLevel = Logger.Level(rawValue: level) ?? .info
        return logger
    }
}

/// Prints to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
