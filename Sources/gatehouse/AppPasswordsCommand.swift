import ArgumentParser
import Foundation

/// `gatehouse app-passwords`: app passwords of the signed-in account, for apps that speak only username and
/// password. Creating one confirms the password first (the hub asks for a recent re-authentication).
struct AppPasswordsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "app-passwords", abstract: "App passwords for apps that can only send a username and password.",
        subcommands: [List.self, Create.self, Revoke.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List app passwords with their last use.")

        func run() async throws {
            let stored = try StoredCredential.load()
            let (_, json) = try await stored.client.request(.GET, "/account/app-passwords")
            let rows = (json as? [[String: Any]] ?? []).map { entry -> [String] in
                [
                    entry["id"] as? String ?? "", entry["name"] as? String ?? "",
                    (entry["scopes"] as? [String] ?? []).joined(separator: ","),
                    entry["last_used_at"] as? String ?? "never",
                    entry["last_used_address"] as? String ?? "",
                    (entry["expired"] as? Bool == true ? "expired " : "") + (entry["expires_at"] as? String ?? ""),
                ]
            }
            printTable(header: ["ID", "NAME", "SCOPES", "LAST USED", "FROM", "EXPIRES"], rows: rows)
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an app password (shown once). Asks for your password first.")
        @Argument(help: "A name to recognise it by, such as the app's.") var name: String
        @Option(help: "Comma-separated scopes: media (media-server tokens only), account:read (read-only account API).")
        var scopes: String = "media"
        @Option(help: "Days until it expires (1 to 730).") var days: Int = 365

        func run() async throws {
            let stored = try StoredCredential.load()
            let password = readSecret(prompt: "Password: ")
            let code = readSecret(prompt: "Code from your authenticator app (empty if two-factor sign-in is off): ")
            var confirm: [String: Any] = ["password": password]
            if !code.isEmpty { confirm["code"] = code }
            _ = try await stored.client.request(.POST, "/session/reauthenticate", body: confirm)
            let list = scopes.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let (_, json) = try await stored.client.request(
                .POST, "/account/app-passwords", body: ["name": name, "scopes": list, "lifetime_days": days])
            let object = json as? [String: Any] ?? [:]
            let created = object["app_password"] as? [String: Any] ?? [:]
            print("App password \(created["id"] as? String ?? "") created. It is shown this once:")
            print("  \(object["password"] as? String ?? "")")
            print(
                "Use it with your username (\(stored.username)) in the app. It expires \(created["expires_at"] as? String ?? "")."
            )
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke one app password.")
        @Argument var id: String

        func run() async throws {
            let stored = try StoredCredential.load()
            _ = try await stored.client.request(.DELETE, "/account/app-passwords/\(id)")
            print("App password \(id) revoked.")
        }
    }
}
