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
    /// The release key's signed list of everything published, with its expiry.
    var releaseList: SignedReleaseList? = nil

    enum CodingKeys: String, CodingKey {
        case releases
        case keyLists = "key_lists"
        case releaseList = "release_list"
    }
}

/// One entry of `GET /api/v1/advisories`. Only `signed` counts: the plain fields are for people, and an entry
/// without a signature that verifies against the pinned release keys is ignored (and reported).
struct PublishedAdvisory: Sendable, Decodable, Equatable {
    var id: String?
    var signed: SignedAdvisory?

    init(id: String? = nil, signed: SignedAdvisory?) {
        self.id = id
        self.signed = signed
    }
}

/// Something the planner refused to trust: a release, an advisory or a key list, and why.
struct UpdateRefusal: Sendable, Equatable {
    var version: String
    var reason: String
}

/// One check's full outcome: the decision, every entry skipped on the way, and warnings about the release list
/// (missing, stale, replayed, or naming entries the hub withholds) for the owner.
struct UpdatePlan: Sendable, Equatable {
    var decision: UpdateDecision = .upToDate
    var refused: [UpdateRefusal] = []
    var warnings: [String] = []
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

/// Decides what to do with a listing: follows the key lists, checks the signed release list, verifies releases from
/// the newest down (skipping every entry that does not verify, so a bogus newest release blocks nothing), and
/// applies the downgrade, replay and policy rules with verified advisories only (docs/update-protocol.md). Pure: the
/// caller fetches and persists.
struct UpdatePlanner: Sendable {
    var policy: UpdatePolicy
    var channel: String
    var running: SemanticVersion

    func plan(
        listing: ReleaseListing, advisories: [PublishedAdvisory] = [], state: inout UpdateState, now: Date = Date()
    ) -> UpdateDecision {
        evaluate(listing: listing, advisories: advisories, state: &state, now: now).decision
    }

    func evaluate(
        listing: ReleaseListing, advisories published: [PublishedAdvisory], state: inout UpdateState,
        now: Date = Date()
    ) -> UpdatePlan {
        var plan = UpdatePlan()
        plan.refused = follow(listing.keyLists, state: &state)
        let verifier = ReleaseVerifier(pinned: state.trusted)

        // Advisories: only those the release key signed.
        var advisories: [AdvisoryDocument] = []
        for entry in published {
            let name = "advisory \(entry.id ?? "?")"
            guard let signed = entry.signed else {
                plan.refused.append(.init(version: name, reason: "unsigned advisory: ignored"))
                continue
            }
            do {
                advisories.append(try verifier.verify(signed))
            } catch {
                plan.refused.append(.init(version: name, reason: "advisory ignored: \(error)"))
            }
        }
        plan.warnings = checkList(listing, advisories: published, verifier: verifier, state: &state, now: now)

        // Releases, newest claimed first; the claimed version only orders them, nothing unverified is acted on.
        let claimed = listing.releases.compactMap { signed -> (SignedManifest, SemanticVersion)? in
            guard let bytes = GatehouseReleases.Base64URL.decode(signed.manifest),
                let manifest = try? JSONDecoder().decode(ReleaseManifest.self, from: Data(bytes)),
                accepts(channel: manifest.channel)
            else { return nil }
            return (signed, manifest.version)
        }.sorted { $0.1 > $1.1 }
        var releaseRefusals: [UpdateRefusal] = []
        var chosen: ReleaseManifest?
        for (signed, claimedVersion) in claimed {
            do {
                chosen = try verifier.verify(signed)
                break
            } catch {
                releaseRefusals.append(.init(version: claimedVersion.description, reason: "\(error)"))
            }
        }
        plan.refused.append(contentsOf: releaseRefusals)
        guard let manifest = chosen else {
            if let first = releaseRefusals.first ?? plan.refused.first(where: { $0.version.hasPrefix("key list") }) {
                plan.decision = .refuse(version: first.version, reason: first.reason)
            }
            return plan
        }
        plan.decision = decide(manifest, advisories: advisories, state: &state)
        if case .refuse(let version, let reason) = plan.decision {
            plan.refused.append(.init(version: version, reason: reason))
        }
        return plan
    }

