import Foundation

/// A small Pwned-Passwords-style range server (Python's http.server in a subprocess) for the client tests.
///
/// `GET /range/{PREFIX}` answers the lines given for that prefix (or an empty body); it answers 400 when the
/// `Add-Padding: true` header is missing, so every successful test also proves the header is sent.
/// Any path under `/broken/` answers 500.
final class RangeServer {
    private let process: Process
    private let directory: TemporaryDirectory
    private let input: Pipe
    let port: Int

    var baseURL: URL { URL(string: "http://127.0.0.1:\(port)") ?? URL(fileURLWithPath: "/") }

    enum StartError: Error {
        case noPort(String)
    }

    private static let script = #"""
        import http.server, json, os, sys, threading

        def exit_when_parent_goes():
            sys.stdin.read()
            os._exit(0)

        threading.Thread(target=exit_when_parent_goes, daemon=True).start()

        RANGES = json.load(open(sys.argv[1]))

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def answer(self, status, body=b""):
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path.startswith("/broken/"):
                    return self.answer(500)
                if self.headers.get("Add-Padding", "").lower() != "true":
                    return self.answer(400)
                parts = self.path.strip("/").split("/")
                if len(parts) != 2 or parts[0] != "range":
                    return self.answer(404)
                self.answer(200, "\r\n".join(RANGES.get(parts[1].upper(), [])).encode())

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """#

    /// Starts a server answering `ranges` (prefix → lines of `SUFFIX:COUNT`).
    init(ranges: [String: [String]]) throws {
        directory = try TemporaryDirectory()
        let scriptPath = try directory.write("range_server.py", Self.script)
        let dataPath = directory.file("ranges.json")
        try JSONEncoder().encode(ranges).write(to: URL(fileURLWithPath: dataPath))
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", scriptPath, dataPath]
        let output = Pipe()
        process.standardOutput = output
        // The server exits when this pipe closes, so it cannot outlive the test process.
        let input = Pipe()
        process.standardInput = input
        self.input = input
        try process.run()
        var received = Data()
        while !received.contains(0x0A) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            received.append(chunk)
        }
        let text = String(decoding: received, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let port = Int(text) else {
            process.terminate()
            throw StartError.noPort(text)
        }
        self.port = port
    }

    func stop() {
        // SIGKILL, not terminate(): the child may inherit a signal mask that blocks SIGTERM.
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? input.fileHandleForWriting.close()
    }

    deinit { stop() }
}
