import Foundation

/// Runs PostgreSQL's own tools (pg_dump, pg_restore, psql) for backups and restores of a PostgreSQL hub.
///
/// The connection goes to the child through the environment (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE), never
/// on its command line, so the password does not show in `ps`.
struct PostgresTools {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let environment: [String: String]
    let database: String

    init(url: String) throws {
        guard let components = URLComponents(string: url), let host = components.host, !host.isEmpty else {
            throw Failure(description: "cannot read the PostgreSQL URL")
        }
        var environment = ProcessInfo.processInfo.environment
        environment["PGHOST"] = host
        environment["PGPORT"] = String(components.port ?? 5432)
        if let user = components.user { environment["PGUSER"] = user.removingPercentEncoding ?? user }
        if let password = components.password {
            environment["PGPASSWORD"] = password.removingPercentEncoding ?? password
        } else {
            environment.removeValue(forKey: "PGPASSWORD")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        environment["PGDATABASE"] = database
        if let mode = components.queryItems?.first(where: { $0.name == "sslmode" })?.value {
            environment["PGSSLMODE"] = mode
        }
        self.environment = environment
        self.database = database
    }

    /// The full path of a PostgreSQL tool: `GATEHOUSE_PG_BIN` (a folder) first, then `PATH`.
    static func find(_ tool: String) throws -> String {
        let env = ProcessInfo.processInfo.environment
        var folders: [String] = []
        if let bin = env["GATEHOUSE_PG_BIN"] { folders.append(bin) }
        folders += (env["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        for folder in folders {
            let path = (folder as NSString).appendingPathComponent(tool)
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw Failure(
            description: "\(tool) is not on PATH: install the PostgreSQL client tools (the same major version as the "
                + "server, or newer), or set GATEHOUSE_PG_BIN to their folder")
    }

    /// Runs `tool` with `arguments`; returns its standard output, or throws with its standard error.
    @discardableResult
    func run(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.find(tool))
        process.arguments = arguments
        process.environment = environment
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read standard error on its own thread while the tool runs (a full pipe would stall it).
        let box = DataBox()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            box.set(errors.fileHandleForReading.readDataToEndOfFile())
            group.leave()
        }
        let out = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        group.wait()
        let err = String(decoding: box.get(), as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw Failure(
                description: "\(tool) failed (exit \(process.terminationStatus)): "
                    + err.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// One `psql` query's rows (unaligned, tuples only).
    func query(_ sql: String) throws -> [String] {
        try run("psql", ["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql]).split(separator: "\n").map(String.init)
    }

    /// Rows of `table` in a pg_restore SQL script (the `COPY ... FROM stdin;` blocks), each as column → value
    /// (`\N` is nil).
    static func copyRows(in script: String, table: String) -> [[String: String?]] {
        var rows: [[String: String?]] = []
        var columns: [String]?
        for line in script.split(separator: "\n", omittingEmptySubsequences: false) {
            if let current = columns {
                if line == "\\." {
                    columns = nil
                    continue
                }
                let values = line.split(separator: "\t", omittingEmptySubsequences: false).map { value -> String? in
                    value == "\\N" ? nil : unescape(String(value))
                }
                var row: [String: String?] = [:]
                for (index, column) in current.enumerated() where index < values.count { row[column] = values[index] }
                rows.append(row)
            } else if line.hasPrefix("COPY "), line.hasSuffix(" FROM stdin;") {
                let head = line.dropFirst("COPY ".count)
                guard let open = head.firstIndex(of: "("), let close = head.lastIndex(of: ")") else { continue }
                let name = head[..<open].trimmingCharacters(in: .whitespaces)
                guard name == table || name == "public." + table || name == "public.\"\(table)\"" else {
                    columns = []
                    continue
                }
                columns = head[head.index(after: open)..<close].split(separator: ",").map {
                    $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                }
            }
        }
        return rows.filter { !$0.isEmpty }
    }

    private static func unescape(_ value: String) -> String {
        guard value.contains("\\") else { return value }
        var out = ""
        var escaping = false
        for character in value {
            if escaping {
                switch character {
                case "t": out.append("\t")
                case "n": out.append("\n")
                case "r": out.append("\r")
                default: out.append(character)
                }
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else {
                out.append(character)
            }
        }
        return out
    }
}

private final class DataBox: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func set(_ value: Data) { lock.withLock { data = value } }
    func get() -> Data { lock.withLock { data } }
}
