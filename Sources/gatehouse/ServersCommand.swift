import ArgumentParser
import Foundation
import NIOHTTP1

/// `gatehouse servers`: the media servers you own or that are shared with you.
struct ServersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "servers",
        abstract: "Your media servers: list, claim, remove, share; accept or decline shares offered to you.",
        subcommands: [
            List.self, Claim.self, Remove.self, Share.self, Unshare.self, Accept.self, Decline.self, Token.self,
        ],
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
            let pending = object["pending"] as? [[String: Any]] ?? []
            if !pending.isEmpty {
                print("\nOffered to you (gatehouse servers accept ID, or decline ID):")
                printTable(
                    header: ["ID", "NAME", "FROM", "SECTIONS"],
                    rows: pending.map {
                        [
                            $0["server_id"] as? String ?? "", $0["name"] as? String ?? "",
                            $0["owner_username"] as? String ?? "",
                            ($0["sections"] as? [String] ?? []).joined(separator: ", "),
                        ]
                    })
            }
            let outgoing = object["outgoing"] as? [[String: Any]] ?? []
            if !outgoing.isEmpty {
                print("\nShared by you:")
                printTable(
                    header: ["SERVER", "WITH", "SECTION", "STATE"],
                    rows: outgoing.map {
                        [
                            $0["server_name"] as? String ?? "", $0["username"] as? String ?? "",
                            $0["section"] as? String ?? "", $0["state"] as? String ?? "",
                        ]
                    })
            }
        }
    }

    /// Runs a request that needs a recent re-authentication: on `reauthentication_required` it asks for the
    /// password (and code) once, confirms, and tries again.
    static func withConfirmation(
        _ stored: StoredCredential, _ method: HTTPMethod, _ path: String, body: [String: Any]? = nil
    ) async throws -> (Int, Any?) {
        do {
            return try await stored.client.request(method, path, body: body)
        } catch let error as HubClient.APIError where error.code == "reauthentication_required" {
            let password = readSecret(prompt: "Confirm it's you. Password: ")
            let code = readSecret(prompt: "Code from your authenticator app (empty if two-factor sign-in is off): ")
            var confirm: [String: Any] = ["password": password]
            if !code.isEmpty { confirm["code"] = code }
            _ = try await stored.client.request(.POST, "/session/reauthenticate", body: confirm)
            return try await stored.client.request(method, path, body: body)
        }
    }

    struct Accept: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Accept the share of server ID offered to you.")
        @Argument var id: String

        func run() async throws {
            _ = try await StoredCredential.load().client.request(.POST, "/servers/\(id)/accept")
            print("Accepted: \(id) is now shared with you.")
        }
    }

    struct Decline: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Decline the share of server ID offered to you.")
        @Argument var id: String

        func run() async throws {
            _ = try await StoredCredential.load().client.request(.POST, "/servers/\(id)/decline")
            print("Declined the share of \(id).")
        }
    }

    struct Claim: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Claim the media server that shows CODE.")
        @Argument var code: String

        func run() async throws {
            let stored = try StoredCredential.load()
            let (_, json) = try await ServersCommand.withConfirmation(
                stored, .POST, "/servers/claim", body: ["code": code])
            let server = json as? [String: Any] ?? [:]
            print("Claimed \(server["name"] as? String ?? "server") (\(server["id"] as? String ?? "?")).")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a server; its credential stops working.")
        @Argument var id: String

        func run() async throws {
            _ = try await ServersCommand.withConfirmation(StoredCredential.load(), .DELETE, "/servers/\(id)")
            print("Removed \(id).")
        }
    }

    struct Share: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Share library sections with another account.")
        @Argument var id: String
        @Option(name: .customLong("with"), help: "Username or email of the account.") var account: String
        @Option(name: .customLong("section"), help: "A section to share; repeatable.") var sections: [String]

        func run() async throws {
            _ = try await ServersCommand.withConfirmation(
                StoredCredential.load(), .POST, "/servers/\(id)/shares",
                body: ["account": account, "sections": sections])
            print("Offered \(sections.joined(separator: ", ")) to \(account); it counts once they accept.")
        }
    }

    struct Unshare: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take a share back (one section, or all).")
        @Argument var id: String
        @Option(name: .customLong("from"), help: "Username or email of the account.") var account: String
        @Option(help: "Only this section.") var section: String?

        func run() async throws {
            let query =
                section.map { "?section=" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "") }
                ?? ""
            let who = account.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? account
            _ = try await ServersCommand.withConfirmation(
                StoredCredential.load(), .DELETE, "/servers/\(id)/shares/\(who)\(query)")
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
