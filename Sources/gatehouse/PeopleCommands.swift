import ArgumentParser
import AsyncHTTPClient
import Foundation
import QRCode

struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login", abstract: "Sign in to a hub; the device credential is kept in your config folder.")

    @Option(help: "The hub's URL.") var hub: String = "http://localhost:8080"
    @Option(help: "Username or email (asked when missing).") var user: String?
    @Option(help: "A name for this device.") var deviceName: String?
    @Flag(
        help:
            "Sign in without a password here: show a code (and a QR code) to approve at HUB/link on a signed-in browser."
    )
    var device = false

    func run() async throws {
        var base = hub
        while base.hasSuffix("/") { base.removeLast() }
        if device {
            try await DeviceCodeLogin(base: base, deviceName: deviceName).run()
            return
        }
        let identifier =
            user
            ?? {
                FileHandle.standardError.write(Data("Username or email: ".utf8)); return readLine() ?? ""
            }()
        let password = readSecret(prompt: "Password: ")
        let host = ProcessInfo.processInfo.hostName
        // The hub recognises this device by the known-device secret it issued, never by anything we choose.
        var device: [String: Any] = [
            "client_identifier": "cli-" + UUID().uuidString, "name": deviceName ?? "gatehouse CLI on \(host)",
            "product": "gatehouse CLI", "version": "1", "platform": "Linux",
        ]
        if let previous = try? StoredCredential.load(), previous.hub == base, let known = previous.knownDeviceToken {
            device["known_device_token"] = known
        }
        let client = HubClient(baseURL: base, token: nil)
        var (_, json) = try await client.request(
            .POST, "/sessions", body: ["identifier": identifier, "password": password, "device": device])
        if let challenge = (json as? [String: Any])?["challenge"] as? String {
            let methods = (json as? [String: Any])?["methods"] as? [String] ?? []
            let code = readSecret(
                prompt: methods == ["email_code"]
                    ? "This device is new to the account: enter the code we mailed you: "
                    : "Code from your authenticator app (or a recovery code): ")
            (_, json) = try await client.request(
                .POST, "/sessions/second-factor", body: ["challenge": challenge, "code": code])
        }
        guard let object = json as? [String: Any], let token = object["token"] as? String,
            let deviceObject = object["device"] as? [String: Any], let deviceID = deviceObject["id"] as? String,
            let account = object["account"] as? [String: Any]
        else { throw ValidationError("unexpected answer from the hub") }
        let username = account["username"] as? String ?? identifier
        try StoredCredential(
            hub: base, token: token, deviceID: deviceID, username: username,
            knownDeviceToken: object["known_device_token"] as? String
        ).save()
        print("Signed in as \(username). Credential saved to \(StoredCredential.path)")
    }
}

struct WhoamiCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "whoami", abstract: "Show the signed-in account.")

    func run() async throws {
        let stored = try StoredCredential.load()
        let (_, json) = try await stored.client.request(.GET, "/account")
        let account = json as? [String: Any] ?? [:]
        print("\(account["username"] ?? "?") <\(account["email"] ?? "?")> on \(stored.hub)")
        if account["email_verified"] as? Bool == false { print("email not yet verified") }
    }
}

struct LogoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logout", abstract: "Sign this device out.")

    func run() async throws {
        let stored = try StoredCredential.load()
        _ = try? await stored.client.request(.DELETE, "/session")
        StoredCredential.remove()
        print("Signed out.")
    }
}

struct DevicesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices", abstract: "Your signed-in devices.",
        subcommands: [List.self, Revoke.self, SignOutAll.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List devices.")

        func run() async throws {
            let stored = try StoredCredential.load()
            let (_, json) = try await stored.client.request(.GET, "/devices")
            let rows = (json as? [[String: Any]] ?? []).map { device -> [String] in
                [
                    (device["current"] as? Bool == true ? "* " : "  ") + (device["id"] as? String ?? ""),
                    device["name"] as? String ?? "", device["product"] as? String ?? "",
                    device["platform"] as? String ?? "", device["ip_address"] as? String ?? "",
                    device["last_seen_at"] as? String ?? "", device["expires_at"] as? String ?? "",
                ]
            }
            printTable(header: ["  ID", "NAME", "PRODUCT", "PLATFORM", "IP", "LAST SEEN", "EXPIRES"], rows: rows)
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sign out one device.")
        @Argument var id: String

        func run() async throws {
            let stored = try StoredCredential.load()
            _ = try await stored.client.request(.DELETE, "/devices/\(id)")
            print("Device \(id) signed out.")
        }
    }

    struct SignOutAll: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sign-out-all", abstract: "Sign out every device (this one too with --include-this).")
        @Flag var includeThis = false

        func run() async throws {
            let stored = try StoredCredential.load()
            let (_, json) = try await stored.client.request(
                .POST, "/devices/sign-out-all", body: ["keep_current": !includeThis])
            let count = (json as? [String: Any])?["signed_out"] as? Int ?? 0
            print("\(count) devices signed out.")
            if includeThis { StoredCredential.remove() }
        }
    }
}

struct TwoFactorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "2fa", abstract: "Two-factor sign-in.", subcommands: [Enable.self, Disable.self])

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Turn on TOTP: scan the code, enter a code.")

        func run() async throws {
            let stored = try StoredCredential.load()
            let (_, json) = try await stored.client.request(.POST, "/account/2fa/totp")
            let object = json as? [String: Any] ?? [:]
            let uri = object["uri"] as? String ?? ""
            let code = try QRCode(text: uri, correction: .medium)
            print(code.terminalText())
            print("Scan this with your authenticator app, or enter the secret: \(object["secret"] as? String ?? "")")
            let first = readSecret(prompt: "Code shown by the app: ")
            let (_, confirmed) = try await stored.client.request(
                .POST, "/account/2fa/totp/confirm", body: ["code": first])
            let codes = (confirmed as? [String: Any])?["recovery_codes"] as? [String] ?? []
            print("Two-factor sign-in is on. Keep these recovery codes somewhere safe; each works once:")
            for recovery in codes { print("  \(recovery)") }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Turn two-factor sign-in off (asks to confirm).")

        func run() async throws {
            let stored = try StoredCredential.load()
            let password = readSecret(prompt: "Password: ")
            let code = readSecret(prompt: "Code from your authenticator app: ")
            _ = try await stored.client.request(
                .POST, "/session/reauthenticate", body: ["password": password, "code": code])
            _ = try await stored.client.request(.DELETE, "/account/2fa")
            print("Two-factor sign-in is off.")
        }
    }
}

func printTable(header: [String], rows: [[String]]) {
    let all = [header] + rows
    let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
    for row in all {
        print(
            row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(
                separator: "  "))
    }
}
