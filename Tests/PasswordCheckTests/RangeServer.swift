import Foundation

/// A small Pwned-Passwords-style range server (Python's http.server in a subprocess) for the client tests.
///
/// `GET /range/{PREFIX}` answers the lines given for that prefix (or an empty body); it answers 400 when the
/// `Add-Padding: true` header is missing, so every successful test also proves the header is sent.
/// Any path under `/broken/` answers 500.
final class RangeServer {
    private let process: Process
    private let directory: TemporaryDirectory
    let port: Int

    var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }  // swiftlint:disable:this force_unwrapping

    enum StartError: Error {
        case noPort(String)
    }

    private static let script = #"""
        import http.server, json, sys

        RANGES = json.load(open(sys.argv[1]))

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path.startswith("/broken/"):
                    self.send_response(500); self.end_headers(); return
                if self.headers.get("Add-Padding", "").lower() != "true":
                    self.send_response(400); self.end_headers(); return
                parts = self.path.strip("/").split("/")
                if len(parts) != 2 or parts[0] != "range":
                    self.send_response(404); self.end_headers(); return
                body = "\r\n".join(RANGES.get(parts[1].upper(), [])).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

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
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}
