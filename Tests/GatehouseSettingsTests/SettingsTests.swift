import Foundation
import GatehouseSettings
import Testing

@Suite("Settings: flags, then the environment, then the config file, through one reader")
struct SettingsTests {
    /// A JSON config file in a fresh folder, with mode `mode` (owner-only unless given).
    func configFile(_ json: String, mode: Int = 0o600) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gh-settings-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("gatehouse.json").path
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: NSNumber(value: mode)], ofItemAtPath: path)
        return path
    }

    @Test("every key is read from the environment variable it names, by swift-configuration's provider")
    func environmentNames() throws {
        for key in Settings.Key.allCases {
            let settings = Settings(environment: [key.environmentName: "value-of-\(key.rawValue)"])
            #expect(try settings.string(key) == "value-of-\(key.rawValue)", "\(key.environmentName)")
            // Another setting's variable is not this one.
            #expect(try Settings(environment: ["GATEHOUSE_NOT_A_SETTING": "x"]).string(key) == nil)
        }
        #expect(Settings.Key.port.environmentName == "GATEHOUSE_PORT")
        #expect(Settings.Key.databaseURL.environmentName == "GATEHOUSE_DATABASE_URL")
        #expect(Settings.Key.smtpCA.environmentName == "GATEHOUSE_SMTP_CA")
        #expect(Settings.Key.argon2MemoryKib.environmentName == "GATEHOUSE_ARGON2_MEMORY_KIB")
        #expect(Settings.Key.mediaHubCa.environmentName == "GATEHOUSE_MEDIA_HUB_CA")
        // No two settings share a variable.
        #expect(Set(Settings.Key.allCases.map(\.environmentName)).count == Settings.Key.allCases.count)
    }

    @Test("every key is read from the config file at its path")
    func filePaths() async throws {
        for key in Settings.Key.allCases {
            // {"a": {"b": "v"}} for the key a.b.
            var json = "\"v-\(key.rawValue)\""
            for component in key.rawValue.split(separator: ".").reversed() {
                json = "{\"\(component)\": \(json)}"
            }
            let settings = try await Settings.load(environment: [:], configFile: configFile(json))
            #expect(try settings.string(key) == "v-\(key.rawValue)")
        }
    }

    @Test("a flag wins over the environment, which wins over the file")
    func precedence() async throws {
        let file = try configFile(#"{"port": 1111, "signUp": "closed", "host": "0.0.0.0"}"#)
        let environment = ["GATEHOUSE_PORT": "2222", "GATEHOUSE_SIGN_UP": "open"]
        let settings = try await Settings.load(flags: [.port: .int(3333)], environment: environment, configFile: file)
        #expect(try settings.int(.port) == 3333)
        #expect(try settings.string(.signUp) == "open")
        #expect(try settings.string(.host) == "0.0.0.0")
        #expect(try settings.string(.data) == nil)
        // GATEHOUSE_CONFIG names the file when no flag does.
        let named = try await Settings.load(environment: ["GATEHOUSE_CONFIG": file])
        #expect(try named.int(.port) == 1111)
    }

    @Test("a malformed value is an error naming the setting, never the default")
    func malformed() async throws {
        let badPort = Settings(environment: ["GATEHOUSE_PORT": "80a"])
        #expect(throws: SettingsError.self) { try badPort.int(.port) }
        do {
            _ = try badPort.int(.port)
        } catch let error as SettingsError {
            #expect(error.description.contains("GATEHOUSE_PORT") && error.description.contains("80a"))
        }
        // A bad environment value is not hidden by a good one in the file.
        let file = try configFile(
            #"{"port": 8080, "signUp": 5, "trustedProxies": "10.0.0.0/8", "membersCanInvite": "x"}"#)
        let mixed = try await Settings.load(environment: ["GATEHOUSE_PORT": "eighty"], configFile: file)
        #expect(throws: SettingsError.self) { try mixed.int(.port) }
        let fromFile = try await Settings.load(environment: [:], configFile: file)
        #expect(try fromFile.int(.port) == 8080)
        #expect(throws: SettingsError.self) { try fromFile.string(.signUp) }
        #expect(throws: SettingsError.self) { try fromFile.strings(.trustedProxies) }
        #expect(throws: SettingsError.self) { try fromFile.bool(.membersCanInvite) }
        #expect(throws: SettingsError.self) {
            try Settings(environment: ["GATEHOUSE_OUTBOX_LEASE_SECONDS": "soon"]).double(.outboxLeaseSeconds)
        }
    }

    @Test("a secret that is malformed is not repeated in the message")
    func secretsStayOut() throws {
        let settings = Settings(environment: ["GATEHOUSE_METRICS_TOKEN": "hunter2-is-not-a-number"])
        do {
            _ = try settings.int(.metricsToken)
            Issue.record("a text secret read as a number must fail")
        } catch let error as SettingsError {
            #expect(!error.description.contains("hunter2"))
        }
    }

    @Test("yes or no, numbers and lists")
    func types() async throws {
        for (text, value) in [
            ("1", true), ("true", true), ("yes", true), ("0", false), ("false", false), ("no", false),
        ] {
            #expect(try Settings(environment: ["GATEHOUSE_MEMBERS_CAN_INVITE": text]).bool(.membersCanInvite) == value)
        }
        #expect(throws: SettingsError.self) {
            try Settings(environment: ["GATEHOUSE_MEMBERS_CAN_INVITE": "maybe"]).bool(.membersCanInvite)
        }
        #expect(try Settings(environment: ["GATEHOUSE_MAIL_RETRY_SECONDS": "2.5"]).double(.mailRetrySeconds) == 2.5)
        let list = Settings(environment: ["GATEHOUSE_TRUSTED_PROXIES": "10.0.0.0/8, fd00::/8,,192.0.2.7"])
        #expect(try list.strings(.trustedProxies) == ["10.0.0.0/8", "fd00::/8", "192.0.2.7"])
        let file = try configFile(
            #"{"trustedProxies": ["10.0.0.0/8"], "mailRetrySeconds": 3, "argon2": {"allowWeak": true}}"#)
        let fromFile = try await Settings.load(environment: [:], configFile: file)
        #expect(try fromFile.strings(.trustedProxies) == ["10.0.0.0/8"])
        #expect(try fromFile.double(.mailRetrySeconds) == 3)
        #expect(try fromFile.bool(.argon2AllowWeak) == true)
        let flags = Settings(flags: [.trustedProxies: .strings(["192.0.2.1"]), .membersCanInvite: .bool(true)])
        #expect(try flags.strings(.trustedProxies) == ["192.0.2.1"])
        #expect(try flags.bool(.membersCanInvite) == true)
    }

    @Test("a config file that is missing or not JSON stops the start")
    func badFiles() async throws {
        await #expect(throws: SettingsError.self) {
            try await Settings.load(environment: [:], configFile: "/nonexistent/gatehouse.json")
        }
        let broken = try configFile("{\"port\": ")
        await #expect(throws: SettingsError.self) { try await Settings.load(environment: [:], configFile: broken) }
        let notObject = try configFile("[1, 2]")
        await #expect(throws: SettingsError.self) { try await Settings.load(environment: [:], configFile: notObject) }
    }

    @Test("a config file others can write, or read when it holds a secret, stops the start")
    func filePermissions() async throws {
        // Readable by others is fine without a secret (a packaged default file, mode 644).
        let plain = try configFile(#"{"signUp": "open"}"#, mode: 0o644)
        #expect(try await Settings.load(environment: [:], configFile: plain).string(.signUp) == "open")
        for mode in [0o666, 0o664, 0o646] {
            let writable = try configFile(#"{"signUp": "open"}"#, mode: mode)
            await #expect(throws: SettingsError.self) {
                try await Settings.load(environment: [:], configFile: writable)
            }
        }
        let secret = #"{"smtpPassword": "s3cret-pw"}"#
        for mode in [0o644, 0o640, 0o604] {
            let readable = try configFile(secret, mode: mode)
            do {
                _ = try await Settings.load(environment: [:], configFile: readable)
                Issue.record("mode \(String(mode, radix: 8)) with a secret must be refused")
            } catch let error as SettingsError {
                #expect(error.description.contains("smtpPassword") && !error.description.contains("s3cret"))
            }
        }
        let owned = try configFile(secret, mode: 0o600)
        #expect(try await Settings.load(environment: [:], configFile: owned).string(.smtpPassword) == "s3cret-pw")
        // A secret in the environment says nothing about the file.
        #expect(try await Settings.load(environment: ["GATEHOUSE_SMTP_PASSWORD": "x"], configFile: plain) != nil)
    }
}
