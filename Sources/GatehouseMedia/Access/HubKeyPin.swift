import Foundation
import GatehouseWire

/// One key as the hub's key endpoint publishes it: every key after the first carries an endorsement, the previous
/// key's signature over `gatehouse-media-key-v1\n<kid>\n<public key, base64url>` (docs/media-protocol.md).
public struct PublishedHubKey: Sendable, Equatable {
    public var kid: String
    public var key: HubPublicKey
    public var signedBy: String?
    public var signature: [UInt8]?

    public init(kid: String, key: HubPublicKey, signedBy: String? = nil, signature: [UInt8]? = nil) {
        self.kid = kid
        self.key = key
        self.signedBy = signedBy
        self.signature = signature
    }

    /// The bytes the previous key signs to endorse this one.
    static func endorsementMessage(kid: String, key: HubPublicKey) -> [UInt8] {
        MediaKeySet.endorsementMessage(kid: kid, publicKey: Base64URL.encode(key.rawRepresentation))
    }
}

/// How the pinned hub keys move on: a published key is trusted when it is pinned already (same bytes), or when a
/// pinned key endorsed it. Nothing else the hub (or the network) says can add a key.
enum HubKeyChain {
    struct Outcome: Equatable {
        /// The pin after this document: the old pin plus the newly endorsed keys.
        var pinned: [String: HubPublicKey]
        /// The keys tokens may be signed with now: pinned keys the hub still publishes.
        var active: [String: HubPublicKey]
        /// Keys newly accepted through the chain.
        var added: [String]
        /// Published keys refused, with the reason.
        var refused: [String]
        /// Pinned keys the hub stopped publishing (retired): removed from the pin.
        var dropped: [String] = []
    }

    static func advance(pinned: [String: HubPublicKey], published: [PublishedHubKey]) -> Outcome {
        var outcome = Outcome(pinned: pinned, active: [:], added: [], refused: [])
        var pending: [PublishedHubKey] = []
        for entry in published {
            if let known = pinned[entry.kid] {
                if known == entry.key {
                    outcome.active[entry.kid] = entry.key
                } else {
                    outcome.refused.append("key \(entry.kid) differs from the key pinned under that id")
                }
            } else {
                pending.append(entry)
            }
        }
        // Endorsements may arrive in any order: repeat while a pass accepts something.
        var progress = true
        while progress && !pending.isEmpty {
            progress = false
            pending.removeAll { entry in
                guard let signer = entry.signedBy, let signerKey = outcome.pinned[signer],
                    let signature = entry.signature,
                    signerKey.isValidSignature(
                        signature, for: PublishedHubKey.endorsementMessage(kid: entry.kid, key: entry.key))
                else { return false }
                outcome.pinned[entry.kid] = entry.key
                outcome.active[entry.kid] = entry.key
                outcome.added.append(entry.kid)
                progress = true
                return true
            }
        }
        for entry in pending {
            outcome.refused.append("key \(entry.kid) is not signed by a pinned key (not chained to the pin)")
        }
        // Retirement: a pinned key the hub no longer publishes leaves the pin for good, as long as the hub still
        // publishes a trusted key (a hub that publishes none gets no say). A retired key never comes back, even if
        // a stolen copy of it is published again.
        if !outcome.active.isEmpty {
            let publishedIDs = Set(published.map(\.kid))
            for kid in pinned.keys where !publishedIDs.contains(kid) {
                outcome.pinned[kid] = nil
                outcome.dropped.append(kid)
            }
            outcome.dropped.sort()
        }
        return outcome
    }
}

/// The hub keys pinned at claim time (`hub-keys.json` beside the server credential, mode 0600).
struct HubKeyPinStore: Sendable {
    struct Document: Codable {
        struct Key: Codable {
            var kid: String
            var publicKey: String
            enum CodingKeys: String, CodingKey {
                case kid
                case publicKey = "public_key"
            }
        }
        var keys: [Key]
    }

    let file: URL

    init(dataFolder: URL) {
        file = dataFolder.appendingPathComponent("hub-keys.json")
    }

    /// The pinned keys; nil when nothing is pinned (or the file is unreadable).
    func load() -> [String: HubPublicKey]? {
        guard let data = try? Data(contentsOf: file),
            let document = try? JSONDecoder().decode(Document.self, from: data)
        else { return nil }
        var keys: [String: HubPublicKey] = [:]
        for key in document.keys {
            guard let raw = Base64URL.decode(key.publicKey), let publicKey = try? HubPublicKey(rawRepresentation: raw)
            else { continue }
            keys[key.kid] = publicKey
        }
        return keys
    }

    func save(_ keys: [String: HubPublicKey]) throws {
        let document = Document(
            keys: keys.sorted { $0.key < $1.key }.map {
                .init(kid: $0.key, publicKey: Base64URL.encode($0.value.rawRepresentation))
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try PrivateFile.store(Array(try encoder.encode(document)), to: file)
    }

    func remove() {
        try? FileManager.default.removeItem(at: file)
    }
}

/// Writes through a temporary file created 0600 and renamed, so a secret or a pin is never readable by others
/// nor seen half-written.
enum PrivateFile {
    enum Failure: Error, Equatable {
        case cannotWrite(String)
    }

    static func store(_ bytes: [UInt8], to file: URL) throws {
        try? FileManager.default.createDirectory(
            at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temporary = file.path + ".tmp"
        unlink(temporary)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Failure.cannotWrite(file.lastPathComponent) }
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor)
        close(descriptor)
        guard written == bytes.count, synced == 0, rename(temporary, file.path) == 0 else {
            unlink(temporary)
            throw Failure.cannotWrite(file.lastPathComponent)
        }
    }
}
