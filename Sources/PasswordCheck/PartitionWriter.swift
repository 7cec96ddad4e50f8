import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Spreads 64-bit keys over temporary files by their top byte, so each can later be sorted on its own.
struct PartitionWriter {
    private let directory: String
    let count: Int
    private var descriptors: [Int32]
    private var buffers: [[UInt64]]
    private(set) var total: UInt64 = 0
    private static let bufferLength = 8192

    init(directory: String, count: Int) throws(BreachIndexBuilder.ImportError) {
        self.directory = directory
        self.count = count
        descriptors = []
        buffers = Array(repeating: [], count: count)
        for index in 0..<count {
            let path = Self.path(directory: directory, index: index)
            let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600)
            guard fd >= 0 else {
                let code = errno
                for open in descriptors { close(open) }
                throw .cannotWrite(path: path, errno: code)
            }
            descriptors.append(fd)
            buffers[index].reserveCapacity(Self.bufferLength)
        }
    }

    private static func path(directory: String, index: Int) -> String {
        directory + "/part-\(index)"
    }

    mutating func append(_ key: UInt64) throws(BreachIndexBuilder.ImportError) {
        let index = Int(key >> 56) * count >> 8
        buffers[index].append(key)
        total += 1
        if buffers[index].count == Self.bufferLength {
            try flush(index)
        }
    }

    private mutating func flush(_ index: Int) throws(BreachIndexBuilder.ImportError) {
        let fd = descriptors[index]
        let path = Self.path(directory: directory, index: index)
        let code = buffers[index].withUnsafeBytes { bytes in
            BreachIndexBuilder.writeAll(fd: fd, bytes: bytes, offset: nil)
        }
        guard code == 0 else { throw .cannotWrite(path: path, errno: code) }
        buffers[index].removeAll(keepingCapacity: true)
    }

    /// Flushes every buffer and closes the files; ``keys(inPartition:)`` reopens them.
    mutating func finishWriting() throws(BreachIndexBuilder.ImportError) {
        for index in 0..<count {
            try flush(index)
            close(descriptors[index])
        }
        descriptors = []
    }

    /// Returns the keys of one partition, in the order they were appended (native byte order).
    func keys(inPartition index: Int) throws(BreachIndexBuilder.ImportError) -> [UInt64] {
        let path = Self.path(directory: directory, index: index)
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw .cannotRead(path: path, errno: errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .cannotRead(path: path, errno: errno) }
        let length = Int(info.st_size) / 8
        var keys = [UInt64](repeating: 0, count: length)
        let code = keys.withUnsafeMutableBytes { bytes -> Int32 in
            var done = 0
            while done < bytes.count {
                guard let start = bytes.baseAddress?.advanced(by: done) else { return 0 }
                let got = read(fd, start, bytes.count - done)
                if got < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                if got == 0 { return EIO }
                done += got
            }
            return 0
        }
        guard code == 0 else { throw .cannotRead(path: path, errno: code) }
        unlink(path)
        return keys
    }
}
