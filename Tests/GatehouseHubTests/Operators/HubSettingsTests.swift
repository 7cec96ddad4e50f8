import Foundation
import GatehouseCore
import GatehouseHub
import GatehouseSettings
import Testing

@Suite("The hub's configuration from its settings")
struct HubSettingsTests {
    @Test("no settings: the documented defaults")
    func defaults() throws {
        let configuration = try HubConfiguration(settings: Settings(environment: [:]))
        #expect(configuration.port == 8080 && configuration.host == "127.0.0.1")
        #expect(configuration.dataDirectory == "./gatehouse-data")
        #expect(configuration.publicURL == "http://localhost:8080")
        #expect(configuration.signUpMode == .invite)
        #expect(configuration.argon2MemoryKiB == 19_456 && configuration.argon2Iterations == 2)
        #expect(configuration.deviceVerification && !configuration.adminsNeedPasskey)
        #expect(configuration.mail.transport == .file && configuration.tls == nil)
        #expect(configuration.trustedProxies.isEmpty && configuration.tracesPerSecond == 10)
        #expect(!configuration.metricsEnabled && configuration.stuffingThreshold == 600)
    }

    @Test("each kind of setting reaches the configuration")
    func values() throws {
        let environment = [
            "GATEHOUSE_PORT": "9090", "GATEHOUSE_SIGN_UP": "open", "GATEHOUSE_TRUSTED_PROXIES": "10.0.0.0/8,::1",
            "GATEHOUSE_SMTP": "mail.example:2525", "GATEHOUSE_SMTP_SECURITY": "tls", "GATEHOUSE_MAIL": "smtp",
            "GATEHOUSE_SMTP_PASSWORD": "pw", "GATEHOUSE_ARGON2_MEMORY_KIB": "65536", "GATEHOUSE_APP_IDLE_DAYS": "2",
            "GATEHOUSE_DEVICE_VERIFICATION": "off", "GATEHOUSE_ADMIN_CREDENTIAL": "passkey",
            "GATEHOUSE_TRACE_RATE": "all", "GATEHOUSE_DPOP_REPLAY": "database", "GATEHOUSE_BREACH_CHECK": "fail-closed",
            "GATEHOUSE_VULNERABLE_SERVERS": "owner-only", "GATEHOUSE_MEMBERS_CAN_INVITE": "1",
        ]
        let configuration = try HubConfiguration(
            settings: Settings(flags: [.host: .string("0.0.0.0")], environment: environment))
        #expect(configuration.port == 9090 && configuration.host == "0.0.0.0")
        #expect(configuration.publicURL == "http://localhost:9090")
        #expect(configuration.signUpMode == .open && configuration.membersCanInvite)
        #expect(configuration.trustedProxies.count == 2)
        #expect(configuration.mail.transport == .smtp && configuration.mail.smtpHost == "mail.example")
        #expect(configuration.mail.smtpPort == 2525 && configuration.mail.smtpSecurity == .tls)
        #expect(configuration.mail.smtpPassword == "pw")
        #expect(configuration.argon2MemoryKiB == 65_536)
        #expect(configuration.deviceLifetimes.appIdle == 2 * 86_400)
        #expect(!configuration.deviceVerification && configuration.adminsNeedPasskey)
        #expect(configuration.tracesPerSecond == nil && configuration.dpopSharedReplay)
        #expect(configuration.breachCheckFailsClosed && configuration.vulnerableServerAccess == .ownerOnly)
    }

    @Test("a value out of its range or set stops the start with a message that names it")
    func refusals() {
        let refused: [[String: String]] = [
            ["GATEHOUSE_PORT": "0"], ["GATEHOUSE_PORT": "http"], ["GATEHOUSE_SIGN_UP": "everyone"],
            ["GATEHOUSE_TRUSTED_PROXIES": "10.0.0.0/33"], ["GATEHOUSE_SMTP": "mail:port"],
            ["GATEHOUSE_SMTP_SECURITY": "ssl"], ["GATEHOUSE_METRICS_TOKEN": "short"],
            ["GATEHOUSE_OTLP_ENDPOINT": "collector:4318"], ["GATEHOUSE_TRACE_RATE": "0"],
            ["GATEHOUSE_BROWSER_MAX_DAYS": "4000"], ["GATEHOUSE_OUTBOX_LEASE_SECONDS": "5"],
            ["GATEHOUSE_DEVICE_VERIFICATION": "maybe"], ["GATEHOUSE_BREACH_CHECK": "fail-shut"],
            ["GATEHOUSE_TLS_CERT": "/some/cert.pem"],
        ]
        for environment in refused {
            #expect(throws: SettingsError.self, "\(environment)") {
                try HubConfiguration(settings: Settings(environment: environment))
            }
        }
    }
}
