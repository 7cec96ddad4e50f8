// Driver for Benchmarks/smtp_bench.py: sends N messages with SMTPClient and prints one JSON line with the rate.
// Build it as an executable target that depends on SMTPClient and NIOPosix (see smtp_bench.py).
//
// usage: smtp-bench --port PORT [--host 127.0.0.1] [--count 1000] [--mode reuse|single] [--batch 100]
import Foundation
import SMTPClient

struct Options {
    var host = "127.0.0.1"
    var port = 2525
    var count = 1000
    var mode = "reuse"
    var batch = 100

    init(_ arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let flag = iterator.next() {
            let value = iterator.next() ?? ""
            switch flag {
            case "--host": host = value
            case "--port": port = Int(value) ?? port
            case "--count": count = Int(value) ?? count
            case "--mode": mode = value
            case "--batch": batch = max(1, Int(value) ?? batch)
            default: FileHandle.standardError.write(Data("unknown option \(flag)\n".utf8))
            }
        }
    }
}

func makeMessage(_ index: Int) -> MailMessage {
    MailMessage(
        from: MailAddress("bench@gatehouse.test", displayName: "Gatehouse"),
        to: [MailAddress("user\(index)@example.org")],
        subject: "Reset your password (\(index))",
        textBody: "Someone asked to reset the password of your account.\n"
            + "Open https://hub.example.org/reset#token-\(index) within 30 minutes.\n"
            + "If it was not you, ignore this message.\n",
        htmlBody: "<p>Someone asked to reset the password of your account.</p>\n"
            + "<p><a href=\"https://hub.example.org/reset#token-\(index)\">Reset your password</a></p>\n"
    )
}

let options = Options(CommandLine.arguments)
let client = try SMTPClient(
    configuration: SMTPConfiguration(host: options.host, port: options.port, security: .none, timeout: .seconds(30))
)
let messages = (0..<options.count).map(makeMessage)
var failures = 0
let clock = ContinuousClock()
let started = clock.now
switch options.mode {
case "single":
    for message in messages {
        do {
            try await client.send(message)
        } catch {
            failures += 1
        }
    }
default:
    var start = 0
    while start < messages.count {
        let end = min(start + options.batch, messages.count)
        failures += await client.send(Array(messages[start..<end])).filter { (try? $0.get()) == nil }.count
        start = end
    }
}
let elapsed = clock.now - started
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
print(#"{"mode": "\#(options.mode)", "messages": \#(options.count), "failures": \#(failures), "seconds": \#(seconds)}"#)
