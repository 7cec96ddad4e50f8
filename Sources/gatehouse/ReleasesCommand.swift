import ArgumentParser
import Foundation
import GatehouseCore
import GatehouseHub
import GatehouseReleases

/// `gatehouse releases` and `gatehouse advisories`: what operators publish to keep media servers patched.
struct ReleasesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "releases", abstract: "Signed media-server releases.",
        subcommands: [Keygen.self, Publish.self, Sign.self, Upload.self, Rotate.self, List.self])

    /// The release key file: apart from the hub's keyring (`keys/release-key.json` in the data folder by default).
    static func keyPath(_ hub: HubOptions, _ given: String?) -> String {
        given ?? (hub.configuration().dataDirectory as NSString).appendingPathComponent("keys/release-key.json")
    }

    /// Registers `key` as the root of the release-key chain when the hub has none yet.
    static func ensureRoot(_ runtime: HubRuntime, key: ReleaseSigningKey) async throws -> ReleaseKeyList.Key {
        let lists = try await runtime.services.releases.keyLists()
        if let root = lists.first,
            let bytes = Base64URL.decode(root.list),
            let list = try? JSONDecoder().decode(ReleaseKeyList.self, from: Data(bytes)), let first = list.keys.first
        {
            return first
        }
        let publicKey = try key.publicKey()
        try await runtime.store.session.appendKeyList(
            sequence: 0, signed: try key.sign(ReleaseKeyList(sequence: 0, keys: [publicKey])))
        return publicKey
    }

    struct Keygen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a release signing key (keep it offline); prints the public key media servers pin.")
        @Option(help: "File to write (mode 0600).") var out: String
        @Option(help: "Key id.") var id: String = "r1"

        func run() async throws {
            guard !FileManager.default.fileExists(atPath: out) else { throw ValidationError("\(out) exists") }
            let key = ReleaseSigningKey.generate(id: id)
            try key.save(to: out)
            let publicKey = try key.publicKey()
            print("\(publicKey.id):\(publicKey.publicKey)")
        }
    }

    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a release with the release key and publish it on this hub.")
        @OptionGroup var hub: HubOptions
        @Option var version: String
        @Option var channel: String = "stable"
        @Option var artifact: String
        @Option var notes: String = ""
        @Option(help: "Release key file (default: keys/release-key.json in the data folder; made when missing).")
        var key: String?

        func run() async throws {
            guard let parsed = SemanticVersion(version) else { throw ValidationError("--version is like 1.2.3") }
            guard ["stable", "beta"].contains(channel) else { throw ValidationError("--channel is stable or beta") }
            let path = ReleasesCommand.keyPath(hub, key)
            if !FileManager.default.fileExists(atPath: path) {
                try FileManager.default.createDirectory(
                    atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try ReleaseSigningKey.generate(id: "r1").save(to: path)
            }
            let signingKey = try ReleaseSigningKey.load(from: path)
            let manifest = try ReleaseManifest.describe(artifactAt: artifact, version: parsed, channel: channel, notes: notes)
            let signed = try signingKey.sign(manifest)
            try await withRuntime(hub) { runtime in
                let root = try await ReleasesCommand.ensureRoot(runtime, key: signingKey)
                _ = try await runtime.services.releases.upload(signed: signed, artifactAt: artifact, pinned: root)
                print("published \(parsed) (\(channel)), \(manifest.artifact.size) bytes, sha256 \(manifest.artifact.sha256)")
                print("media servers pin: \(root.id):\(root.publicKey)")
            }
        }
    }

    struct Sign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a manifest offline (no hub needed); upload it later with `releases upload`.")
        @Option var key: String
        @Option var version: String
        @Option var channel: String = "stable"
        @Option var artifact: String
        @Option var notes: String = ""
        @Option var out: String

        func run() async throws {
            guard let parsed = SemanticVersion(version) else { throw ValidationError("--version is like 1.2.3") }
            let manifest = try ReleaseManifest.describe(artifactAt: artifact, version: parsed, channel: channel, notes: notes)
            let signed = try ReleaseSigningKey.load(from: key).sign(manifest)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(signed).write(to: URL(fileURLWithPath: out))
            print("signed \(parsed) into \(out)")
        }
    }

    struct Upload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Publish a manifest signed elsewhere.")
        @OptionGroup var hub: HubOptions
        @Option var manifest: String
        @Option var artifact: String

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: manifest) else { throw ValidationError("cannot read \(manifest)") }
            let signed = try JSONDecoder().decode(SignedManifest.self, from: data)
            try await withRuntime(hub) { runtime in
                guard let rootList = try await runtime.services.releases.keyLists().first,
                    let bytes = Base64URL.decode(rootList.list),
                    let root = try JSONDecoder().decode(ReleaseKeyList.self, from: Data(bytes)).keys.first
                else { throw ValidationError("no release key registered yet: publish once, or run `releases rotate`") }
                let published = try await runtime.services.releases.upload(signed: signed, artifactAt: artifact, pinned: root)
                print("published \(published.version) (\(published.channel))")
            }
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace the release key: the new key list is signed by the current key.")
        @OptionGroup var hub: HubOptions
        @Option(help: "The current release key file.") var key: String?
        @Option(help: "The new release key file (made with `releases keygen`).") var newKey: String

        func run() async throws {
            let current = try ReleaseSigningKey.load(from: ReleasesCommand.keyPath(hub, key))
            let next = try ReleaseSigningKey.load(from: newKey)
            try await withRuntime(hub) { runtime in
                _ = try await ReleasesCommand.ensureRoot(runtime, key: current)
                let sequence = try await runtime.services.releases.keyLists().count
                try await runtime.store.session.appendKeyList(
                    sequence: sequence,
                    signed: try current.sign(ReleaseKeyList(sequence: sequence, keys: [try next.publicKey()])))
                print("release key list \(sequence): \(next.id) replaces \(current.id)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List published releases.")
        @OptionGroup var hub: HubOptions

        func run() async throws {
            try await withRuntime(hub) { runtime in
                for release in try await runtime.services.releases.releases(channel: nil) {
                    print("\(release.version)\t\(release.channel)\tkey \(release.signed.keyID)")
                }
            }
        }
    }
}

struct AdvisoriesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "advisories", abstract: "Security advisories for media-server versions.",
        subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add an advisory; owners of affected servers are mailed.")
        @OptionGroup var hub: HubOptions
        @Option var id: String
        @Option(help: "Affected versions, like '>=1.0.0, <1.4.2'.") var affected: String
        @Option(help: "The first version with the fix.") var fixed: String
        @Option(help: "low, medium, high or critical.") var severity: String
        @Option var summary: String

        func run() async throws {
            try await withRuntime(hub) { runtime in
                let advisory = try await runtime.services.releases.addAdvisory(
                    id: id, affected: affected, fixed: fixed, severity: severity, summary: summary)
                let mailed = try await runtime.services.releases.sendDueAlerts()
                print("added \(advisory.id); \(mailed) owners of affected servers mailed")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List advisories.")
        @OptionGroup var hub: HubOptions

        func run() async throws {
            try await withRuntime(hub) { runtime in
                for advisory in try await runtime.services.releases.advisories() {
                    print("\(advisory.id)\t\(advisory.severity)\taffected \(advisory.affected)\tfixed \(advisory.fixed)\t\(advisory.summary)")
                }
            }
        }
    }
}
