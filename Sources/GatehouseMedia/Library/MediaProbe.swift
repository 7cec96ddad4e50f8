import Foundation

/// Reads duration and codecs with `ffprobe` when it is installed; otherwise reports nothing.
struct MediaProbe: Sendable {
    /// Absolute path of ffprobe, or nil when it is not on PATH.
    let executable: String?
    /// Seconds after which a probe is abandoned.
    var timeout: Double = 20

    struct Result: Equatable {
        var duration: Double?
        var codecs: [String]
    }

    /// Finds ffprobe on the given PATH value.
    static func locate(path: String?) -> MediaProbe {
        for folder in (path ?? "").split(separator: ":") {
            let candidate = "\(folder)/ffprobe"
            if FileManager.default.isExecutableFile(atPath: candidate) {
                return MediaProbe(executable: candidate)
            }
        }
        return MediaProbe(executable: nil)
    }

    /// Probes one file; nil when ffprobe is missing, fails or times out.
    func probe(file: String) async -> Result? {
        guard let executable else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        // The path is passed as one argument, never through a shell.
        process.arguments = ["-v", "quiet", "-print_format", "json", "-show_format", "-show_streams", file]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return nil
        }
        let deadline = Task {
            try await Task.sleep(for: .seconds(timeout))
            if process.isRunning { process.terminate() }
        }
        let data = await Task.detached { output.fileHandleForReading.readDataToEndOfFile() }.value
        process.waitUntilExit()
        deadline.cancel()
        guard process.terminationStatus == 0 else { return nil }
        return Self.parse(data)
    }

    static func parse(_ data: Data) -> Result? {
        struct Report: Decodable {
            struct Format: Decodable { var duration: String? }
            struct Stream: Decodable {
                var codecName: String?
                enum CodingKeys: String, CodingKey { case codecName = "codec_name" }
            }
            var format: Format?
            var streams: [Stream]?
        }
        guard let report = try? JSONDecoder().decode(Report.self, from: data) else { return nil }
        return Result(
            duration: report.format?.duration.flatMap(Double.init),
            codecs: (report.streams ?? []).compactMap(\.codecName))
    }
}
