import ArgumentParser
import Foundation
import GatehouseCore
import GatehouseHub

/// `gatehouse clients add|list|remove`: the public OAuth clients (TV and console apps) that may sign in with a
/// device code on `/link`. Operators' command: opens the hub's database directly.
struct ClientsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clients", abstract: "Apps allowed to sign in with a device code (/link).",
        subcommands: [Add.self, List.self, Remove.self], defaultSubcommand: List.self)

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register a public client.")
        @OptionGroup var hub: HubOptions
        @Argument(help: "The client_id the app sends (letters, digits and punctuation, at most 64).") var clientID:
            String
        @Option(help: "The name shown on /link.") var name: String
        @Option(help: "A PNG or JPEG logo (at most 32 KiB), shown on /link.") var logo: String?

        func run() async throws {
            var logoURL: String?
            if let logo {
                guard let data = FileManager.default.contents(atPath: logo) else {
                    throw ValidationError("cannot read \(logo)")
                }
                guard data.count <= 32 * 1024 else { throw ValidationError("the logo is larger than 32 KiB") }
                let bytes = Array(data.prefix(8))
                let type: String
                if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) {
                    type = "image/png"
                } else if bytes.starts(with: [0xFF, 0xD8, 0xFF]) {
                    type = "image/jpeg"
                } else {
                    throw ValidationError("the logo must be a PNG or JPEG file")
                }
                logoURL = "data:\(type);base64," + data.base64EncodedString()
            }
            try await withRuntime(hub) { runtime in
                do {
                    let client = try await runtime.services.deviceGrant.registerClient(
                        id: clientID, name: name, logo: logoURL)
                    print("registered \(client.id) (\(client.name))")
                } catch let error as DeviceGrantService.OAuthError {
                    throw ValidationError(error.description)
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List clients.")
        @OptionGroup var hub: HubOptions

        func run() async throws {
            try await withRuntime(hub) { runtime in
                let formatter = ISO8601DateFormatter()
                for client in try await runtime.services.deviceGrant.clients() {
                    let added = client.isBuiltIn ? "built in" : "added " + formatter.string(from: client.createdAt)
                    print([client.id, client.name, added, client.logo == nil ? "" : "logo"].joined(separator: "\t"))
                }
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Remove a client: it can no longer start device-code sign-ins (devices it signed in stay signed in).")
        @OptionGroup var hub: HubOptions
        @Argument var clientID: String

        func run() async throws {
            try await withRuntime(hub) { runtime in
                guard try await runtime.services.deviceGrant.removeClient(id: clientID) else {
                    throw ValidationError("no registered client \(clientID)")
                }
                print("removed \(clientID)")
            }
        }
    }
}
