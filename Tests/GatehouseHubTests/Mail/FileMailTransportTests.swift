import Foundation
import GatehouseCore
import SMTPClient
import Testing

@testable import GatehouseHub

@Suite("The mail folder transport")
struct FileMailTransportTests {
    private func message(id: String, at seconds: Int64) -> OutboxMessage {
        OutboxMessage(
            id: id, recipient: "zoe@example.com", subject: "New sign-in", textBody: "Someone signed in.",
            htmlBody: "<p>Someone signed in.</p>", kind: "new-sign-in", createdAt: Date(epochSeconds: seconds),
            nextAttemptAt: Date(epochSeconds: seconds))
    }

    @Test("each message is one whole file, owner-only, named by time then id, with nothing half-written left")
    func writesWholeFiles() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gh-mail-\(UUID().uuidString)")
            .appendingPathComponent("nested").path
        defer { try? FileManager.default.removeItem(atPath: (folder as NSString).deletingLastPathComponent) }
        let transport = FileMailTransport(directory: folder, from: MailAddress("hub@example.com"))
        try await transport.deliver(message(id: "m2", at: 1_800_000_100))
        try await transport.deliver(message(id: "m1", at: 1_800_000_000))
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        #expect(names == ["1800000000-m1.eml", "1800000100-m2.eml"])
        let path = folder + "/1800000000-m1.eml"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("Subject: New sign-in"))
        #expect(text.contains("Message-ID: <m1@example.com>"))
        #expect(text.contains("Someone signed in."))
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(FileMailTransport.fileName(createdAt: 7, id: "x") == "0000000007-x.eml")
    }

    @Test("a part file left in the folder, even a link to another file, is replaced, never written through")
    func stalePartIsReplaced() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gh-mail-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let target = folder + "/elsewhere.txt"
        try "untouched".write(toFile: target, atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(
            atPath: folder + "/1800000000-m1.eml.part", withDestinationPath: target)
        let transport = FileMailTransport(directory: folder, from: MailAddress("hub@example.com"))
        try await transport.deliver(message(id: "m1", at: 1_800_000_000))
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "untouched")
        let path = folder + "/1800000000-m1.eml"
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains("Subject: New sign-in"))
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o600)
        #expect(!FileManager.default.fileExists(atPath: path + ".part"))
    }

    @Test("a folder that cannot be written is a transient failure, not a crash")
    func unwritableFolder() async throws {
        let transport = FileMailTransport(
            directory: "/proc/gatehouse-no-such-folder", from: MailAddress("hub@example.com"))
        do {
            try await transport.deliver(message(id: "m1", at: 1_800_000_000))
            Issue.record("delivered into a folder that cannot exist")
        } catch let error as MailTransportError {
            #expect(error.isTransient)
        }
    }
}
