import Foundation
import GatehouseWire

/// Reads duration and codecs with `ffprobe` when it is installed; otherwise reports nothing.
struct MediaProbe: Sendable {
    /// Absolute path of ffprobe, or nil when it is not on PATH.
    let executable: String?
    /// Seconds after which a probe is abandoned.
    var timeout: Double = 20

    struct Result: Equatable {
        var duration: Double?
        var codecs: [String]
        /// A content rating from the container's tags (`rating`, `content_rating`, or iTunes' `iTunEXTC`
        /// `mpaa|PG-13|300|`), canonical on ``ContentRating``'s scale; nil when absent or off the scale.
        var rating: String? = nil
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
            struct Format: Decodable {
                var duration: String?
                var tags: [String: String]?
            }
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
            codecs: (report.streams ?? []).compactMap(\.codecName),
            rating: rating(tags: report.format?.tags ?? [:]))
    }

    /// The rating among container tags (tag names compare case-insensitively).
    static func rating(tags: [String: String]) -> String? {
        let lowered = Dictionary(tags.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
        for key in ["rating", "content_rating", "contentrating", "mpaa"] {
            if let value = lowered[key], let canonical = ContentRating.canonical(value) { return canonical }
        }
        // iTunes: "mpaa|PG-13|300|" or "us-tv|TV-14|500|".
        if let extc = lowered["itunextc"] {
            let parts = extc.split(separator: "|")
            if parts.count >= 2, let canonical = ContentRating.canonical(String(parts[1])) { return canonical }
        }
        return nil
    }
}
