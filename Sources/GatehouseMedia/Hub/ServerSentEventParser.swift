/// Incremental parser for `text/event-stream` (the WHATWG server-sent events format): feed bytes, get events.
struct ServerSentEventParser {
    /// One dispatched event.
    struct Event: Equatable {
        var name: String
        var data: String
    }

    /// Longest line accepted; a longer one means a broken or hostile stream.
    static let maximumLineLength = 64 * 1024

    enum Failure: Error, Equatable {
        case lineTooLong
    }

    private var line: [UInt8] = []
    private var lastWasCarriageReturn = false
    private var eventName = ""
    private var dataLines: [String] = []

    /// Consumes bytes and returns the events completed by them.
    mutating func feed(_ bytes: some Sequence<UInt8>) throws -> [Event] {
        var events: [Event] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\n") && lastWasCarriageReturn {
                lastWasCarriageReturn = false
                continue
            }
            lastWasCarriageReturn = byte == UInt8(ascii: "\r")
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                if let event = endLine() { events.append(event) }
            } else {
                line.append(byte)
                guard line.count <= Self.maximumLineLength else { throw Failure.lineTooLong }
            }
        }
        return events
    }

    private mutating func endLine() -> Event? {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            defer {
                eventName = ""
                dataLines = []
            }
            guard !dataLines.isEmpty else { return nil }
            return Event(name: eventName.isEmpty ? "message" : eventName, data: dataLines.joined(separator: "\n"))
        }
        if line.first == UInt8(ascii: ":") { return nil }
        let text = String(decoding: line, as: UTF8.self)
        let field: Substring
        var value: Substring
        if let colon = text.firstIndex(of: ":") {
            field = text[..<colon]
            value = text[text.index(after: colon)...]
            if value.first == " " { value = value.dropFirst() }
        } else {
            field = text[...]
            value = ""
        }
        switch field {
        case "event": eventName = String(value)
        case "data": dataLines.append(String(value))
        default: break
        }
        return nil
    }
}
