import Foundation

/// A running `e2e/support/smtp_sink.py` (aiosmtpd) on a free loopback port, stopped on `stop()` or deinit.
final class SMTPSink {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// What the sink stored for one accepted message.
    struct Received {
        let raw: Data
        let mailFrom: String
        let recipients: [String]
        let authUser: String?
        let usedTLS: Bool
        let file: URL
    }

    let port: Int
    let directory: URL
    private let process: Process

    private init(port: Int, directory: URL, process: Process) {
        self.port = port
        self.directory = directory
        self.process = process
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory.deletingLastPathComponent())
    }

    /// The repository root, found from this file's location (through the symlinks a dev package may use).
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// A fresh temporary folder.
    static func makeTemporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("smtp-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Starts the sink with extra command-line arguments and waits until it listens.
    static func start(_ arguments: [String] = []) throws -> SMTPSink {
        let directory = try makeTemporaryDirectory().appendingPathComponent("mail")
        let script = repositoryRoot.appendingPathComponent("e2e/support/smtp_sink.py").path
        let (process, firstLine) = try launch(
            ["python3", script, "--port", "0", "--dir", directory.path] + arguments
        )
        guard let port = firstLine.split(separator: " ").last.flatMap({ Int($0) }), firstLine.hasPrefix("LISTENING")
        else {
            process.terminate()
            throw Failure(description: "sink did not start: \(firstLine)")
        }
        return SMTPSink(port: port, directory: directory, process: process)
    }

    /// Runs `python3 -c` code that prints "LISTENING <port>" and then holds connections open without answering.
    static func startSilentListener() throws -> (process: Process, port: Int) {
        let code = """
            import signal, socket, time
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
            s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
            print("LISTENING", s.getsockname()[1], flush=True)
            time.sleep(600)
            """
        let (process, line) = try launch(["python3", "-c", code])
        guard let port = line.split(separator: " ").last.flatMap({ Int($0) }) else {
            process.terminate()
            throw Failure(description: "listener did not start: \(line)")
        }
        return (process, port)
    }

    private static func launch(_ arguments: [String]) throws -> (Process, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        return (process, String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Stops the sink and waits for it.
    func stop() {
        Self.end(process)
    }

    /// Sends SIGTERM, and SIGKILL if the process is still there after two seconds, then reaps it.
    static func end(_ process: Process) {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(2)
        while process.isRunning && Date() < deadline {
            usleep(20_000)
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
    }

    /// Every message stored so far, oldest first.
    func received() throws -> [Received] {
        guard FileManager.default.fileExists(atPath: directory.path) else { return [] }
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "eml" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        return try files.map { file in
            let meta =
                try JSONSerialization.jsonObject(
                    with: Data(contentsOf: file.deletingPathExtension().appendingPathExtension("json"))
                ) as? [String: Any] ?? [:]
            return Received(
                raw: try Data(contentsOf: file),
                mailFrom: meta["mail_from"] as? String ?? "",
                recipients: meta["rcpt_tos"] as? [String] ?? [],
                authUser: meta["auth_user"] as? String,
                usedTLS: meta["tls"] as? Bool ?? false,
                file: file
            )
        }
    }
}

/// A self-signed certificate and key made with the openssl command for one test.
final class TestCertificate {
    let certificate: String
    let key: String
    private let directory: URL

    private init(certificate: String, key: String, directory: URL) {
        self.certificate = certificate
        self.key = key
        self.directory = directory
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Makes a certificate valid for `names` (DNS names) and, unless told otherwise, for 127.0.0.1.
    static func make(names: [String] = ["localhost"], includesLoopbackIP: Bool = true) throws -> TestCertificate {
        let directory = try SMTPSink.makeTemporaryDirectory()
        let certificate = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        let alternativeNames = (names.map { "DNS:\($0)" } + (includesLoopbackIP ? ["IP:127.0.0.1"] : []))
            .joined(separator: ",")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-days", "2", "-subj", "/CN=\(names[0])", "-addext", "subjectAltName=\(alternativeNames)",
            "-keyout", key, "-out", certificate,
        ]
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            try? FileManager.default.removeItem(at: directory)
            throw SMTPSink.Failure(description: "openssl failed with status \(process.terminationStatus)")
        }
        return TestCertificate(certificate: certificate, key: key, directory: directory)
    }

    /// The sink arguments that serve this certificate.
    var sinkArguments: [String] { ["--tls-cert", certificate, "--tls-key", key] }
}

/// A message as Python's `email` package (an independent MIME implementation) reads it.
struct ParsedMail: Decodable {
    let subject: String
    let from: String
    let to: String
    let cc: String?
    let bcc: String?
    let date: String
    let messageID: String
    let text: String?
    let html: String?
    let defects: [String]
    let maximumLineLength: Int

    static func parse(_ file: URL) throws -> ParsedMail {
        let code = """
            import email, email.policy, json, sys
            raw = open(sys.argv[1], "rb").read()
            m = email.message_from_bytes(raw, policy=email.policy.default)
            def body(kind):
                part = m.get_body(preferencelist=(kind,))
                # Line endings are checked on the raw bytes; here only the content matters.
                return None if part is None else part.get_content().replace("\\r\\n", "\\n")
            defects = [type(d).__name__ for part in m.walk() for d in part.defects]
            print(json.dumps({
                "subject": str(m["Subject"]), "from": str(m["From"]), "to": str(m["To"]),
                "cc": None if m["Cc"] is None else str(m["Cc"]),
                "bcc": None if m["Bcc"] is None else str(m["Bcc"]),
                "date": str(m["Date"]), "messageID": str(m["Message-ID"]),
                "text": body("plain"), "html": body("html"), "defects": defects,
                "maximumLineLength": max(len(line) for line in raw.split(b"\\r\\n")),
            }))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", code, file.path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return try JSONDecoder().decode(ParsedMail.self, from: data)
    }
}
