import GatehouseReleases

extension MediaServerConfiguration {
    /// How the media server keeps itself current (docs/update-protocol.md).
    ///
    /// Mapping from the `gatehouse media` options: `--updates` → `policy`, `--update-channel` → `channel`,
    /// `--release-key ID:BASE64URL` → `releaseKey`, `--update-interval` → `checkInterval`.
    public struct Updates: Sendable {
        /// What the owner lets the updater install.
        public var policy: UpdatePolicy
        /// `stable` or `beta` (beta also takes stable releases).
        public var channel: String
        /// The pinned release key. Stored in the data folder on first use; without one (given or stored) the
        /// updater only logs what the hub offers, since nothing can be verified.
        public var releaseKey: ReleaseKeyList.Key?
        /// Seconds between checks.
        public var checkInterval: Double
        /// Seconds from start to the first check.
        public var firstCheckDelay: Double
        /// True when a supervisor restarts this process after it stages an update (exit code 75). Without one the
        /// updater never installs: it reports what is available instead.
        public var isSupervised: Bool

        /// Creates update settings.
        public init(
            policy: UpdatePolicy = .security, channel: String = "stable", releaseKey: ReleaseKeyList.Key? = nil,
            checkInterval: Double = 3600, firstCheckDelay: Double = 10, isSupervised: Bool = false
        ) {
            self.policy = policy
            self.channel = channel
            self.releaseKey = releaseKey
            self.checkInterval = checkInterval
            self.firstCheckDelay = firstCheckDelay
            self.isSupervised = isSupervised
        }

        /// Parses `ID:BASE64URL` (as `gatehouse releases publish` prints it); nil when malformed.
        public static func releaseKey(argument: String) -> ReleaseKeyList.Key? {
            let parts = argument.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, let raw = GatehouseReleases.Base64URL.decode(parts[1]),
                raw.count == 32
            else { return nil }
            return ReleaseKeyList.Key(id: parts[0], publicKey: parts[1])
        }
    }
}
