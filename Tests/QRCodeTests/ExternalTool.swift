import Foundation

/// Runs the independent programs the oracle tests trust: Debian's `zbarimg` and Python's `zlib`.
enum ExternalTool {
    struct Result: Sendable {
        let status: Int32
        let output: [UInt8]
        let errors: String
    }

    /// The executable called `name` on PATH, if any.
    static func find(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) {
                return candidate
            }
        }
        return nil
    }

    /// Runs `executable` with `arguments`, feeding `input` to its standard input, and collects its output.
    static func run(_ executable: URL, arguments: [String], input: [UInt8] = []) async throws -> Result {
        // Process blocks while it waits; run it off the cooperative pool so several run at once.
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                do {
                    let process = Process()
                    process.executableURL = executable
                    process.arguments = arguments
                    let standardInput = Pipe()
                    let output = Pipe()
                    let errors = Pipe()
                    process.standardInput = standardInput
                    process.standardOutput = output
                    process.standardError = errors
                    try process.run()
                    // The tools read all their input before they write, so writing first cannot deadlock.
                    try standardInput.fileHandleForWriting.write(contentsOf: input)
                    try standardInput.fileHandleForWriting.close()
                    let outputData = output.fileHandleForReading.readDataToEndOfFile()
                    let errorData = errors.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    continuation.resume(
                        returning: Result(
                            status: process.terminationStatus,
                            output: Array(outputData),
                            errors: String(decoding: errorData, as: UTF8.self)
                        )
                    )
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    /// Writes `png` to a temporary file and decodes it with `zbarimg --nodbus --raw -q`.
    static func zbarDecode(png: [UInt8], zbarimg: URL) async throws -> Result {
        let file = FileManager.default.temporaryDirectory
            .appendingPathComponent("qrcode-oracle-\(UUID().uuidString).png")
        try Data(png).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        return try await run(zbarimg, arguments: ["--nodbus", "--raw", "-q", file.path])
    }

    /// Runs a Python 3 script with `input` on its standard input; nil (and a recorded issue) without python3.
    static func python(_ script: String, input: [UInt8]) async throws -> Result? {
        guard let python = find("python3") else {
            return nil
        }
        return try await run(python, arguments: ["-c", script], input: input)
    }
}
