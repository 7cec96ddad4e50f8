import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A child process started with `posix_spawn`, in a process group of its own (so a terminal's Ctrl-C reaches only
/// the supervisor, which forwards it once) and with default signal handling (the supervisor ignores SIGTERM and
/// SIGINT itself, and ignored signals would otherwise be inherited).
final class ChildProcess: Sendable {
    let pid: pid_t
    private let exited = Mutex<Int32?>(nil)

    /// Errors starting a child.
    enum Failure: Error, CustomStringConvertible {
        case spawn(String, Int32)

        var description: String {
            switch self {
            case .spawn(let path, let code): "cannot start \(path): \(String(cString: strerror(code)))"
            }
        }
    }

    private init(pid: pid_t) {
        self.pid = pid
    }

    /// Starts `executable` with `arguments` (not counting argv[0]) and this process's environment.
    static func spawn(executable: String, arguments: [String]) throws -> ChildProcess {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGPIPE, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setpgroup(&attributes, 0)
        let flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP
        posix_spawnattr_setflags(&attributes, Int16(flags))
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid = pid_t()
        let result = posix_spawn(&pid, executable, nil, &attributes, argv, environ)
        guard result == 0 else { throw Failure.spawn(executable, result) }
        let child = ChildProcess(pid: pid)
        child.startWaiting()
        return child
    }

    /// The exit code once the child has ended (128 + signal number when a signal ended it), else nil.
    var exitCode: Int32? { exited.withLock { $0 } }

    /// Waits for the child to end; returns its exit code.
    func waitForExit() async -> Int32 {
        while true {
            if let code = exitCode { return code }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Sends a signal to the child.
    func send(_ signal: Int32) {
        if exitCode == nil { _ = kill(pid, signal) }
    }

    /// Asks the child to stop with SIGTERM, then kills it if it is still there after `grace` seconds.
    func stop(grace: Double = 10) async -> Int32 {
        send(SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        while exitCode == nil, Date() < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        send(SIGKILL)
        return await waitForExit()
    }

    /// `waitpid` blocks, so it runs on a thread of its own rather than in the concurrency pool.
    private func startWaiting() {
        let pid = pid
        let thread = Thread { [self] in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 {
                guard errno == EINTR else {
                    self.exited.withLock { $0 = 127 }
                    return
                }
            }
            // WIFEXITED / WEXITSTATUS / WTERMSIG are C macros Swift cannot call.
            let signal = status & 0x7f
            let code = signal == 0 ? (status >> 8) & 0xff : 128 + signal
            self.exited.withLock { $0 = code }
        }
        thread.start()
    }
}
