import ArgumentParser
import Foundation
import GatehouseCore
import GatehouseHub
import GatehouseStore
import QRCode

/// Runs `body` on an opened hub runtime and closes it afterwards.
func withRuntime<T>(_ options: HubOptions, _ body: (HubRuntime) async throws -> T) async throws -> T {
    let settings = try await options.settings()
    let logger = try HubOptions.makeLogger(settings: settings, quiet: true)
    let runtime = try await HubRuntime.open(configuration: HubOptions.configuration(from: settings), logger: logger)
    do {
        let value = try await body(runtime)
        await runtime.shutdown()
        return value
    } catch {
        await runtime.shutdown()
        throw error
    }
}

/// Reads a line from the terminal without echo (or from standard input when it is not a terminal).
func readSecret(prompt: String) -> String {
    FileHandle.standardError.write(Data(prompt.utf8))
    var settings = termios()
    let isTerminal = isatty(STDIN_FILENO) == 1 && tcgetattr(STDIN_FILENO, &settings) == 0
    if isTerminal {
        var quiet = settings
        quiet.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet)
    }
    let line = readLine(strippingNewline: true) ?? ""
    if isTerminal {
        tcsetattr(STDIN_FILENO, TCSANOW, &settings)
        FileHandle.standardError.write(Data("\n".utf8))
    }
    return line
}

struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin", abstract: "Operator tasks on accounts.",
        subcommands: [Create.self, FlagReset.self, SignOut.self, RecoveryLink.self])

    struct RecoveryLink: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "recovery-link",
            abstract: "A one-time link (and QR code) for a member who lost their mailbox: valid at most 24 hours; "
                + "it needs the member's second factor when they have one.")
        @OptionGroup var hub: HubOptions
        @Option(help: "The admin issuing it (username or e-mail).") var by: String
        @Option(help: "Hours it stays valid (at most 24).") var hours: Double = 24
        @Argument(help: "The member (username or e-mail).") var member: String

        func run() async throws {
            try await withRuntime(hub) { runtime in
                guard let admin = try await runtime.services.accounts.find(identifier: by) else {
                    throw ValidationError("no account \(by)")
                }
                let issued = try await runtime.services.recoveryLinks.issue(
                    for: member, by: admin, device: nil, lifetime: hours * 3_600, caller: Caller(ipAddress: "operator"))
                if let code = try? QRCode(text: issued.link, correction: .medium) { print(code.terminalText()) }
                print(issued.link)
                print(
                    "for \(issued.account.username), valid until \(ISO8601DateFormatter().string(from: issued.expiresAt)); "
                        + "shown once: hand it over in person or by a channel you trust")
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an admin account (password from the terminal or standard input).")
        @OptionGroup var hub: HubOptions
        @Option var username: String
        @Option var email: String

        func run() async throws {
            let password = readSecret(prompt: "Password for \(username): ")
            try await withRuntime(hub) { runtime in
                guard
                    let account = try await runtime.services.accounts.register(
                        username: username, email: email, password: password, caller: Caller(ipAddress: "operator"),
                        role: .admin)
                else { throw ValidationError("no account was created") }
                print("created admin \(account.username) (\(account.id)); a verification mail was queued")
            }
        }
    }

    struct FlagReset: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "flag-reset", abstract: "Require a password reset for one account and sign it out.")
        @OptionGroup var hub: HubOptions
        @Argument var account: String

        func run() async throws {
            try await withRuntime(hub) { runtime in
                let incident = try await runtime.services.incidents.declare(
                    reason: "An administrator required a password reset.", forceReset: [account], signOutAll: true,
                    notify: true, banner: nil, by: .console, caller: Caller(ipAddress: "operator"))
                let done = try await runtime.services.incidents.run(incidentID: incident.id)
                _ = try await runtime.services.incidents.resolve(id: done.id)
                print("\(account): reset required, signed out, notified")
            }
        }
    }

    struct SignOut: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sign-out", abstract: "Sign out every device of one account.")
        @OptionGroup var hub: HubOptions
        @Argument var account: String

        func run() async throws {
            try await withRuntime(hub) { runtime in
                guard let found = try await runtime.services.accounts.find(identifier: account) else {
                    throw ValidationError("no account \(account)")
                }
                let count = try await runtime.services.devices.signOutAll(
                    of: found, by: .console, caller: Caller(ipAddress: "operator"))
                print("\(account): \(count) devices signed out")
            }
        }
    }
}

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "The security log.", subcommands: [Verify.self, Checkpoint.self, Export.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the hash chains of the security log (and against a signed checkpoint).")
        @OptionGroup var hub: HubOptions
        @Option(help: "Only this account (username or email).") var account: String?
        @Option(
            help: ArgumentHelp(
                "A signed checkpoint: a file written by `audit checkpoint --out`, or `latest` (the newest stored one). "
                    + "Catches edited, deleted or truncated entries even where the chain was recomputed.",
                valueName: "FILE|latest"))
        var checkpoint: String?

        func run() async throws {
            if let checkpoint {
                guard account == nil else { throw ValidationError("--checkpoint checks every chain; drop --account") }
                try await verifyAgainst(checkpoint)
                return
            }
            let broken = try await withRuntime(hub) { runtime -> Int in
                var only: [String]?
                if let account {
                    guard let found = try await runtime.services.accounts.find(identifier: account) else {
                        throw ValidationError("no account \(account)")
                    }
                    only = [found.id]
                }
                let result = try await AuditCheckpointService(environment: runtime.services.environment)
                    .verifyChains(only)
                for (chain, problem) in result.broken { print("BROKEN chain \(chain): \(problem)") }
                print("\(result.chains) chains, \(result.events) events, \(result.broken.count) broken")
                return result.broken.count
            }
            if broken > 0 { throw ExitCode(1) }
        }
    }

    struct Checkpoint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign the heads of every audit chain now and store the checkpoint (the hub also does it hourly).")
        @OptionGroup var hub: HubOptions
        @Option(help: "Also write the signed checkpoint to this file (keep copies off the hub's machine).")
        var out: String?

        func run() async throws {
            try await withRuntime(hub) { runtime in
                let checkpoint = try await AuditCheckpointService(environment: runtime.services.environment).write()
                if let out {
                    guard FileManager.default.createFile(atPath: out, contents: Data(checkpoint.note.utf8)) else {
                        throw ValidationError("cannot write \(out)")
                    }
                }
                print(
                    "checkpoint signed by \(checkpoint.keyID): \(checkpoint.heads.count) chains, \(checkpoint.size) events"
                )
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the log as JSON lines.")
        @OptionGroup var hub: HubOptions

        func run() async throws {
            try await withRuntime(hub) { runtime in
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                encoder.dateEncodingStrategy = .iso8601
                try await runtime.services.audit.exportAll { event in
                    print(String(decoding: try encoder.encode(event), as: UTF8.self))
                }
            }
        }
    }
}

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "The hub's keyring.",
        subcommands: [Rotate.self, Retire.self, Reseal.self, List.self, Export.self, Import.self])

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add new pepper, data and signing keys; old ones stay for verification. Restart the hub after.")
        @OptionGroup var hub: HubOptions

        func run() async throws {
            let path = try await hub.configuration().resolvedKeyringPath
            var ring = try Keyring.load(from: path)
            ring.rotate()
            try ring.save(to: path)
            print(
                "rotated: pepper \(ring.currentPepper.id), data \(ring.currentDataKey.id), signing \(ring.currentSigningKey.id)"
            )
        }
    }

    struct Retire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Remove a key for good once nothing needs it (signing keys: oldest first). Restart the hub after.",
            discussion: """
                A retired signing key is no longer published, so media servers stop trusting tokens signed with it \
                when they next read the hub's keys (at once when the restarted hub reconnects their revocation \
                stream). Retire a signing key only after every media server has been online since the rotation. \
                A pepper is refused while password hashes still use it; a data key while sealed values do (run \
                `gatehouse keys reseal` first). The first pepper (the root of derived keys) and the current keys never retire.
                """)
        @OptionGroup var hub: HubOptions
        @Argument(help: "The key id (see `gatehouse keys list`); `oldest-signing` for the oldest signing key.")
        var id: String

        func run() async throws {
            let path = try await hub.configuration().resolvedKeyringPath
            var ring = try Keyring.load(from: path)
            let target = id == "oldest-signing" ? ring.signingKeys[0].id : id
            guard let kind = ring.kind(of: target) else {
                throw ValidationError(Keyring.RetireRefusal.unknown(target).description)
            }
            var inUse = 0
            if kind != .signing {
                inUse = try await withRuntime(hub) { runtime in
                    try await runtime.store.valuesUsingKey(target, kind: kind)
                }
            }
            do {
                try ring.retire(id: target, valuesInUse: inUse)
            } catch {
                FileHandle.standardError.write(Data((error.description + "\n").utf8))
                throw ExitCode(1)
            }
            try ring.save(to: path)
            print("retired \(kind.rawValue) key \(target); restart the hub")
        }
    }

    struct Reseal: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-seal every two-factor secret under the current data key (so older data keys can retire).")
        @OptionGroup var hub: HubOptions

        func run() async throws {
            let count = try await withRuntime(hub) { runtime in
                try await runtime.store.resealTwoFactorSecrets(keyring: runtime.keyring)
            }
            print("re-sealed \(count) two-factor secrets")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List key ids (never the keys).")
        @OptionGroup var hub: HubOptions

        func run() async throws {
            let ring = try await Keyring.load(from: hub.configuration().resolvedKeyringPath)
            print("peppers: \(ring.peppers.map(\.id).joined(separator: ", ")) (current \(ring.currentPepper.id))")
            print("data keys: \(ring.dataKeys.map(\.id).joined(separator: ", "))")
            print("signing keys: \(ring.signingKeys.map(\.id).joined(separator: ", "))")
            if let retired = ring.retiredIDs, !retired.isEmpty {
                print("retired: \(retired.joined(separator: ", "))")
            }
        }
    }
}

