import ArgumentParser
import Foundation
import GatehouseSettings

/// `gatehouse settings`: every setting, the environment variable it is read from, and the value the environment and
/// the config file give it now (secrets only as "set"). Flags are not shown: they belong to the command they are given to.
struct SettingsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settings",
        abstract: "List every setting: its config-file key, its environment variable, and its value here.")

    @Option(
        help: ArgumentHelp("A JSON file of settings (as `serve --config`). Env: GATEHOUSE_CONFIG.", valueName: "file"))
    var config: String?

    func run() async throws {
        let settings: Settings
        do {
            settings = try await Settings.load(configFile: config)
        } catch let error as SettingsError {
            throw ValidationError(error.description)
        }
        var rows = [("key", "environment", "value")]
        for key in Settings.Key.allCases {
            let value: String
            if let text = try? settings.string(key) {
                value = text
            } else if let number = try? settings.int(key) {
                value = String(number)
            } else if let number = try? settings.double(key) {
                value = String(number)
            } else if let flag = try? settings.bool(key) {
                value = String(flag)
            } else if let list = try? settings.strings(key) {
                value = list.joined(separator: ",")
            } else {
                value = "-"
            }
            // A secret is never shown, whatever type it was given as.
            rows.append((key.rawValue, key.environmentName, key.isSecret && value != "-" ? "(set)" : value))
        }
        let keyWidth = rows.map(\.0.count).max() ?? 0
        let environmentWidth = rows.map(\.1.count).max() ?? 0
        for (key, environment, value) in rows {
            let paddedKey = key.padding(toLength: keyWidth, withPad: " ", startingAt: 0)
            let paddedEnvironment = environment.padding(toLength: environmentWidth, withPad: " ", startingAt: 0)
            print("\(paddedKey)  \(paddedEnvironment)  \(value)")
        }
    }
}
