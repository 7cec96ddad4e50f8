import Logging
import Synchronization

/// What the media server must tell its owner about its trust in the hub: a refused key, a 401 while claimed, a
/// stale or withheld release list. Shown on the status page and logged on the console when it changes.
public final class TrustAlerts: Sendable {
    /// The subjects, one alert each (a newer alert on a subject replaces the older one).
    public enum Topic: String, Sendable, CaseIterable {
        case hubKeys = "hub-keys"
        case hubCredential = "hub-credential"
        case releaseList = "release-list"
    }

    private let alerts = Mutex<[Topic: String]>([:])
    private let logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }

    /// Raises (or replaces) the alert on `topic`; logs it when it is new.
    func raise(_ topic: Topic, _ message: String) {
        let isNew = alerts.withLock { alerts -> Bool in
            defer { alerts[topic] = message }
            return alerts[topic] != message
        }
        if isNew { logger.error("\(message)", metadata: ["alert": "\(topic.rawValue)"]) }
    }

    /// Clears the alert on `topic`; logs that it cleared.
    func clear(_ topic: Topic) {
        let was = alerts.withLock { $0.removeValue(forKey: topic) }
        if was != nil { logger.notice("alert cleared", metadata: ["alert": "\(topic.rawValue)"]) }
    }

    /// The current alerts, in a fixed order.
    public var messages: [String] {
        let current = alerts.withLock { $0 }
        return Topic.allCases.compactMap { current[$0] }
    }

    func message(_ topic: Topic) -> String? { alerts.withLock { $0[topic] } }
}
