import ArgumentParser
import Foundation
import GatehouseCore
import GatehouseHub

/// `gatehouse canary create|list`: accounts nobody uses, whose use means a copy of the database is in use.
struct CanaryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "canary", abstract: "Canary accounts: any use of one alerts the operators.",
        subcommands: [Create.self, List.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make canary accounts that look like the others (verified address, a real password hash).")
        @OptionGroup var hub: HubOptions
        @Option(help: "How many (1-100).") var count: Int = 3
        @Option(help: "Mail domain of their addresses; one whose mailbox you watch is best.") var domain: String

        func run() async throws {
            try await withRuntime(hub) { runtime in
                let made = try await CanaryService(environment: runtime.services.environment).create(
                    count: count, domain: domain)
                for account in made { print("\(account.username)\t\(account.email)") }
                print("\(made.count) canary accounts made; admins are mailed when one is used")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the canary accounts (needs the keyring).")
        @OptionGroup var hub: HubOptions

        func run() async throws {
            try await withRuntime(hub) { runtime in
                for account in try await CanaryService(environment: runtime.services.environment).allCanaries() {
                    print("\(account.username)\t\(account.email)")
                }
            }
        }
    }
}
