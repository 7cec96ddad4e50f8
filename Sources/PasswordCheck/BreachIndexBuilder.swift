import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Builds a ``BreachIndex`` file from corpora in the Pwned Passwords text format.
///
/// Two layouts are recognised line by line: full `HASH:COUNT` lines (40 hex digits), and the range layout, where a
/// file named after a 5-hex-digit prefix (`00A1F` or `00A1F.txt`) holds `SUFFIX:COUNT` lines of 35 hex digits.
/// The `:COUNT` part is optional; entries with count 0 (range API padding) are skipped.
///
/// The import streams: it reads each file once, spreading the 64-bit keys over 256 temporary partition files by
/// their top byte, then sorts one partition at a time. Memory stays near 1/256 of the corpus at 8 bytes a hash.
/// The index is written to a temporary file next to the destination and renamed into place.
public struct BreachIndexBuilder: Sendable {
    /// Entries breached fewer times than this are left out (1 keeps everything).
    public var minimumCount: UInt64

    /// Creates a builder.
    public init(minimumCount: UInt64 = 1) {
        self.minimumCount = max(1, minimumCount)
    }

    /// How far an import has got; reported through the progress callback.
    public struct Progress: Sendable, Equatable {
        /// The stage an import is in.
        public enum Phase: Sendable, Equatable {
            /// Reading the input files and spreading hashes over partitions.
            case reading
            /// Sorting each partition and writing it to the index.
            case sorting
            /// The index is in place.
            case finished
        }
        /// The current stage.
        public var phase: Phase
        /// Input bytes read so far.
        public var bytesRead: UInt64
        /// Input bytes in all files.
        public var totalBytes: UInt64
        /// Hashes accepted from the input so far (before removing duplicates).
        public var hashesRead: UInt64
        /// Partitions sorted and written, out of 256.
        public var partitionsDone: Int
    }

    /// What an import produced.
    public struct Summary: Sendable, Equatable {
        /// Distinct hashes in the index.
        public var distinctHashes: UInt64
        /// Lines accepted from the input (duplicates included).
        public var linesAccepted: UInt64
        /// Lines skipped: padding (count 0) or below the minimum count.
        public var linesSkipped: UInt64
        /// Bytes of input text read.
        public var inputBytes: UInt64
        /// Size of the index file.
        public var indexBytes: UInt64
    }

    /// Why an import failed.
    public enum ImportError: Error, Equatable, Sendable {
        case noInput
        case cannotRead(path: String, errno: Int32)
        case cannotWrite(path: String, errno: Int32)
        /// A line is neither a 40-hex hash nor a 35-hex suffix, or its count is not a number.
        case malformedLine(path: String, line: Int)
        /// A file holds 35-hex suffixes but its name is not a 5-hex prefix.
        case missingPrefix(path: String)
    }

    private static let partitionCount = 256
    private static let progressInterval: UInt64 = 64 << 20

    /// Imports `inputs` into a new index at `destination`, replacing any existing file atomically.
    public func build(
        inputs: [String],
        destination: String,
        progress: (@Sendable (Progress) -> Void)? = nil
    ) throws(ImportError) -> Summary {
        guard !inputs.isEmpty else { throw .noInput }
        let totalBytes = inputs.reduce(UInt64(0)) { sum, path in
            var info = stat()
            return sum + (stat(path, &info) == 0 ? UInt64(info.st_size) : 0)
        }
        let workDirectory = destination + ".import-\(getpid())"
        guard mkdir(workDirectory, 0o700) == 0 || errno == EEXIST else {
            throw .cannotWrite(path: workDirectory, errno: errno)
        }
        defer { try? FileManager.default.removeItem(atPath: workDirectory) }

        var partitions = try PartitionWriter(directory: workDirectory, count: Self.partitionCount)
        var state = Progress(phase: .reading, bytesRead: 0, totalBytes: totalBytes, hashesRead: 0, partitionsDone: 0)
        var skipped: UInt64 = 0
        var lastReport: UInt64 = 0
        progress?(state)
        for path in inputs {
            let prefix = Self.rangePrefix(ofFileAt: path)
            var parser = LineParser(path: path, prefix: prefix, minimumCount: minimumCount)
            try Self.readChunks(path: path) { (chunk: UnsafeBufferPointer<UInt8>) throws(ImportError) in
                try parser.consume(chunk) { (key: UInt64) throws(ImportError) in
                    try partitions.append(key)
                }
                state.bytesRead += UInt64(chunk.count)
                state.hashesRead = partitions.total
                if state.bytesRead - lastReport >= Self.progressInterval {
                    lastReport = state.bytesRead
                    progress?(state)
                }
            }
            try parser.finish { (key: UInt64) throws(ImportError) in try partitions.append(key) }
            skipped += parser.skipped
        }
        try partitions.finishWriting()
        state.hashesRead = partitions.total
        state.phase = .sorting
        progress?(state)

        let summary = try writeIndex(
            partitions: partitions, destination: destination, state: &state, progress: progress)
        state.phase = .finished
        progress?(state)
        return Summary(
            distinctHashes: summary.distinct, linesAccepted: partitions.total, linesSkipped: skipped,
            inputBytes: state.bytesRead, indexBytes: summary.bytes)
    }

