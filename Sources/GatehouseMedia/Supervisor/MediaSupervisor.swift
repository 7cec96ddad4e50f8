import AsyncHTTPClient
import Dispatch
import Foundation
import Logging
import NIOSSL
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `gatehouse media` as people run it: a small process that runs the actual server as a child
/// (`<binary> media … --serve`), where `<binary>` is `DATA/versions/current/gatehouse` when an update installed one,
/// else this executable. It restarts the child when it exits with `updateStagedExitCode`, health-checks a newly
/// staged version and switches back when it fails, restarts a crashed child with backoff, and forwards SIGTERM and
/// SIGINT (then exits after the child), and SIGHUP (certificate reload) when ``forwardsHangup`` is set.
public struct MediaSupervisor: Sendable {
    /// The exit code by which the server says "an update is staged: restart me" (EX_TEMPFAIL).
    public static let updateStagedExitCode: Int32 = 75

    /// This executable: run when no update is installed, and after a rollback to it.
    public var ownExecutable: String
    /// The child's arguments (after argv[0]).
    public var childArguments: [String]
    /// The media server's data folder.
    public var dataFolder: String
    /// The child's health check, e.g. `http://127.0.0.1:32400/healthz`.
    public var healthURL: String
    /// Seconds a new version has to answer its health check with its version.
    public var healthTimeout: Double
    /// Where the supervisor logs.
    public var logger: Logger
    /// Pass SIGHUP on to the child (which reloads its TLS certificate) instead of ending.
    public var forwardsHangup = false

    /// Creates a supervisor.
    public init(
        ownExecutable: String, childArguments: [String], dataFolder: String, healthURL: String,
        healthTimeout: Double = 30, logger: Logger
    ) {
        self.ownExecutable = ownExecutable
        self.childArguments = childArguments
        self.dataFolder = dataFolder
        self.healthURL = healthURL
        self.healthTimeout = healthTimeout
        self.logger = logger
    }

    /// Runs children until a signal stops the supervisor; returns the exit code for the supervisor.
    public func run() async -> Int32 {
        let control = SignalForwarder()
        let sources = control.install(forwardingHangup: forwardsHangup)
        defer { withExtendedLifetime(sources) {} }
        let versions = VersionsFolder(dataFolder: dataFolder)
        var restartDelay = 1.0
        var isFirstStart = true
        while !control.isStopping {
            let executable = versions.currentExecutable ?? ownExecutable
            let pending = versions.read(.pending)
            let child: ChildProcess
            do {
                child = try ChildProcess.spawn(executable: executable, arguments: childArguments)
            } catch {
                if let pending {
                    rollBack(pending, reason: "\(error)", versions: versions)
                    continue
                }
                logger.critical("cannot start the media server", metadata: ["error": "\(error)"])
                return 1
            }
            control.track(child)
            let started = Date()
            if let pending {
                switch await healthCheck(child, expecting: pending.version, control: control) {
                case .healthy:
                    logger.notice(
                        "the new version passed its health check", metadata: ["version": "\(pending.version)"])
                    do {
                        try versions.write(pending, as: .installed)
                    } catch {
                        logger.error("cannot record the update", metadata: ["error": "\(error)"])
                    }
                    versions.remove(.pending)
                case .unhealthy(let reason):
                    _ = await child.stop()
                    control.track(nil)
                    if control.isStopping { break }
                    rollBack(pending, reason: reason, versions: versions)
                    continue
                case .interrupted:
                    break
                }
            }
            let code = await child.waitForExit()
            control.track(nil)
            if control.isStopping { return 0 }
            let ranFor = Date().timeIntervalSince(started)
            if code == Self.updateStagedExitCode {
                logger.notice("restarting into the staged update")
                isFirstStart = false
                restartDelay = 1
                continue
            }
            // A configuration mistake shows at once (an error exit, not a signal): report it rather than restart
            // forever.
            if isFirstStart, ranFor < 5, code < 128 {
                logger.critical("the media server exited", metadata: ["code": "\(code)"])
                return code == 0 ? 1 : code
            }
            isFirstStart = false
            if ranFor > 60 { restartDelay = 1 }
            logger.error(
                "the media server exited; restarting",
                metadata: ["code": "\(code)", "in_seconds": "\(restartDelay)"])
            let deadline = Date().addingTimeInterval(restartDelay)
            while !control.isStopping, Date() < deadline { try? await Task.sleep(for: .milliseconds(100)) }
            restartDelay = min(restartDelay * 2, 60)
        }
        return 0
    }

