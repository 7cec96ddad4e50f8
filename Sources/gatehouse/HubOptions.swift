import ArgumentParser
import Foundation
import GatehouseHub
import GatehouseSettings
import Logging

/// Options every command that opens the hub's data shares: the data folder and database. Each is a setting
/// (`Settings.Key`): the flag wins, then the GATEHOUSE_* environment variable, then the config file.
struct HubOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "A JSON file of settings, read after the flags and the environment (keys as in README's configuration "
                + "table, e.g. {\"signUp\": \"open\", \"argon2\": {\"memoryKib\": 65536}}). Env: GATEHOUSE_CONFIG.",
            valueName: "file"))
    var config: String?

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

    /// The flags given here, as settings.
    var flags: [Settings.Key: Settings.FlagValue] {
        var flags: [Settings.Key: Settings.FlagValue] = [:]
        flags[.data] = data.map { .string($0) }
        flags[.databaseURL] = database.map { .string($0) }
        flags[.keyring] = keyring.map { .string($0) }
        flags[.publicURL] = publicURL.map { .string($0) }
        flags[.logLevel] = logLevel.map { .string($0) }
        flags[.logFormat] = logFormat.map { .string($0) }
        return flags
    }

    /// The settings: these flags and `more` (a command's own), the environment, then the config file.
    func settings(more: [Settings.Key: Settings.FlagValue] = [:]) async throws -> Settings {
        do {
            return try await Settings.load(flags: flags.merging(more) { _, command in command }, configFile: config)
        } catch let error as SettingsError {
            throw ValidationError(error.description)
        }
    }

    /// The hub configuration the settings describe.
    func configuration() async throws -> HubConfiguration {
        try await Self.configuration(from: settings())
    }

    /// `HubConfiguration(settings:)`, with a malformed setting reported as a usage error.
    static func configuration(from settings: Settings) throws -> HubConfiguration {
        do {
            return try HubConfiguration(settings: settings)
        } catch let error as SettingsError {
            throw ValidationError(error.description)
        }
    }

    /// The logger the settings describe. `quiet`: warnings and worse only, unless a log level is set (operator
    /// commands print their own results).
    static func makeLogger(settings: Settings, quiet: Bool = false, label: String = "gatehouse") throws -> Logger {
        let level = try settings.string(.logLevel)
        let json: Bool
        switch try settings.string(.logFormat) ?? "text" {
        case "text": json = false
        case "json": json = true
        case let other:
            throw ValidationError("--log-format (\(settings.origin(of: .logFormat))) is text or json, not \(other)")
        }
        var logger = json ? Logger(label: label, factory: { JSONLogHandler(label: $0) }) : Logger(label: label)
        if let level {
            guard let value = Logger.Level(rawValue: level) else {
                throw ValidationError(
                    "--log-level (\(settings.origin(of: .logLevel))) is trace, debug, info, notice, warning or error")
            }
            logger.logLevel = value
        } else {
            logger.logLevel = quiet ? .warning : .info
        }
        return logger
    }
}

/// Prints to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
