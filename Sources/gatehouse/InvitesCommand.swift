import ArgumentParser
import Foundation
import GatehouseCore
import GatehouseHub
import QRCode

/// `gatehouse invites create|list|revoke`: the operators' side of invitations, on the hub's database (like
/// `gatehouse admin`). The same ``InvitationService`` rules as the page and the API; the acting account is named
/// with `--by` (an admin, or a member when the hub lets members invite).
struct InvitesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invites", abstract: "Invitations to join the hub.",
        subcommands: [Create.self, List.self, Revoke.self])

    static func inviter(_ runtime: HubRuntime, _ username: String) async throws -> Account {
        guard let account = try await runtime.services.accounts.find(identifier: username) else {
            throw ValidationError("no account \(username)")
        }
        return account
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make an invitation; prints the link (once) and a QR code of it.")
        @OptionGroup var hub: HubOptions
        @Option(help: "The inviting account (username or e-mail).") var by: String
        @Option(help: "How many accounts it can create (1-100).") var uses = 1
        @Option(help: "Days until it expires (at most 30).") var expiresInDays: Double = 7
        @Option(help: "Bind it to this address.") var email: String?
        @Flag(help: "Mail the link to --email.") var send = false
        @Option(
            help: ArgumentHelp(
                "Share a section of one of the inviter's servers on joining; repeatable.",
                valueName: "server-id:section"))
        var share: [String] = []
        @Flag(help: "Print the link only (no QR code).") var noQr = false

        func run() async throws {
            let shares = try share.map { text -> InvitationShare in
                guard let colon = text.firstIndex(of: ":") else {
                    throw ValidationError("--share is SERVER_ID:SECTION")
                }
                return InvitationShare(
                    serverID: String(text[..<colon]), section: String(text[text.index(after: colon)...]))
            }
            try await withRuntime(hub) { runtime in
                let inviter = try await InvitesCommand.inviter(runtime, by)
                let created = try await runtime.services.invitations.create(
                    by: inviter, device: nil, maxUses: uses, lifetime: expiresInDays * 86_400, email: email,
                    shares: shares, send: send, caller: Caller(ipAddress: "operator"))
                if !noQr, let code = try? QRCode(text: created.link, correction: .medium) {
                    print(code.terminalText())
                }
                print(created.link)
                let formatter = ISO8601DateFormatter()
                print(
                    "invitation \(created.invitation.id): \(uses) uses, expires \(formatter.string(from: created.invitation.expiresAt))"
                        + (send ? ", mailed to \(email ?? "")" : ""))
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List invitations (all of them for an admin).")
        @OptionGroup var hub: HubOptions
        @Option(help: "The account asking (username or e-mail).") var by: String

        func run() async throws {
            try await withRuntime(hub) { runtime in
                let account = try await InvitesCommand.inviter(runtime, by)
                let now = runtime.services.environment.clock.now()
                let formatter = ISO8601DateFormatter()
                for invitation in try await runtime.services.invitations.list(for: account) {
                    let state =
                        invitation.revokedAt != nil
                        ? "revoked"
                        : invitation.uses >= invitation.maxUses
                            ? "used-up" : invitation.expiresAt <= now ? "expired" : "live"
                    print(
                        "\(invitation.id)  \(state)  \(invitation.uses)/\(invitation.maxUses)  "
                            + "expires \(formatter.string(from: invitation.expiresAt))  \(invitation.email ?? "anyone")"
                    )
                }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an invitation; its link stops working.")
        @OptionGroup var hub: HubOptions
        @Option(help: "The account asking (username or e-mail).") var by: String
        @Argument var id: String

        func run() async throws {
            try await withRuntime(hub) { runtime in
                let account = try await InvitesCommand.inviter(runtime, by)
                try await runtime.services.invitations.revoke(
                    id: id, by: account, device: nil, caller: Caller(ipAddress: "operator"))
                print("revoked \(id)")
            }
        }
    }
}
