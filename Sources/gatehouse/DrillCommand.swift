import ArgumentParser
import Foundation
import GatehouseHub
import Logging

/// `gatehouse drill`: what would an attacker holding a copy of the database (and not the keyring) get?
struct DrillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drill",
        abstract: "Rehearse a database breach on a copy: crack, replay and scan as an attacker without the keyring.",
        discussion: """
            Copies the SQLite file (a backup, or the live file with its WAL) to a temporary folder and never writes \
            to the original. Exits 1 when the attacker would get anything.
            """)

    @Option(help: "The SQLite database file to copy and attack.") var database: String
    @Option(help: "How many of the most common passwords to try.") var guesses: Int = 10_000
    @Option(help: "Seconds of Argon2 work for peppered hashes (hashes without a pepper always get every guess).")
    var budget: Double = 60

    func run() async throws {
        var logger = Logger(label: "gatehouse.drill")
        logger.logLevel = .error
        let path = database.hasPrefix("sqlite:") ? String(database.dropFirst("sqlite:".count)) : database
        let report = try await BreachDrill(source: path, guesses: guesses, budget: budget, logger: logger).run()
        print("Breach drill on a copy of \(path)\n")
        for line in report.lines {
            print(
                line.check.padding(toLength: 48, withPad: " ", startingAt: 0) + " " + line.tried
                    + "  found: \(line.found)  (" + String(format: "%.1f s", line.seconds) + ")")
        }
        print("")
        if report.findings.isEmpty {
            print(
                String(format: "An attacker with this file and not the keyring gets: nothing. (%.1f s)", report.seconds)
            )
        } else {
            print("An attacker with this file and not the keyring gets:")
            for finding in report.findings { print("  - \(finding)") }
            throw ExitCode(1)
        }
    }
}
