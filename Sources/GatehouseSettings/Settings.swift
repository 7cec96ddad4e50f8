import Configuration
import Foundation

/// Every setting of `gatehouse serve` (and the operator commands that open the hub's data) and `gatehouse media`,
/// read through one swift-configuration `ConfigReader`.
///
/// A setting has one key (`Settings.Key`). It is looked up in three places, and the first that has it wins:
/// 1. the command's flag (`--smtp-security tls`);
/// 2. the environment: `GATEHOUSE_` and the key's words, upper-cased and joined by `_` (`GATEHOUSE_SMTP_SECURITY`);
/// 3. the JSON file named by `--config` or `GATEHOUSE_CONFIG`, at the key's path (`{"smtpSecurity": "tls"}`,
///    `{"argon2": {"memoryKib": 65536}}`).
///
/// A value that is there but malformed (`GATEHOUSE_PORT=80a`, `"port": "x"`) is an error that names the setting;
/// it is never quietly replaced by the default. Secrets (the SMTP password, the metrics token) are marked as such,
/// so swift-configuration's access log (`CONFIG_ACCESS_LOG_FILE`) redacts them.
public struct Settings: Sendable {
    /// The settings there are. The raw value is the key: dots separate the levels of the config file.
    public enum Key: String, CaseIterable, Sendable {
        // The hub's data and identity.
        case data, databaseURL, keyring, publicURL, logLevel, logFormat
        // Listening.
        case host, port, tlsCert, tlsKey, trustedProxies
        // Mail.
        case mail, smtp, smtpSecurity, smtpCA, smtpUsername, smtpPassword, mailFrom, mailRetrySeconds
        // Accounts and sign-in.
        case signUp, membersCanInvite, adminCredential, deviceVerification, allowUnregisteredClients
        case browserIdleDays, browserMaxDays, appIdleDays, appMaxDays, stuffingThreshold
        // Password hashing and checking.
        case argon2MemoryKib = "argon2.memoryKib"
        case argon2Iterations = "argon2.iterations"
        case argon2AllowWeak = "argon2.allowWeak"
        case breachIndex, pwnedRangeURL, breachCheck
        // Media servers, DPoP, revocations, the outbox and the audit log.
        case vulnerableServers, dpopRequireNonce, dpopReplay, revocationNotify, outboxLeaseSeconds
        case auditCheckpointInterval
        // Operations.
        case metricsPort, metricsAddress, metricsToken, otlpEndpoint, traceRate, timeURL
        // `gatehouse media`.
        case mediaTlsCert, mediaTlsKey, mediaHubCa

        /// Whether the value is a secret: never printed, redacted in swift-configuration's access log.
        public var isSecret: Bool {
            self == .smtpPassword || self == .metricsToken
        }

        /// The environment variable: `GATEHOUSE_`, then the key's words upper-cased and joined by `_` (a lower-case
        /// letter followed by an upper-case one starts a word). swift-configuration's environment provider maps keys
        /// the same way; a test reads every key through that provider under this name.
        public var environmentName: String {
            var words = "GATEHOUSE"
            for component in rawValue.split(separator: ".") {
                words += "_"
                var previousWasLower = false
                for character in component {
                    if previousWasLower && character.isUppercase { words += "_" }
                    words += character.isLetter || character.isNumber ? character.uppercased() : "_"
                    previousWasLower = character.isLowercase
                }
            }
            return words
        }
    }

    /// A value given on the command line.
    public enum FlagValue: Sendable {
        case string(String)
        case int(Int)
        case bool(Bool)
        case strings([String])
    }

    /// The environment variable that names the config file, when `--config` does not.
    public static let configFileVariable = "GATEHOUSE_CONFIG"

    private let reader: ConfigReader
    private let configFile: String?

    /// Reads flags first, then `environment` (the process's by default); no config file.
    public init(flags: [Key: FlagValue] = [:], environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.init(providers: Self.providers(flags: flags, environment: environment), configFile: nil)
    }

    /// Reads flags first, then `environment` (the process's by default), then the JSON config file (`configFile`,
    /// or the one `GATEHOUSE_CONFIG` names; none if neither). A config file that cannot be read or parsed is an error.
    public static func load(
        flags: [Key: FlagValue] = [:], environment: [String: String] = ProcessInfo.processInfo.environment,
        configFile: String? = nil
    ) async throws -> Settings {
        var providers = providers(flags: flags, environment: environment)
        guard let file = configFile ?? environment[configFileVariable].flatMap({ $0.isEmpty ? nil : $0 }) else {
            return Settings(providers: providers, configFile: nil)
        }
        guard FileManager.default.isReadableFile(atPath: file) else {
            throw SettingsError("the config file \(file) does not exist or cannot be read")
        }
        let location = InMemoryProvider(values: ["filePath": ConfigValue(.string(file), isSecret: false)])
        let secretKeys = Set(Key.allCases.filter(\.isSecret).map(\.rawValue))
        let fileProvider: FileProvider<JSONSnapshot>
        do {
            fileProvider = try await FileProvider<JSONSnapshot>(
                parsingOptions: .init(secretsSpecifier: .dynamic { key, _ in secretKeys.contains(key) }),
                config: ConfigReader(provider: location))
        } catch {
            throw SettingsError("the config file \(file) is not a JSON object of settings: \(error)")
        }
        providers.append(fileProvider)
        let inFile = ConfigReader(provider: fileProvider)
        let secret = Key.allCases.first {
            $0.isSecret && inFile.string(forKey: ConfigKey($0.rawValue), isSecret: true) != nil
        }
        try checkPermissions(of: file, holding: secret)
        return Settings(providers: providers, configFile: file)
    }