    private func writeIndex(
        partitions: PartitionWriter,
        destination: String,
        state: inout Progress,
        progress: (@Sendable (Progress) -> Void)?
    ) throws(ImportError) -> (distinct: UInt64, bytes: UInt64) {
        let bits = BreachIndexFormat.bucketBits(forCount: partitions.total)
        let temporary = destination + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw .cannotWrite(path: temporary, errno: errno) }
        var renamed = false
        defer {
            close(fd)
            if !renamed { unlink(temporary) }
        }
        var bucketCounts = [UInt64](repeating: 0, count: (1 << bits) + 1)
        var offset = BreachIndexFormat.entriesOffset(bucketBits: bits)
        var distinct: UInt64 = 0
        for index in 0..<partitions.count {
            var keys = try partitions.keys(inPartition: index)
            keys.sort()
            var unique = 0
            for position in keys.indices where unique == 0 || keys[unique - 1] != keys[position] {
                keys[unique] = keys[position]
                unique += 1
                bucketCounts[bits == 0 ? 0 : Int(keys[position] >> UInt64(64 - bits))] += 1
            }
            if UInt64(1).littleEndian != 1 {
                for position in 0..<unique { keys[position] = keys[position].littleEndian }
            }
            let code = keys.withUnsafeBytes { bytes in
                Self.writeAll(fd: fd, bytes: UnsafeRawBufferPointer(rebasing: bytes[0..<(unique * 8)]), offset: offset)
            }
            guard code == 0 else { throw .cannotWrite(path: temporary, errno: code) }
            offset += unique * 8
            distinct += UInt64(unique)
            state.partitionsDone = index + 1
            progress?(state)
        }
        var table: [UInt8] = []
        table.reserveCapacity(bucketCounts.count * 8)
        var running: UInt64 = 0
        for count in bucketCounts {
            BreachIndexFormat.appendLittleEndian(running, to: &table)
            running += count
        }
        let header = BreachIndexFormat.header(bucketBits: bits, count: distinct, minimumCount: minimumCount)
        let code = (header + table).withUnsafeBytes { bytes in
            Self.writeAll(fd: fd, bytes: bytes, offset: 0)
        }
        guard code == 0 else { throw .cannotWrite(path: temporary, errno: code) }
        guard fsync(fd) == 0 else { throw .cannotWrite(path: temporary, errno: errno) }
        guard rename(temporary, destination) == 0 else { throw .cannotWrite(path: destination, errno: errno) }
        renamed = true
        return (distinct, UInt64(offset))
    }

    /// The 20-bit prefix a range-layout file name stands for, if it is one (`0A1B2` or `0A1B2.txt`).
    static func rangePrefix(ofFileAt path: String) -> UInt64? {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let stem = name.split(separator: ".", maxSplits: 1).first.map(String.init) ?? name
        guard stem.utf8.count == 5 else { return nil }
        var value: UInt64 = 0
        for byte in stem.utf8 {
            let digit = HexDigits.value[Int(byte)]
            guard digit < 16 else { return nil }
            value = value << 4 | UInt64(digit)
        }
        return value
    }

    private static func readChunks(
        path: String,
        _ body: (UnsafeBufferPointer<UInt8>) throws(ImportError) -> Void
    ) throws(ImportError) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw .cannotRead(path: path, errno: errno) }
        defer { close(fd) }
        #if canImport(Glibc)
            posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        #endif
        let capacity = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let got = read(fd, buffer, capacity)
            if got < 0 {
                if errno == EINTR { continue }
                throw .cannotRead(path: path, errno: errno)
            }
            if got == 0 { return }
            try body(UnsafeBufferPointer(start: buffer.assumingMemoryBound(to: UInt8.self), count: got))
        }
    }

    /// Writes all of `bytes` at `offset` (or the current position when nil); returns 0 or the errno.
    static func writeAll(fd: Int32, bytes: UnsafeRawBufferPointer, offset: Int?) -> Int32 {
        var done = 0
        while done < bytes.count {
            guard let start = bytes.baseAddress?.advanced(by: done) else { return 0 }
            let wrote: Int
            if let offset {
                wrote = pwrite(fd, start, bytes.count - done, off_t(offset + done))
            } else {
                wrote = write(fd, start, bytes.count - done)
            }
            if wrote < 0 {
                if errno == EINTR { continue }
                return errno
            }
            done += wrote
        }
        return 0
    }
}

/// A lookup table from an ASCII byte to its hexadecimal value, or 0xFF.
enum HexDigits {
    static let value: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (offset, byte) in "0123456789".utf8.enumerated() { table[Int(byte)] = UInt8(offset) }
        for (offset, byte) in "ABCDEF".utf8.enumerated() { table[Int(byte)] = UInt8(10 + offset) }
        for (offset, byte) in "abcdef".utf8.enumerated() { table[Int(byte)] = UInt8(10 + offset) }
        return table
    }()
}
