import ArgumentParser
import Foundation

/// `gatehouse servers`: the media servers you own or that are shared with you.
struct ServersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "servers", abstract: "Your media servers: list, claim, remove, share.",
        subcommands: [List.self, Claim.self, Remove.self, Share.self, Unshare.self, Token.self],
        defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List servers you own and servers shared with you.")

        func run() async throws {
            let stored = try StoredCredential.load()
            let (_, json) = try await stored.client.request(.GET, "/servers")
            let object = json as? [String: Any] ?? [:]
            var rows: [[String]] = []
            for (kind, key) in [("owned", "owned"), ("shared", "shared")] {
                for server in object[key] as? [[String: Any]] ?? [] {
                    rows.append([
                        server["id"] as? String ?? "", server["name"] as? String ?? "", kind,
                        server["version"] as? String ?? "", server["platform"] as? String ?? "",
                        server["last_seen_at"] as? String ?? "",
                    ])
                }
            }
            printTable(header: ["ID", "NAME", "", "VERSION", "PLATFORM", "LAST SEEN"], rows: rows)
        }
    }

    struct Claim: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Claim the media server that shows CODE.")
        @Argument var code: String

        func run() async throws {
            let stored = try StoredCredential.load()
            let (_, json) = try await stored.client.request(.POST, "/servers/claim", body: ["code": code])
            let server = json as? [String: Any] ?? [:]
            print("Claimed \(server["name"] as? String ?? "server") (\(server["id"] as? String ?? "?")).")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a server; its credential stops working.")
        @Argument var id: String

        func run() async throws {
            _ = try await StoredCredential.load().client.request(.DELETE, "/servers/\(id)")
            print("Removed \(id).")
        }
    }

    struct Share: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Share library sections with another account.")
        @Argument var id: String
        @Option(name: .customLong("with"), help: "Username or email of the account.") var account: String
        @Option(name: .customLong("section"), help: "A section to share; repeatable.") var sections: [String]

        func run() async throws {
            _ = try await StoredCredential.load().client.request(
                .POST, "/servers/\(id)/shares", body: ["account": account, "sections": sections])
            print("Shared \(sections.joined(separator: ", ")) with \(account).")
        }
    }

    struct Unshare: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take a share back (one section, or all).")
        @Argument var id: String
        @Option(name: .customLong("from"), help: "Username or email of the account.") var account: String
        @Option(help: "Only this section.") var section: String?

        func run() async throws {
            let query = section.map { "?section=" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "") } ?? ""
            let who = account.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? account
            _ = try await StoredCredential.load().client.request(.DELETE, "/servers/\(id)/shares/\(who)\(query)")
            print("Share taken back from \(account).")
        }
    }

    struct Token: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a five-minute access token for a server.")
        @Argument var id: String

        func run() async throws {
            let (_, json) = try await StoredCredential.load().client.request(.POST, "/servers/\(id)/token")
            print((json as? [String: Any])?["token"] as? String ?? "")
        }
    }
}
