import Foundation
import GatehouseCore
import GatehouseSettings
import GatehouseTLS

extension HubConfiguration {
    /// The hub's configuration from its settings (flags, then the environment, then the config file): every value
    /// is checked here, so `gatehouse serve`, `gatehouse doctor` and the operator commands read the same thing.
    /// A malformed value throws a `SettingsError` that names it.
    public init(settings: Settings) throws {
        let port = try settings.int(.port) ?? 8080
        guard (1...65_535).contains(port) else { throw SettingsError("\(settings.origin(of: .port)) is 1 to 65535") }
        self.init(
            dataDirectory: try settings.string(.data) ?? "./gatehouse-data",
            host: try settings.string(.host) ?? "127.0.0.1",
            port: port, publicURL: try settings.string(.publicURL), databaseURL: try settings.string(.databaseURL),
            keyringPath: try settings.string(.keyring))
        if let memory = try settings.int(.argon2MemoryKib) { argon2MemoryKiB = memory }
        if let passes = try settings.int(.argon2Iterations) { argon2Iterations = passes }
        allowWeakArgon2 = try settings.bool(.argon2AllowWeak) ?? false
        breachIndexPath = try settings.string(.breachIndex)
        pwnedRangeURL = try settings.string(.pwnedRangeURL)
        breachCheckFailsClosed =
            try Self.choice(settings, .breachCheck, ["allow": false, "fail-open": false, "fail-closed": true]) ?? false
        vulnerableServerAccess =
            try Self.choice(settings, .vulnerableServers, ["everyone": .everyone, "owner-only": .ownerOnly])
            ?? .everyone
        do {
            tls = try TLSCertificateFiles.pair(certificate: settings.string(.tlsCert), key: settings.string(.tlsKey))
        } catch let error as SettingsError {
            throw error
        } catch {
            throw SettingsError("\(error)")
        }
        if tls != nil {
            if try settings.string(.publicURL) == nil {
                publicURL = "https://localhost:\(port)"
            } else if URLComponents(string: publicURL)?.scheme?.lowercased() != "https" {
                throw SettingsError(
                    "with --tls-cert the hub serves https: the public URL (--public-url, GATEHOUSE_PUBLIC_URL) must be "
                        + "https:// too (it is \(publicURL)); links in mail and the passkey origin come from it")
            }
        }
        if let mode = try settings.string(.signUp) {
            guard let value = SignUpMode(rawValue: mode) else {
                throw SettingsError("--sign-up (\(settings.origin(of: .signUp))) is invite, open or closed")
            }
            signUpMode = value
        }
        membersCanInvite = try settings.bool(.membersCanInvite) ?? false
        for text in try settings.strings(.trustedProxies) ?? [] {
            do {
                trustedProxies.append(try IPNetwork(text))
            } catch {
                throw SettingsError("--trusted-proxy: \(error)")
            }
        }
        allowUnregisteredClients = try settings.bool(.allowUnregisteredClients) ?? false
        deviceVerification =
            try Self.choice(settings, .deviceVerification, ["on": true, "off": false], flag: "--device-verification")
            ?? true
        adminsNeedPasskey =
            try Self.choice(
                settings, .adminCredential, ["password": false, "passkey": true], flag: "--admin-credential")
            ?? false
        try readMail(settings)
        deviceLifetimes = try Self.deviceLifetimes(settings)
        if let value = try settings.int(.stuffingThreshold) {
            guard value >= 0 else {
                throw SettingsError(
                    "\(settings.origin(of: .stuffingThreshold)) is a number of failed sign-ins per minute (0: off)")
            }
            stuffingThreshold = value
        }
        dpopRequireNonce = try settings.bool(.dpopRequireNonce) ?? false
        revocationNotify = try Self.choice(settings, .revocationNotify, ["on": true, "off": false]) ?? true
        if let seconds = try settings.double(.outboxLeaseSeconds) {
            guard seconds >= 30, seconds <= 86_400 else {
                throw SettingsError(
                    "\(settings.origin(of: .outboxLeaseSeconds)) is a number of seconds from 30 to 86400")
            }
            outboxLeaseSeconds = seconds
        }
        dpopSharedReplay = try Self.choice(settings, .dpopReplay, ["memory": false, "database": true]) ?? false
        if let seconds = try settings.double(.auditCheckpointInterval) {
            guard seconds >= 0, seconds.isFinite else {
                throw SettingsError("\(settings.origin(of: .auditCheckpointInterval)) is a number of seconds (0: off)")
            }
            auditCheckpointInterval = seconds
        }
        try readOperations(settings)
    }

