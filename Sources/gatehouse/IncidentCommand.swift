import ArgumentParser
import Foundation
import GatehouseCore
import GatehouseHub

struct IncidentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "incident", abstract: "Declare and follow security incidents.",
        subcommands: [Declare.self, Resume.self, List.self, Status.self, Resolve.self])

    struct Declare: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Flag accounts for reset, sign everyone out, mail notices and show a banner, in resumable batches.")
        @OptionGroup var hub: HubOptions
        @Option(help: "What happened, as the notice mail says it.") var reason: String
        @Option(
            parsing: .upToNextOption,
            help: "Accounts that must reset their password: 'all' or usernames/emails.")
        var forceReset: [String] = []
        @Flag(help: "Sign out every device of the affected accounts.") var signOutAll = false
        @Flag(help: "Mail a notice to every affected account.") var notify = false
        @Option(help: "A banner for apps and pages.") var banner: String?
        @Option(help: "Accounts per transaction.") var batchSize = 1_000
        @Option(help: "Resume this incident instead of declaring a new one (what `incident resume` does).")
        var resume: String?

        func run() async throws {
            try await withRuntime(hub) { runtime in
                let service = runtime.services.incidents
                let id: String
                if let resume {
                    id = resume
                } else {
                    let targets: [String]? =
                        forceReset.isEmpty ? nil : (forceReset == ["all"] ? [] : forceReset)
                    let incident = try await service.declare(
                        reason: reason, forceReset: targets, signOutAll: signOutAll, notify: notify, banner: banner,
                        by: .console, caller: Caller(ipAddress: "operator"))
                    id = incident.id
                    print("declared \(incident.id) covering \(incident.total) accounts")
                }
                try await IncidentCommand.process(service: service, id: id, batchSize: batchSize)
            }
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Finish an interrupted incident.")
        @OptionGroup var hub: HubOptions
        @Argument var id: String
        @Option var batchSize = 1_000

        func run() async throws {
            try await withRuntime(hub) { runtime in
                try await IncidentCommand.process(service: runtime.services.incidents, id: id, batchSize: batchSize)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List incidents.")
        @OptionGroup var hub: HubOptions

        func run() async throws {
            try await withRuntime(hub) { runtime in
                for incident in try await runtime.services.incidents.list() {
                    print(IncidentCommand.line(incident))
                }
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one incident's progress.")
        @OptionGroup var hub: HubOptions
        @Argument var id: String

        func run() async throws {
            try await withRuntime(hub) { runtime in
                print(IncidentCommand.line(try await runtime.services.incidents.status(id: id)))
            }
        }
    }

    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Close an incident (its banner goes away).")
        @OptionGroup var hub: HubOptions
        @Argument var id: String

        func run() async throws {
            try await withRuntime(hub) { runtime in
                print(IncidentCommand.line(try await runtime.services.incidents.resolve(id: id)))
            }
        }
    }

    static func line(_ incident: Incident) -> String {
        let actions = [
            incident.forceReset ? "force-reset(\(incident.scope))" : nil, incident.signOutAll ? "sign-out-all" : nil,
            incident.notify ? "notify" : nil, incident.banner.map { "banner: \($0)" },
        ].compactMap { $0 }.joined(separator: ", ")
        return
            "\(incident.id)  \(incident.state.rawValue)  \(incident.processed)/\(incident.total)  \(actions)  — \(incident.reason)"
    }

    /// Works through the incident with a progress bar on standard error.
    static func process(service: IncidentService, id: String, batchSize: Int) async throws {
        let started = Date()
        let startedAt = try await service.status(id: id).processed
        let isTerminal = isatty(STDERR_FILENO) == 1
        let done = try await service.run(incidentID: id, batchSize: batchSize) { progress in
            let elapsed = max(Date().timeIntervalSince(started), 0.001)
            let rate = Double(progress.processed - startedAt) / elapsed
            let left = rate > 0 ? Double(progress.total - progress.processed) / rate : 0
            let fraction = progress.total > 0 ? Double(progress.processed) / Double(progress.total) : 1
            let width = 30
            let filled = min(width, Int(fraction * Double(width)))
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            let text = String(
                format: "[%@] %d/%d  %.0f accounts/s  %.0fs left", bar, progress.processed, progress.total, rate,
                max(left, 0))
            FileHandle.standardError.write(Data(((isTerminal ? "\r" : "") + text + (isTerminal ? "" : "\n")).utf8))
        }
        if isTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
        print("incident \(done.id) \(done.state.rawValue): \(done.processed)/\(done.total) accounts")
    }
}
