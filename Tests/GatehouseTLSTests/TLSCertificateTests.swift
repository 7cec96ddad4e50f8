import Foundation
import GatehouseTLS
import Logging
import Testing

/// The certificate and key a listener serves (`--tls-cert`/`--tls-key`): what a start refuses, and what a reload
/// (SIGHUP) keeps when the new files are bad. Certificates are made by the openssl command, not by the code tested.
@Suite struct TLSCertificateTests {
    /// A folder with a certificate and key made by `openssl req`.
    final class Pair {
        let directory: URL
        let certificate: String
        let key: String
        let serial: String

        init(name: String = "hub.home.arpa") throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("tls-test-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            certificate = directory.appendingPathComponent("cert.pem").path
            key = directory.appendingPathComponent("key.pem").path
            try Self.openssl([
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                "-subj", "/CN=\(name)", "-addext", "subjectAltName=DNS:\(name),IP:127.0.0.1", "-keyout", key,
                "-out", certificate,
            ])
            let output = try Self.openssl(["x509", "-in", certificate, "-noout", "-serial"])
            // "serial=0A1B..." as openssl prints it; the code under test prints lowercase hex.
            serial = String(output.split(separator: "=").last ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
                .lowercased()
        }

        deinit { try? FileManager.default.removeItem(at: directory) }

        var files: TLSCertificateFiles { TLSCertificateFiles(certificatePath: certificate, keyPath: key) }

        @discardableResult
        static func openssl(_ arguments: [String]) throws -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["openssl"] + arguments
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw CocoaError(.executableLoad) }
            return String(decoding: data, as: UTF8.self)
        }
    }

    static func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    static func copy(_ source: String, to destination: String) throws {
        try Data(contentsOf: URL(fileURLWithPath: source)).write(to: URL(fileURLWithPath: destination))
    }

    static func loadError(_ files: TLSCertificateFiles) -> TLSSetupError? {
        do {
            _ = try TLSServerIdentity.load(files)
            return nil
        } catch {
            return error
        }
    }

    @Test func bothFilesOrNeither() throws {
        #expect(try TLSCertificateFiles.pair(certificate: nil, key: nil) == nil)
        #expect(try TLSCertificateFiles.pair(certificate: "", key: "") == nil)
        #expect(
            try TLSCertificateFiles.pair(certificate: "c.pem", key: "k.pem")
                == TLSCertificateFiles(certificatePath: "c.pem", keyPath: "k.pem"))
        #expect(throws: TLSSetupError.incompletePair("--tls-cert needs --tls-key (the private key's PEM file)")) {
            try TLSCertificateFiles.pair(certificate: "c.pem", key: nil)
        }
        #expect(throws: TLSSetupError.self) { try TLSCertificateFiles.pair(certificate: nil, key: "k.pem") }
        #expect(throws: TLSSetupError.self) { try TLSCertificateFiles.pair(certificate: "", key: "k.pem") }
    }

    @Test func aGoodPairLoadsWithItsSerial() throws {
        let pair = try Pair()
        let identity = try TLSServerIdentity.load(pair.files)
        #expect(!pair.serial.isEmpty)
        #expect(
            identity.serial.trimmingPrefix(while: { $0 == "0" }) == pair.serial.trimmingPrefix(while: { $0 == "0" }))
        #expect(identity.chainLength == 1)
        #expect(identity.notValidAfter > Date())
    }

    @Test func missingFilesAreNamed() throws {
        let pair = try Pair()
        let missing = pair.directory.appendingPathComponent("nope.pem").path
        let error = Self.loadError(TLSCertificateFiles(certificatePath: missing, keyPath: pair.key))
        #expect(error == .unreadable(path: missing, reason: "no such file"))
        #expect(error?.description == "cannot read \(missing): no such file")
        #expect(
            Self.loadError(TLSCertificateFiles(certificatePath: pair.certificate, keyPath: missing))
                == .unreadable(path: missing, reason: "no such file"))
        // A folder is no file.
        #expect(
            Self.loadError(TLSCertificateFiles(certificatePath: pair.directory.path, keyPath: pair.key)) != nil)
    }

    @Test func garbageIsRefusedWithoutEchoingIt() throws {
        let pair = try Pair()
        let junk = pair.directory.appendingPathComponent("junk.pem").path
        try Self.write("hello, not a certificate\n", to: junk)
        #expect(
            Self.loadError(TLSCertificateFiles(certificatePath: junk, keyPath: pair.key)) == .noCertificate(path: junk))
        try Self.write("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", to: junk)
        #expect(
            Self.loadError(TLSCertificateFiles(certificatePath: junk, keyPath: pair.key))
                == .invalidCertificate(path: junk))
        // A certificate given as the key.
        let error = Self.loadError(TLSCertificateFiles(certificatePath: pair.certificate, keyPath: pair.certificate))
        #expect(error == .invalidKey(path: pair.certificate))
        // The key given as the certificate: refused, and its text is not in the message.
        let keyText = try String(contentsOfFile: pair.key, encoding: .utf8)
        let swapped = Self.loadError(TLSCertificateFiles(certificatePath: pair.key, keyPath: pair.key))
        #expect(swapped == .noCertificate(path: pair.key))
        let body = keyText.split(separator: "\n").dropFirst().first.map(String.init) ?? "?"
        #expect(!(swapped?.description.contains(body) ?? true))
    }

    @Test func aKeyOfAnotherCertificateIsAMismatch() throws {
        let first = try Pair()
        let second = try Pair()
        let error = Self.loadError(TLSCertificateFiles(certificatePath: first.certificate, keyPath: second.key))
        #expect(error == .keyMismatch(certificate: first.certificate, key: second.key))
    }

    @Test func anOversizedFileIsNotRead() throws {
        let pair = try Pair()
        let big = pair.directory.appendingPathComponent("big.pem").path
        try Data(repeating: 0x41, count: (1 << 20) + 10).write(to: URL(fileURLWithPath: big))
        #expect(Self.loadError(TLSCertificateFiles(certificatePath: big, keyPath: pair.key)) == .tooLarge(path: big))
    }

    @Test func aStartRefusesWhatAReloadWouldKeep() throws {
        let pair = try Pair()
        try Self.write("garbage", to: pair.key)
        #expect(throws: TLSSetupError.invalidKey(path: pair.key)) { try ReloadableTLS(files: pair.files) }
    }

    @Test func reloadSwapsAGoodPairAndKeepsTheOldOneOtherwise() throws {
        let served = try Pair()
        let next = try Pair()
        let tls = try ReloadableTLS(files: served.files)
        let logger = Logger(label: "test")
        let firstSerial = tls.identity.serial
        let firstContext = tls.identity.context

        // The same files again: a fresh context with the same certificate.
        #expect(tls.reload(logger: logger)?.serial == firstSerial)

        // A new pair written in place.
        try Self.copy(next.certificate, to: served.certificate)
        try Self.copy(next.key, to: served.key)
        let second = try #require(tls.reload(logger: logger))
        #expect(second.serial != firstSerial)
        #expect(tls.identity.serial == second.serial)
        #expect(tls.identity.context !== firstContext)

        // Half-written: the old key with the new certificate (the rename of one file landed, the other not).
        let third = try Pair()
        try Self.copy(third.certificate, to: served.certificate)
        #expect(tls.reload(logger: logger) == nil)
        #expect(tls.identity.serial == second.serial)

        // Garbage, an empty file, a missing file: all keep the second certificate.
        try Self.write("-----BEGIN CERTIFICATE-----\ntruncated", to: served.certificate)
        #expect(tls.reload(logger: logger) == nil)
        try Self.write("", to: served.certificate)
        #expect(tls.reload(logger: logger) == nil)
        try FileManager.default.removeItem(atPath: served.key)
        #expect(tls.reload(logger: logger) == nil)
        #expect(tls.identity.serial == second.serial)

        // And a good pair afterwards is taken.
        try Self.copy(third.certificate, to: served.certificate)
        try Self.copy(third.key, to: served.key)
        let fourth = try #require(tls.reload(logger: logger))
        #expect(tls.identity.serial == fourth.serial)
        #expect(fourth.serial != second.serial && fourth.serial != firstSerial)
    }
}