    /// A config file others can write to can change any setting (open sign-up, another SMTP server); one that holds
    /// a secret must not be readable by them either. Either way nothing starts, as with a readable keyring.
    private static func checkPermissions(of file: String, holding secret: Key?) throws {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: file),
            let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue
        else { return }
        let octal = String(mode, radix: 8)
        if mode & 0o022 != 0 {
            throw SettingsError(
                "the config file \(file) has mode \(octal): others can change the hub's settings; chmod 600 (or 644) it"
            )
        }
        if mode & 0o077 != 0, let secret {
            throw SettingsError(
                "the config file \(file) has mode \(octal) and holds \(secret.rawValue): others can read it; chmod 600 it, "
                    + "or give the secret in the environment (\(secret.environmentName))")
        }
    }

    private init(providers: [any ConfigProvider], configFile: String?) {
        reader = ConfigReader(providers: providers)
        self.configFile = configFile
    }

    /// The flags, then the GATEHOUSE_* environment variables (the `gatehouse` level of every key).
    private static func providers(flags: [Key: FlagValue], environment: [String: String]) -> [any ConfigProvider] {
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        for (key, value) in flags {
            let content: ConfigContent
            switch value {
            case .string(let text): content = .string(text)
            case .int(let number): content = .int(number)
            case .bool(let flag): content = .bool(flag)
            case .strings(let list): content = .stringArray(list)
            }
            values[AbsoluteConfigKey(ConfigKey(key.rawValue))] = ConfigValue(content, isSecret: key.isSecret)
        }
        let secrets = Set(Key.allCases.filter(\.isSecret).map(\.environmentName))
        let variables = environment.filter { $0.key.hasPrefix("GATEHOUSE_") }
        return [
            InMemoryProvider(name: "flags", values: values),
            EnvironmentVariablesProvider(environmentVariables: variables, secretsSpecifier: .specific(secrets))
                .prefixKeys(with: ConfigKey(["gatehouse"])),
        ]
    }

    /// The text of a setting, if it is set. A setting of another type in the config file (a number where text is
    /// expected) is an error.
    public func string(_ key: Key) throws -> String? {
        if let text = reader.string(forKey: ConfigKey(key.rawValue), isSecret: key.isSecret) { return text }
        try refuseIfPresent(key, expected: "text")
        return nil
    }

    /// A whole number, if set.
    public func int(_ key: Key) throws -> Int? {
        if let number = reader.int(forKey: ConfigKey(key.rawValue)) { return number }
        try refuseIfPresent(key, expected: "a whole number")
        return nil
    }

    /// A number, if set (a whole number in the config file is taken too).
    public func double(_ key: Key) throws -> Double? {
        if let number = reader.double(forKey: ConfigKey(key.rawValue)) { return number }
        if let number = reader.int(forKey: ConfigKey(key.rawValue)) { return Double(number) }
        try refuseIfPresent(key, expected: "a number")
        return nil
    }

    /// A yes or no, if set: `true`/`false`, `1`/`0` or `yes`/`no` in the environment; a JSON boolean in the file.
    public func bool(_ key: Key) throws -> Bool? {
        if let flag = reader.bool(forKey: ConfigKey(key.rawValue)) { return flag }
        try refuseIfPresent(key, expected: "true or false (or 1 or 0)")
        return nil
    }

    /// A list, if set: a repeated flag, a comma-separated environment variable, or a JSON array of strings. Empty
    /// items are dropped and each is trimmed.
    public func strings(_ key: Key) throws -> [String]? {
        guard let list = reader.stringArray(forKey: ConfigKey(key.rawValue)) else {
            try refuseIfPresent(key, expected: "a list of text")
            return nil
        }
        return list.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Where a value is read from, for messages: the environment variable, and the file's key when there is a file.
    public func origin(of key: Key) -> String {
        var places = [key.environmentName]
        if let configFile { places.append("\"\(key.rawValue)\" in \(configFile)") }
        return places.joined(separator: " or ")
    }

    /// A typed read found nothing: if the setting is there in some other form, say so instead of using the default.
    private func refuseIfPresent(_ key: Key, expected: String) throws {
        let configKey = ConfigKey(key.rawValue)
        let found: String?
        if let text = reader.string(forKey: configKey, isSecret: key.isSecret) {
            found = key.isSecret ? "a value" : "\"\(text)\""
        } else if reader.int(forKey: configKey) != nil || reader.double(forKey: configKey) != nil {
            found = "a number"
        } else if reader.bool(forKey: configKey) != nil {
            found = "true or false"
        } else if reader.stringArray(forKey: configKey) != nil {
            found = "a list"
        } else {
            found = nil
        }
        if let found {
            throw SettingsError("\(origin(of: key)) is \(found), not \(expected)")
        }
    }
}

/// A setting that is malformed, or a config file that cannot be read; the message names the setting.
public struct SettingsError: Error, CustomStringConvertible, Equatable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
