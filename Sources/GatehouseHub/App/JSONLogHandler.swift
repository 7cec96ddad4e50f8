import Foundation
import Logging

/// `--log-format json`: one JSON object per line on standard error, for log shippers. Each line has `time`
/// (ISO 8601, UTC, milliseconds), `level`, `label`, `message`, `source`, and the metadata as string fields, among
/// them the `request_id` the error middleware stamps on each request (the same id is in the `X-Request-Id` header
/// and in every JSON error body).
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let output: JSONLogOutput

    public init(label: String, output: JSONLogOutput = .standardError) {
        self.label = label
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [String: String] = [:]
        var merged = self.metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let explicit = event.metadata { merged.merge(explicit) { _, new in new } }
        for (key, value) in merged { fields[key] = Self.text(value) }
        fields["time"] = Date().formatted(Self.timeStyle)
        fields["level"] = event.level.rawValue
        fields["label"] = label
        fields["message"] = event.message.description
        fields["source"] = event.source
        guard
            var data = try? JSONSerialization.data(
                withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes])
        else { return }
        data.append(0x0A)
        output.write(data)
    }

    private static let timeStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    static func text(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text): text
        case .stringConvertible(let convertible): convertible.description
        case .array(let values): "[" + values.map(text).joined(separator: ", ") + "]"
        case .dictionary(let values):
            "{" + values.sorted { $0.key < $1.key }.map { "\($0.key): \(text($0.value))" }.joined(separator: ", ") + "}"
        }
    }
}

/// Where JSON log lines go: one write per line, under a lock, so lines from several threads never interleave.
public final class JSONLogOutput: @unchecked Sendable {
    private let lock = NSLock()
    private let handle: FileHandle

    public init(handle: FileHandle) { self.handle = handle }

    public static let standardError = JSONLogOutput(handle: .standardError)

    func write(_ data: Data) {
        lock.lock()
        defer { lock.unlock() }
        handle.write(data)
    }
}
