import Argon2
import ArgumentParser
import Foundation

/// `gatehouse argon2`: hashes a password read from standard input, like the reference `argon2` command.
///
/// Flags follow the reference tool (`-id`, `-t 3`, single dashes), so they are parsed here rather than by
/// ArgumentParser, which would read `-id` as `-i -d`.
struct Argon2Command: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "argon2",
        abstract: "Hash standard input with Argon2, like the reference argon2 command.",
        discussion: """
            Usage: gatehouse argon2 SALT [-i|-d|-id] [-t N] [-m LOG2_KIB | -k KIB]
                     [-p N] [-l TAG_LENGTH] [-v 10|13] [-e|-r] [--salt-hex HEX]
                     [--secret-hex HEX] [--ad-hex HEX] [--bench N] [--verify PHC]
            Defaults as the reference: -i, -t 3, -m 12, -p 1, -l 32, -v 13.
              -r            print only the tag, in hex
              -e            print only the PHC string
              --salt-hex    the salt in hex, instead of the SALT argument
              --secret-hex  the secret input K (pepper), in hex
              --ad-hex      the associated data X, in hex (PHC field data=)
              --bench N     hash N times with pooled memory; print the median
              --bench-threads T
                            with --bench: T threads hash N times each at once; print hashes per second
                            time and the spread
              --verify PHC  check the password against a PHC string: prints
                            "Verification ok" (exit 0) or "Verification
                            failed" (exit 1)
              --kernels     list the block-function kernels this CPU runs and
                            the one run-time dispatch picks
            The password is all of standard input, a final newline included.
            GATEHOUSE_ARGON2_KERNEL=portable|avx2|avx512 forces a kernel (an error
            if this CPU lacks it).
            """
    )

    @Argument(parsing: .captureForPassthrough, help: "Salt and flags as for the reference argon2 command.")
    var arguments: [String] = []

    /// The settings one invocation asks for.
    struct Options {
        var salt: [UInt8]?
        var parameters = Argon2.Parameters(variant: .i, memoryKiB: 4096, iterations: 3, parallelism: 1)
        var secret: [UInt8] = []
        var associatedData: [UInt8] = []
        var output = Output.report
        var benchCount: Int?
        var benchThreads = 1
        var verify: String?

        enum Output {
            case report, rawOnly, encodedOnly
        }
    }

    func run() throws {
        if arguments.contains("--kernels") {
            print("available: \(Argon2.Kernel.available.map(\.rawValue).joined(separator: " "))")
            print("dispatch: \(Argon2.Kernel.best)")
            return
        }
        try Self.applyKernelEnvironment()
        let options = try Self.parse(arguments)
        let password = [UInt8](FileHandle.standardInput.readDataToEndOfFile())
        if let phc = options.verify {
            try verify(phc, password: password, secret: options.secret)
        }
        guard let salt = options.salt else {
            throw ValidationError("a salt is required (as the first argument or with --salt-hex)")
        }
        if let count = options.benchCount {
            if options.benchThreads > 1 {
                try throughput(
                    threads: options.benchThreads, count: count, password: password, salt: salt, options: options)
            } else {
                try bench(count: count, password: password, salt: salt, options: options)
            }
            return
        }
        let start = ContinuousClock.now
        let phc: PHCString
        do {
            phc = try PHCString.make(
                password: password, salt: salt, parameters: options.parameters, secret: options.secret,
                associatedData: options.associatedData.isEmpty ? nil : options.associatedData)
        } catch {
            throw ValidationError("\(error)")
        }
        let elapsed = ContinuousClock.now - start
        switch options.output {
        case .rawOnly:
            print(Self.hex(phc.tag))
        case .encodedOnly:
            print(phc)
        case .report:
            let names: [Argon2.Variant: String] = [.d: "Argon2d", .i: "Argon2i", .id: "Argon2id"]
            print("Type:\t\t\(names[options.parameters.variant] ?? "")")
            print("Iterations:\t\(options.parameters.iterations)")
            print("Memory:\t\t\(options.parameters.memoryKiB) KiB")
            print("Parallelism:\t\(options.parameters.parallelism)")
            print("Hash:\t\t\(Self.hex(phc.tag))")
            print("Encoded:\t\(phc)")
            print(String(format: "%.3f seconds", Self.seconds(elapsed)))
            let isValid = (try? phc.verify(password: password, secret: options.secret)) ?? false
            print(isValid ? "Verification ok" : "Verification failed")
        }
    }

    private func verify(_ text: String, password: [UInt8], secret: [UInt8]) throws {
        let phc: PHCString
        do {
            phc = try PHCString(parsing: text)
        } catch {
            throw ValidationError("invalid PHC string: \(error)")
        }
        let isValid: Bool
        do {
            isValid = try phc.verify(password: password, secret: secret)
        } catch {
            throw ValidationError("\(error)")
        }
        print(isValid ? "Verification ok" : "Verification failed")
        throw ExitCode(isValid ? 0 : 1)
    }

    private func bench(count: Int, password: [UInt8], salt: [UInt8], options: Options) throws {
        let hasher = Argon2Hasher(maxConcurrent: 1, maxMemoryKiB: Int(UInt32.max))
        var times: [Double] = []
        times.reserveCapacity(count)
        var tag: [UInt8] = []
        for _ in 0..<count {
            let start = ContinuousClock.now
            do {
                tag = try hasher.hash(
                    password: password, salt: salt, parameters: options.parameters,
                    secret: options.secret, associatedData: options.associatedData)
            } catch {
                throw ValidationError("\(error)")
            }
            times.append(Self.seconds(ContinuousClock.now - start) * 1000)
        }
        times.sort()
        let median = count % 2 == 1 ? times[count / 2] : (times[count / 2 - 1] + times[count / 2]) / 2
        let p10 = times[count / 10]
        let p90 = times[min(count - 1, count * 9 / 10)]
        print(
            String(
                format: "%d hashes: median %.3f ms, min %.3f ms, max %.3f ms, p10 %.3f ms, p90 %.3f ms",
                count, median, times[0], times[count - 1], p10, p90))
        print("Hash:\t\t\(Self.hex(tag))")
    }

    /// Hashes per second with `threads` threads sharing one pooled hasher, as a server hashes: the reference the
    /// hub's sign-in benchmark compares against. One warm-up hash per thread is not counted.
    private func throughput(threads: Int, count: Int, password: [UInt8], salt: [UInt8], options: Options) throws {
        let hasher = Argon2Hasher(maxConcurrent: threads, maxMemoryKiB: Int(UInt32.max))
        let parameters = options.parameters
        let secret = options.secret
        let data = options.associatedData
        let work: @Sendable (Int) -> Void = { rounds in
            for _ in 0..<rounds {
                _ = try? hasher.hash(
                    password: password, salt: salt, parameters: parameters, secret: secret, associatedData: data)
            }
        }
        func runAll(_ rounds: Int) {
            let group = DispatchGroup()
            for _ in 0..<threads {
                group.enter()
                Thread {
                    work(rounds)
                    group.leave()
                }.start()
            }
            group.wait()
        }
        runAll(1)
        let start = ContinuousClock.now
        runAll(count)
        let seconds = Self.seconds(ContinuousClock.now - start)
        print(
            String(format: "%d threads x %d hashes: %.1f hashes/s", threads, count, Double(threads * count) / seconds))
    }

    /// Forces the kernel named by GATEHOUSE_ARGON2_KERNEL, if set (the library itself reads no environment).
    static func applyKernelEnvironment() throws {
        guard let name = ProcessInfo.processInfo.environment["GATEHOUSE_ARGON2_KERNEL"], !name.isEmpty else {
            return
        }
        let names = Argon2.Kernel.allCases.map(\.rawValue).joined(separator: ", ")
        guard let kernel = Argon2.Kernel(rawValue: name) else {
            throw ValidationError("GATEHOUSE_ARGON2_KERNEL=\(name) is not one of \(names)")
        }
        do {
            try Argon2.Kernel.use(kernel)
        } catch {
            throw ValidationError(
                "GATEHOUSE_ARGON2_KERNEL=\(name): this CPU cannot run it (available: "
                    + "\(Argon2.Kernel.available.map(\.rawValue).joined(separator: ", ")))")
        }
    }

    /// Parses the reference tool's flags plus ours.
    static func parse(_ arguments: [String]) throws -> Options {
        var options = Options()
        var index = 0
        func value(_ flag: String) throws -> String {
            index += 1
            guard index < arguments.count else { throw ValidationError("\(flag) needs a value") }
            return arguments[index]
        }
        func number(_ flag: String, _ range: ClosedRange<Int>) throws -> Int {
            let text = try value(flag)
            guard let number = Int(text), range.contains(number) else {
                throw ValidationError("\(flag) must be a number in \(range.lowerBound)...\(range.upperBound)")
            }
            return number
        }
        let max32 = Int(UInt32.max)
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "-i": options.parameters.variant = .i
            case "-d": options.parameters.variant = .d
            case "-id": options.parameters.variant = .id
            case "-t": options.parameters.iterations = try number(argument, 1...max32)
            case "-m": options.parameters.memoryKiB = 1 << (try number(argument, 1...31))
            case "-k": options.parameters.memoryKiB = try number(argument, 1...max32)
            case "-p": options.parameters.parallelism = try number(argument, 1...0xFF_FFFF)
            case "-l": options.parameters.tagLength = try number(argument, 4...max32)
            case "-v":
                switch try value(argument) {
                case "10": options.parameters.version = .v10
                case "13": options.parameters.version = .v13
                default: throw ValidationError("-v must be 10 or 13")
                }
            case "-r": options.output = .rawOnly
            case "-e": options.output = .encodedOnly
            case "--salt-hex": options.salt = try hexBytes(try value(argument), flag: argument)
            case "--secret-hex": options.secret = try hexBytes(try value(argument), flag: argument)
            case "--ad-hex": options.associatedData = try hexBytes(try value(argument), flag: argument)
            case "--bench": options.benchCount = try number(argument, 1...1_000_000)
            case "--bench-threads": options.benchThreads = try number(argument, 1...256)
            case "--verify": options.verify = try value(argument)
            case "-h", "--help": throw CleanExit.helpRequest(Argon2Command.self)
            default:
                guard !argument.hasPrefix("-"), options.salt == nil else {
                    throw ValidationError("unexpected argument \(argument)")
                }
                options.salt = Array(argument.utf8)
            }
            index += 1
        }
        return options
    }

    static func hexBytes(_ text: String, flag: String) throws -> [UInt8] {
        let digits = Array(text.utf8)
        let isHexDigit = { (c: UInt8) in (c >= 0x30 && c <= 0x39) || (c | 0x20 >= 0x61 && c | 0x20 <= 0x66) }
        guard digits.count % 2 == 0, digits.allSatisfy(isHexDigit) else {
            throw ValidationError("\(flag) needs an even number of hex digits")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        for pair in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[pair..<pair + 2], as: UTF8.self), radix: 16) else {
                throw ValidationError("\(flag) is not hex")
            }
            bytes.append(byte)
        }
        return bytes
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
