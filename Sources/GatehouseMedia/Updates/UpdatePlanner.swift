import Foundation
import GatehouseReleases

/// What the owner lets the updater do (`--updates`).
public enum UpdatePolicy: String, Sendable, CaseIterable {
    /// Install a release only when an advisory covers the running version and the release fixes it (the default).
    case security
    /// Install every newer release of the channel.
    case all
    /// Never install; report that a release is available.
    case notify
}

/// `GET /api/v1/releases` as the hub serves it.
struct ReleaseListing: Sendable, Decodable, Equatable {
    var releases: [SignedManifest]
    var keyLists: [SignedKeyList]

    enum CodingKeys: String, CodingKey {
        case releases
        case keyLists = "key_lists"
    }
}

/// One entry of `GET /api/v1/advisories`.
struct SecurityAdvisory: Sendable, Decodable, Equatable {
    var id: String
    var affected: String
    var fixed: String
    var severity: String
    var summary: String
}

/// What one check concluded.
enum UpdateDecision: Sendable, Equatable {
    /// Nothing newer to do.
    case upToDate
    /// A verified, newer release the policy says to install.
    case install(ReleaseManifest)
    /// A verified, newer release the policy does not install.
    case available(ReleaseManifest)
    /// A release (or key list) that must not be trusted; `version` names what was offered.
    case refuse(version: String, reason: String)
}

/// Decides what to do with a listing: follows the key lists, verifies the newest release of the channel, and applies
/// the downgrade, replay and policy rules (docs/update-protocol.md). Pure: the caller fetches and persists.
struct UpdatePlanner: Sendable {
    var policy: UpdatePolicy
    var channel: String
    var running: SemanticVersion

    func plan(listing: ReleaseListing, advisories: [SecurityAdvisory], state: inout UpdateState) -> UpdateDecision {
        if let refusal = follow(listing.keyLists, state: &state) { return refusal }

        // The newest release the listing claims, read before verification only to choose which one to verify;
        // nothing unverified is acted on. Older releases never stand in for a newest one that fails.
        let claimed = listing.releases.compactMap { signed -> (SignedManifest, SemanticVersion)? in
            guard let bytes = GatehouseReleases.Base64URL.decode(signed.manifest),
                let manifest = try? JSONDecoder().decode(ReleaseManifest.self, from: Data(bytes)),
                accepts(channel: manifest.channel)
            else { return nil }
            return (signed, manifest.version)
        }
        guard let (newest, claimedVersion) = claimed.max(by: { $0.1 < $1.1 }) else { return .upToDate }

        let verifier = ReleaseVerifier(pinned: state.trusted)
        let manifest: ReleaseManifest
        do {
            manifest = try verifier.verify(newest)
        } catch {
            return .refuse(version: claimedVersion.description, reason: "\(error)")
        }
        guard accepts(channel: manifest.channel) else {
            let reason = "\(ReleaseError.wrongChannel(manifest.channel))"
            return .refuse(version: manifest.version.description, reason: reason)
        }
        if let seen = state.seen[channel] {
            if manifest.version < seen.version
                || (manifest.version == seen.version && Self.isEarlier(manifest.date, than: seen.date))
            {
                return .refuse(
                    version: manifest.version.description,
                    reason: "replay: a newer manifest (\(seen.version), \(seen.date)) was seen before")
            }
        }
        state.seen[channel] = .init(version: manifest.version, date: manifest.date)

        if manifest.version < running {
            return .refuse(
                version: manifest.version.description,
                reason: "\(ReleaseError.notNewer(current: running.description, offered: manifest.version.description))")
        }
        if manifest.version == running || state.rejected.contains(manifest.version.description) {
            return .upToDate
        }
        switch policy {
        case .all:
            return .install(manifest)
        case .notify:
            return .available(manifest)
        case .security:
            let isFix = fixesRunningVersion(manifest.version, advisories: advisories)
            return isFix ? .install(manifest) : .available(manifest)
        }
    }

    /// Accepts, in sequence order, each key list after the last one accepted that a trusted key signed. A list
    /// signed by a key never trusted here is skipped (it belongs to a part of the chain before the pin); a list that
    /// names a trusted signer but does not verify is refused.
    private func follow(_ lists: [SignedKeyList], state: inout UpdateState) -> UpdateDecision? {
        let ordered = lists.compactMap { signed -> (SignedKeyList, Int)? in
            guard let bytes = GatehouseReleases.Base64URL.decode(signed.list),
                let list = try? JSONDecoder().decode(ReleaseKeyList.self, from: Data(bytes))
            else { return nil }
            return (signed, list.sequence)
        }.sorted { $0.1 < $1.1 }
        var verifier = ReleaseVerifier(pinned: state.trusted)
        for (signed, sequence) in ordered where sequence > state.keySequence {
            do {
                try verifier.follow([signed])
            } catch ReleaseError.unknownKey {
                continue
            } catch {
                return .refuse(version: "key list \(sequence)", reason: "\(error)")
            }
            state.keySequence = sequence
            state.trusted = verifier.trusted.sorted { $0.key < $1.key }.map {
                ReleaseKeyList.Key(id: $0.key, publicKey: GatehouseReleases.Base64URL.encode($0.value))
            }
        }
        return nil
    }

    /// The beta channel also takes stable releases; stable takes only stable ones.
    private func accepts(channel offered: String) -> Bool {
        offered == channel || (channel == "beta" && offered == "stable")
    }

    /// True when an advisory covers the running version and `candidate` is at or past its fixed version.
    func fixesRunningVersion(_ candidate: SemanticVersion, advisories: [SecurityAdvisory]) -> Bool {
        advisories.contains { advisory in
            guard let range = VersionRange(advisory.affected), let fixed = SemanticVersion(advisory.fixed) else {
                return false
            }
            return range.contains(running) && candidate >= fixed
        }
    }

    /// Compares ISO 8601 dates; text that does not parse compares as text (ISO 8601 sorts as text in one format).
    static func isEarlier(_ date: String, than other: String) -> Bool {
        let formatter = ISO8601DateFormatter()
        if let left = formatter.date(from: date), let right = formatter.date(from: other) { return left < right }
        return date < other
    }
}
