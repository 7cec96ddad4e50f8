import ArgumentParser
import Foundation

/// `gatehouse profiles`: the signed-in account's managed profiles (children, a shared TV), and switching this
/// command line to one. Switching hands the stored credential over: the holder's is revoked and replaced by the
/// profile session's, so getting back needs `gatehouse login` (password and second factor).
struct ProfilesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profiles", abstract: "Managed profiles: no e-mail, no password, an optional PIN, and limits.",
        subcommands: [List.self, Create.self, Edit.self, SetPIN.self, Delete.self, Switch.self],
        defaultSubcommand: List.self)

    static func restrictions(sections: String?, maxRating: String?, allow: String?, block: String?) -> [String: Any] {
        func list(_ text: String?) -> [String] {
            (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        var result: [String: Any] = ["allowed_labels": list(allow), "blocked_labels": list(block)]
        if let sections { result["sections"] = list(sections) }
        if let maxRating, !maxRating.isEmpty { result["max_rating"] = maxRating }
        return result
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the account's profiles.")

        func run() async throws {
            let stored = try StoredCredential.load()
            let (_, json) = try await stored.client.request(.GET, "/profiles")
            let rows = (json as? [[String: Any]] ?? []).map { entry -> [String] in
                let restrictions = entry["restrictions"] as? [String: Any] ?? [:]
                return [
                    entry["id"] as? String ?? "", entry["name"] as? String ?? "",
                    entry["has_pin"] as? Bool == true ? "yes" : "no",
                    restrictions["max_rating"] as? String ?? "-",
                    (restrictions["sections"] as? [String])?.joined(separator: ",") ?? "all",
                    (restrictions["allowed_labels"] as? [String] ?? []).joined(separator: ","),
                    (restrictions["blocked_labels"] as? [String] ?? []).joined(separator: ","),
                ]
            }
            printTable(
                header: ["ID", "NAME", "PIN", "MAX RATING", "SECTIONS", "ONLY LABELS", "NEVER LABELS"], rows: rows)
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a profile.")
        @Argument(help: "The profile's name, such as a child's.") var name: String
        @Option(
            name: .customLong("max-rating"),
            help: "Content-rating ceiling: TV-Y, TV-Y7, G, TV-G, PG, TV-PG, PG-13, TV-14, R, TV-MA, NC-17.")
        var maxRating: String?
        @Option(help: "Comma-separated sections it may see (default: all you can see).") var sections: String?
        @Option(help: "Comma-separated labels: only items with one of them.") var allow: String?
        @Option(help: "Comma-separated labels: never items with any of them.") var block: String?
        @Flag(help: "Ask for a PIN (4 to 6 digits) to protect switching to the profile.") var pin = false

        func run() async throws {
            let stored = try StoredCredential.load()
            var body: [String: Any] = [
                "name": name,
                "restrictions": ProfilesCommand.restrictions(
                    sections: sections, maxRating: maxRating, allow: allow, block: block),
            ]
            if pin { body["pin"] = readSecret(prompt: "PIN for \(name): ") }
            let (_, json) = try await stored.client.request(.POST, "/profiles", body: body)
            let object = json as? [String: Any] ?? [:]
            print("Profile \(object["id"] as? String ?? "") (\(object["name"] as? String ?? name)) created.")
        }
    }

    struct Edit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rename a profile and replace its restrictions (its sessions are signed out when they change).")
        @Argument var id: String
        @Option(help: "New name (default: unchanged).") var name: String?
        @Option(name: .customLong("max-rating"), help: "Content-rating ceiling (empty: none).") var maxRating: String?
        @Option(help: "Comma-separated sections (omit: all you can see).") var sections: String?
        @Option(help: "Comma-separated labels: only items with one of them.") var allow: String?
        @Option(help: "Comma-separated labels: never items with any of them.") var block: String?

        func run() async throws {
            let stored = try StoredCredential.load()
            let (_, current) = try await stored.client.request(.GET, "/profiles")
            guard let existing = (current as? [[String: Any]] ?? []).first(where: { $0["id"] as? String == id }) else {
                throw ValidationError("No such profile.")
            }
            let body: [String: Any] = [
                "name": name ?? existing["name"] as? String ?? "",
                "restrictions": ProfilesCommand.restrictions(
                    sections: sections, maxRating: maxRating, allow: allow, block: block),
            ]
            _ = try await stored.client.request(.PUT, "/profiles/\(id)", body: body)
            print("Profile \(id) saved.")
        }
    }

    struct SetPIN: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-pin", abstract: "Set a profile's PIN (or remove it with --clear).")
        @Argument var id: String
        @Flag(help: "Remove the PIN.") var clear = false

        func run() async throws {
            let stored = try StoredCredential.load()
            let body: [String: Any] = clear ? ["pin": NSNull()] : ["pin": readSecret(prompt: "New PIN: ")]
            _ = try await stored.client.request(.PUT, "/profiles/\(id)/pin", body: body)
            print(clear ? "PIN removed." : "PIN set.")
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a profile and sign out its sessions.")
        @Argument var id: String

        func run() async throws {
            let stored = try StoredCredential.load()
            _ = try await stored.client.request(.DELETE, "/profiles/\(id)")
            print("Profile \(id) deleted.")
        }
    }

    struct Switch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Switch this command line to a profile (asks for its PIN). Back to you: gatehouse login.")
        @Argument var id: String

        func run() async throws {
            var stored = try StoredCredential.load()
            let pin = readSecret(prompt: "PIN (empty if the profile has none): ")
            let (_, json) = try await stored.client.request(
                .POST, "/profiles/\(id)/switch", body: pin.isEmpty ? [:] : ["pin": pin])
            let object = json as? [String: Any] ?? [:]
            guard let token = object["token"] as? String, let device = object["device_id"] as? String else {
                throw ValidationError("The hub did not return a profile session.")
            }
            stored.token = token
            stored.deviceID = device
            try stored.save()
            let profile = object["profile"] as? [String: Any] ?? [:]
            print("This command line is now the profile \(profile["name"] as? String ?? id).")
            print("Your own credential here was signed out; run gatehouse login to come back.")
        }
    }
}