    /// Switches `current` back, leaves a marker the restarted old version reports to the hub, and forgets `pending`.
    private func rollBack(_ pending: VersionsFolder.Marker, reason: String, versions: VersionsFolder) {
        logger.error(
            "the new version failed its health check; switching back",
            metadata: ["version": "\(pending.version)", "reason": "\(reason)"])
        do {
            try versions.switchCurrent(to: pending.previous)
            let marker = VersionsFolder.Marker(version: pending.version, previous: pending.previous, reason: reason)
            try versions.write(marker, as: .rolledBack)
        } catch {
            logger.critical("cannot switch back", metadata: ["error": "\(error)"])
        }
        versions.remove(.pending)
    }

    enum Health: Equatable {
        case healthy
        case unhealthy(String)
        /// The supervisor was told to stop while checking; `pending` stays for the next start to check again.
        case interrupted
    }

    /// Polls `healthURL` until it answers 200 with `version`, the child exits, or the timeout passes.
    func healthCheck(_ child: ChildProcess, expecting version: String, control: SignalForwarder) async -> Health {
        struct Answer: Decodable { var version: String }
        let deadline = Date().addingTimeInterval(healthTimeout)
        var last = "no answer"
        while Date() < deadline {
            if control.isStopping { return .interrupted }
            if let code = child.exitCode { return .unhealthy("the new version exited with code \(code)") }
            do {
                let response = try await Self.healthClient(for: healthURL).execute(
                    HTTPClientRequest(url: healthURL), timeout: .seconds(2))
                let body = try await response.body.collect(upTo: 64 * 1024)
                if response.status.code == 200 {
                    let answer = try JSONDecoder().decode(Answer.self, from: Data(body.readableBytesView))
                    if answer.version == version { return .healthy }
                    last = "it reports version \(answer.version)"
                } else {
                    last = "health check answered \(response.status.code)"
                }
            } catch {
                last = "health check failed: \(error)"
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
        return .unhealthy("no healthy answer within \(Int(healthTimeout)) s (\(last))")
    }
}

extension MediaSupervisor {
    /// A client for the loopback health check of an https child: it does not check the child's certificate, which
    /// names the server's public host, not 127.0.0.1, and may be self-signed. The probe sends nothing secret and
    /// reads only the version the child reports.
    static let loopbackTLSClient: HTTPClient = {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
    }()

    static func healthClient(for url: String) -> HTTPClient {
        url.hasPrefix("https://") ? loopbackTLSClient : HTTPClient.shared
    }
}

/// Turns SIGTERM and SIGINT into a stop: remembered, and forwarded to the running child; SIGHUP, when asked, is
/// forwarded only.
final class SignalForwarder: Sendable {
    private struct State {
        var child: ChildProcess?
        var isStopping = false
    }

    private let state = Mutex(State())

    var isStopping: Bool { state.withLock { $0.isStopping } }

    /// Starts listening; the caller keeps the returned sources alive for as long as it supervises.
    func install(forwardingHangup: Bool = false) -> [any DispatchSourceSignal] {
        var installed: [any DispatchSourceSignal] = []
        if forwardingHangup {
            signal(SIGHUP, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
            source.setEventHandler { [self] in
                let child = state.withLock { $0.child }
                child?.send(SIGHUP)
            }
            source.resume()
            installed.append(source)
        }
        for number in [SIGTERM, SIGINT] {
            // Handled by the dispatch source instead of the default action (which would end the supervisor at once).
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in stop(with: number) }
            source.resume()
            installed.append(source)
        }
        return installed
    }

    func track(_ child: ChildProcess?) {
        let stopNow = state.withLock { state -> Bool in
            state.child = child
            return state.isStopping
        }
        if stopNow { child?.send(SIGTERM) }
    }

    private func stop(with number: Int32) {
        let child = state.withLock { state -> ChildProcess? in
            state.isStopping = true
            return state.child
        }
        child?.send(number)
    }
}