extension AuditCommand.Verify {
    func verifyAgainst(_ source: String) async throws {
        let ok = try await withRuntime(hub) { runtime -> Bool in
            let service = AuditCheckpointService(environment: runtime.services.environment)
            let note: String
            if source == "latest" {
                guard let latest = try await service.latest() else {
                    throw ValidationError("no checkpoint is stored yet; run `gatehouse audit checkpoint`")
                }
                note = latest
            } else {
                guard let data = FileManager.default.contents(atPath: source),
                    data.count <= AuditCheckpoint.maximumNoteBytes
                else { throw ValidationError("cannot read checkpoint \(source)") }
                note = String(decoding: data, as: UTF8.self)
            }
            let report: AuditCheckpointService.Report
            do {
                report = try await service.verify(note: note)
            } catch let failure as AuditCheckpoint.Failure {
                print("BROKEN checkpoint: \(failure)")
                return false
            }
            for problem in report.problems { print("BROKEN \(problem)") }
            let signed = Date(timeIntervalSince1970: TimeInterval(report.checkpoint.time))
            print(
                "checkpoint of \(ISO8601DateFormatter().string(from: signed)) signed by \(report.checkpoint.keyID): "
                    + "\(report.checkpoint.heads.count) chains, \(report.checkpoint.size) events; now \(report.chains) "
                    + "chains, \(report.events) events, \(report.problems.count) problems")
            return report.problems.isEmpty
        }
        if !ok { throw ExitCode(1) }
    }
}
