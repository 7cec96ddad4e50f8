import ArgumentParser
import Foundation

/// `gatehouse passkeys list|remove`: the signed-in account's passkeys. Adding one needs an authenticator, so it is
/// done in a browser (the security page).
struct PasskeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "passkeys", abstract: "Your passkeys (add them on the security page in a browser).",
        subcommands: [List.self, Remove.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List passkeys.")

        func run() async throws {
            let stored = try StoredCredential.load()
            let (_, json) = try await stored.client.request(.GET, "/account/passkeys")
            let rows = (json as? [[String: Any]] ?? []).map { passkey -> [String] in
                [
                    passkey["id"] as? String ?? "", passkey["name"] as? String ?? "",
                    passkey["created_at"] as? String ?? "", passkey["last_used_at"] as? String ?? "never",
                    passkey["backup_state"] as? Bool == true ? "synced" : "this device only",
                ]
            }
            printTable(header: ["ID", "NAME", "CREATED", "LAST USED", "BACKED UP"], rows: rows)
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a passkey (asks for your password, and a code when two-factor sign-in is on).")
        @Argument(help: "The passkey's id, from `gatehouse passkeys list`.") var id: String

        func run() async throws {
            let stored = try StoredCredential.load()
            let password = readSecret(prompt: "Password: ")
            let code = readSecret(prompt: "Two-factor code (empty if it is off): ")
            var body: [String: Any] = ["password": password]
            if !code.isEmpty { body["code"] = code }
            _ = try await stored.client.request(.POST, "/session/reauthenticate", body: body)
            let encoded = id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? id
            _ = try await stored.client.request(.DELETE, "/account/passkeys/\(encoded)")
            print("Passkey \(id) removed. Your account's address was told.")
        }
    }
}
