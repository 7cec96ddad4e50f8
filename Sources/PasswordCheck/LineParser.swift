/// Parses Pwned Passwords text lines into 64-bit index keys, across arbitrary chunk boundaries.
struct LineParser {
    private let path: String
    /// The 20-bit prefix from a range-layout file name, if the file has one.
    private let prefix: UInt64?
    private let minimumCount: UInt64
    private var carry: [UInt8] = []
    private var lineNumber = 0
    private(set) var skipped: UInt64 = 0

    init(path: String, prefix: UInt64?, minimumCount: UInt64) {
        self.path = path
        self.prefix = prefix
        self.minimumCount = minimumCount
    }

    typealias Sink = (UInt64) throws(BreachIndexBuilder.ImportError) -> Void

    /// Parses every complete line in `chunk`, keeping an unfinished last line for the next call.
    mutating func consume(
        _ chunk: UnsafeBufferPointer<UInt8>, into sink: Sink
    ) throws(BreachIndexBuilder.ImportError) {
        guard let base = chunk.baseAddress else { return }
        var start = 0
        let newline = UInt8(ascii: "\n")
        if !carry.isEmpty {
            guard let end = chunk.firstIndex(of: newline) else {
                carry.append(contentsOf: chunk)
                return
            }
            carry.append(contentsOf: UnsafeBufferPointer(start: base, count: end))
            let line = carry
            carry.removeAll(keepingCapacity: true)
            try line.withUnsafeBufferPointer {
                (buffer: UnsafeBufferPointer<UInt8>) throws(BreachIndexBuilder.ImportError) in
                try parse(buffer, into: sink)
            }
            start = end + 1
        }
        var position = start
        while position < chunk.count {
            if base[position] == newline {
                try parse(UnsafeBufferPointer(start: base + start, count: position - start), into: sink)
                start = position + 1
            }
            position += 1
        }
        if start < chunk.count {
            carry.append(contentsOf: UnsafeBufferPointer(start: base + start, count: chunk.count - start))
        }
    }

    /// Parses a last line that had no newline.
    mutating func finish(into sink: Sink) throws(BreachIndexBuilder.ImportError) {
        guard !carry.isEmpty else { return }
        let line = carry
        carry.removeAll()
        try line.withUnsafeBufferPointer {
            (buffer: UnsafeBufferPointer<UInt8>) throws(BreachIndexBuilder.ImportError) in
            try parse(buffer, into: sink)
        }
    }

    private mutating func parse(_ raw: UnsafeBufferPointer<UInt8>, into sink: Sink)
        throws(BreachIndexBuilder.ImportError)
    {
        lineNumber += 1
        guard let base = raw.baseAddress else { return }
        var start = 0
        var end = raw.count
        if lineNumber == 1, end >= 3, base[0] == 0xEF, base[1] == 0xBB, base[2] == 0xBF { start = 3 }
        while end > start, base[end - 1] == UInt8(ascii: "\r") || base[end - 1] == UInt8(ascii: " ") { end -= 1 }
        guard end > start else { return }

        let hex = HexDigits.value
        var hexLength = 0
        var key: UInt64 = 0
        while start + hexLength < end, base[start + hexLength] != UInt8(ascii: ":") {
            let digit = hex[Int(base[start + hexLength])]
            guard digit < 16 else { throw .malformedLine(path: path, line: lineNumber) }
            if hexLength < 16 { key = key << 4 | UInt64(digit) }
            hexLength += 1
        }
        var count: UInt64 = 1
        let colon = start + hexLength
        if colon < end {
            guard colon + 1 < end else { throw .malformedLine(path: path, line: lineNumber) }
            count = 0
            for position in (colon + 1)..<end {
                let byte = base[position]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                    throw .malformedLine(path: path, line: lineNumber)
                }
                let (product, overflow) = count.multipliedReportingOverflow(by: 10)
                count = overflow ? UInt64.max : product &+ UInt64(byte - UInt8(ascii: "0"))
            }
        }
        switch hexLength {
        case 40:
            break
        case 35:
            guard let prefix else { throw .missingPrefix(path: path) }
            // `key` holds the first 16 of the 35 suffix digits; the index keeps 5 prefix + 11 suffix digits.
            key = prefix << 44 | key >> 20
        default:
            throw .malformedLine(path: path, line: lineNumber)
        }
        guard count >= minimumCount else {
            skipped += 1
            return
        }
        try sink(key)
    }
}