    /// The rules for the newest verified release.
    private func decide(_ manifest: ReleaseManifest, advisories: [AdvisoryDocument], state: inout UpdateState)
        -> UpdateDecision
    {
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

    /// Checks the signed release list: present, signed by a trusted key, not older than one seen before, not
    /// expired, and everything it names for this channel served unaltered. Returns warnings for the owner.
    private func checkList(
        _ listing: ReleaseListing, advisories: [PublishedAdvisory], verifier: ReleaseVerifier,
        state: inout UpdateState, now: Date
    ) -> [String] {
        guard let signed = listing.releaseList else {
            return ["The hub serves no signed release list: it may be withholding releases or advisories."]
        }
        let list: ReleaseList
        do {
            list = try verifier.verify(signed)
        } catch {
            return ["The hub's release list does not verify against the pinned release keys (\(error)); ignored."]
        }
        if let seen = state.listSequence, list.sequence < seen {
            return [
                "The hub serves an older release list (\(list.sequence)) than one seen before (\(seen)): a replay, "
                    + "so releases or advisories may be withheld."
            ]
        }
        state.listSequence = list.sequence
        var warnings: [String] = []
        guard let expiry = list.expiryDate, expiry > now else {
            return [
                "The signed release list expired at \(list.expires): the hub is frozen or withholding newer "
                    + "releases and advisories (or the operator has not signed a fresh list)."
            ]
        }
        var served: [String: String] = [:]
        for release in listing.releases {
            guard let bytes = GatehouseReleases.Base64URL.decode(release.manifest),
                let manifest = try? JSONDecoder().decode(ReleaseManifest.self, from: Data(bytes))
            else { continue }
            served[manifest.version.description] = SignedDigest.hex(bytes)
        }
        for entry in list.releases
        where accepts(channel: entry.channel ?? "stable") && served[entry.name] != entry.sha256 {
            warnings.append("Release \(entry.name) is in the signed release list but the hub withholds or alters it.")
        }
        let servedAdvisories = Set(advisories.compactMap { $0.signed?.digest })
        for entry in list.advisories where !servedAdvisories.contains(entry.sha256) {
            warnings.append("Advisory \(entry.name) is in the signed release list but the hub withholds or alters it.")
        }
        return warnings
    }

    /// Accepts, in sequence order, each key list after the last one accepted that a trusted key signed. A list
    /// signed by a key never trusted here is skipped (it belongs to a part of the chain before the pin); a list that
    /// names a trusted signer but does not verify is skipped and returned as refused (it never stops the check).
    private func follow(_ lists: [SignedKeyList], state: inout UpdateState) -> [UpdateRefusal] {
        let ordered = lists.compactMap { signed -> (SignedKeyList, Int)? in
            guard let bytes = GatehouseReleases.Base64URL.decode(signed.list),
                let list = try? JSONDecoder().decode(ReleaseKeyList.self, from: Data(bytes))
            else { return nil }
            return (signed, list.sequence)
        }.sorted { $0.1 < $1.1 }
        var refused: [UpdateRefusal] = []
        var verifier = ReleaseVerifier(pinned: state.trusted)
        for (signed, sequence) in ordered where sequence > state.keySequence {
            do {
                try verifier.follow([signed])
            } catch ReleaseError.unknownKey {
                continue
            } catch {
                refused.append(.init(version: "key list \(sequence)", reason: "\(error)"))
                continue
            }
            state.keySequence = sequence
            state.trusted = verifier.trusted.sorted { $0.key < $1.key }.map {
                ReleaseKeyList.Key(id: $0.key, publicKey: GatehouseReleases.Base64URL.encode($0.value))
            }
        }
        return refused
    }

    /// The beta channel also takes stable releases; stable takes only stable ones.
    private func accepts(channel offered: String) -> Bool {
        offered == channel || (channel == "beta" && offered == "stable")
    }

    /// True when an advisory covers the running version and `candidate` is at or past its fixed version.
    func fixesRunningVersion(_ candidate: SemanticVersion, advisories: [AdvisoryDocument]) -> Bool {
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