    private mutating func readMail(_ settings: Settings) throws {
        mail.transport =
            try Self.choice(settings, .mail, ["file": .file, "smtp": .smtp], flag: "--mail") ?? mail.transport
        if let smtp = try settings.string(.smtp) {
            let parts = smtp.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2, !parts[0].isEmpty else {
                throw SettingsError("--smtp (\(settings.origin(of: .smtp))) is host or host:port")
            }
            mail.smtpHost = String(parts[0])
            if parts.count == 2 {
                guard let port = Int(parts[1]), (1...65_535).contains(port) else {
                    throw SettingsError("--smtp (\(settings.origin(of: .smtp))) is host:port with a port 1 to 65535")
                }
                mail.smtpPort = port
            }
        }
        mail.smtpSecurity =
            try Self.choice(
                settings, .smtpSecurity, ["none": .none, "starttls": .starttls, "tls": .tls], flag: "--smtp-security")
            ?? mail.smtpSecurity
        mail.smtpCAFile = try settings.string(.smtpCA)
        mail.smtpUsername = try settings.string(.smtpUsername)
        mail.smtpPassword = try settings.string(.smtpPassword)
        if let from = try settings.string(.mailFrom) { mail.from = from }
        if let retry = try settings.double(.mailRetrySeconds) { mail.retryBaseSeconds = retry }
    }

    private mutating func readOperations(_ settings: Settings) throws {
        metricsPort = try settings.int(.metricsPort)
        if let endpoint = try settings.string(.otlpEndpoint), !endpoint.isEmpty {
            guard endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://") else {
                throw SettingsError("--otlp-endpoint is an http:// or https:// URL of an OTLP/HTTP collector")
            }
            otlpEndpoint = endpoint
        }
        if let text = try settings.string(.traceRate) {
            if text == "all" {
                tracesPerSecond = nil
            } else if let rate = Int(text), rate >= 1, rate <= 1_000_000 {
                tracesPerSecond = rate
            } else {
                throw SettingsError("--trace-rate is a number of requests a second (at least 1), or `all`")
            }
        }
        if let address = try settings.string(.metricsAddress) { metricsHost = address }
        if let token = try settings.string(.metricsToken) {
            // A bearer token on the public port: long enough that guessing it is hopeless.
            guard token.utf8.count >= 32 else {
                throw SettingsError("\(settings.origin(of: .metricsToken)) must be at least 32 characters")
            }
            metricsToken = token
        }
    }

    /// One of a few words; anything else is refused with the words it may be.
    private static func choice<Value>(
        _ settings: Settings, _ key: Settings.Key, _ words: KeyValuePairs<String, Value>, flag: String? = nil
    ) throws -> Value? {
        guard let text = try settings.string(key) else { return nil }
        if let match = words.first(where: { $0.key == text }) { return match.value }
        let names = words.map(\.key)
        let list = names.dropLast().joined(separator: ", ") + " or " + (names.last ?? "")
        let origin = flag.map { "\($0) (\(settings.origin(of: key)))" } ?? settings.origin(of: key)
        throw SettingsError("\(origin) is \(list), not \(text)")
    }

    /// Device credential lifetimes: GATEHOUSE_{BROWSER,APP}_{IDLE,MAX}_DAYS.
    private static func deviceLifetimes(_ settings: Settings) throws -> DeviceLifetimes {
        var lifetimes = DeviceLifetimes()
        func days(_ key: Settings.Key, _ current: TimeInterval) throws -> TimeInterval {
            guard let value = try settings.double(key) else { return current }
            guard value > 0, value <= 3_650 else {
                throw SettingsError("\(settings.origin(of: key)) is a number of days between 0 and 3650")
            }
            return value * 86_400
        }
        lifetimes.browserIdle = try days(.browserIdleDays, lifetimes.browserIdle)
        lifetimes.browserAbsolute = try days(.browserMaxDays, lifetimes.browserAbsolute)
        lifetimes.appIdle = try days(.appIdleDays, lifetimes.appIdle)
        lifetimes.appAbsolute = try days(.appMaxDays, lifetimes.appAbsolute)
        return lifetimes
    }
}
