import ArgumentParser
import Foundation
import GatehouseCore
import GatehouseHub
import GatehouseReleases
import GatehouseSettings

/// `gatehouse releases` and `gatehouse advisories`: what operators publish to keep media servers patched.
///
/// The release key never lives on the hub: `keygen`, `sign`, `rotate`, `sign-list` and `advisories sign` run on
/// an offline machine (no hub needed), and `upload` sends only signed files to the hub. `publish` and
/// `advisories add` are the one-machine shortcut for a key kept on removable media; every command refuses a key
/// inside the hub's data or keyring folder (docs/update-protocol.md, "The key ceremony").
struct ReleasesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "releases", abstract: "Signed media-server releases.",
        subcommands: [Keygen.self, Sign.self, SignList.self, Rotate.self, Upload.self, Publish.self, List.self])

    /// Default lifetime of a signed release list: it must be signed again before then.
    static let defaultListDays = 30

    /// The hub folders a release key must stay out of: the data folder and the keyring's folder, as `hub` (or the
    /// environment and defaults, for commands without hub options) configures them.
    static func hubFolders(_ hub: HubOptions?) async throws -> [String] {
        let configuration =
            if let hub { try await hub.configuration() } else {
                try await HubOptions.configuration(from: Settings.load())
            }
        return [
            configuration.dataDirectory,
            (configuration.resolvedKeyringPath as NSString).deletingLastPathComponent,
        ]
    }

    /// Loads a release key after checking where it lives.
    static func loadKey(_ path: String, hub: HubOptions?) async throws -> ReleaseSigningKey {
        if let refusal = ReleaseKeyLocation.refusal(keyPath: path, hubFolders: try await hubFolders(hub)) {
            throw ValidationError("refused: \(refusal)")
        }
        guard FileManager.default.fileExists(atPath: path) else {
            throw ValidationError(
                "no release key at \(path); make one offline with `gatehouse releases keygen --out FILE`")
        }
        return try ReleaseSigningKey.load(from: path)
    }

    static func read<T: Decodable>(_ type: T.Type, _ path: String) throws -> T {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read \(path)")
        }
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw ValidationError("\(path) is not a signed \(String(describing: type)) file")
        }
    }

    static func write(_ value: some Encodable, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(value).write(to: URL(fileURLWithPath: path))
    }

    /// Signs a fresh release list naming every release and advisory the hub holds, with `key` (the one-machine
    /// shortcut; offline, `releases sign-list` does the same from signed files).
    static func resignList(_ runtime: HubRuntime, key: ReleaseSigningKey, days: Int) async throws -> ReleaseList {
        let releases = try await runtime.services.releases.releases(channel: nil).map(\.signed)
        let advisories = try await runtime.services.releases.advisories().compactMap(\.signed)
        var list = try ReleaseList.covering(
            manifests: releases, advisories: advisories, lifetime: TimeInterval(days) * 86_400)
        // Two signings within a second still make a newer list.
        if let current = try await runtime.services.releases.releaseList(), let bytes = Base64URL.decode(current.list),
            let previous = try? JSONDecoder().decode(ReleaseList.self, from: Data(bytes))
        {
            list.sequence = max(list.sequence, previous.sequence + 1)
        }
        return try await runtime.services.releases.uploadList(try key.sign(list))
    }

    /// Registers `key` as the root of the release-key chain when the hub has none yet.
    static func ensureRoot(_ runtime: HubRuntime, key: ReleaseSigningKey) async throws -> ReleaseKeyList.Key {
        if let root = try await runtime.services.releases.rootKey() { return root }
        let publicKey = try key.publicKey()
        _ = try await runtime.services.releases.registerKeyList(
            try key.sign(ReleaseKeyList(sequence: 0, keys: [publicKey])))
        return publicKey
    }

    struct Keygen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a release signing key on an offline machine; prints the public key media servers pin.",
            discussion: "Also writes FILE.pub: the root key list (public, self-signed) to upload to the hub once.")
        @Option(help: "File to write (mode 0600); never inside a hub's data folder.") var out: String
        @Option(help: "Key id.") var id: String = "r1"

        func run() async throws {
            guard !FileManager.default.fileExists(atPath: out) else { throw ValidationError("\(out) exists") }
            if let refusal = ReleaseKeyLocation.refusal(
                keyPath: out, hubFolders: try await ReleasesCommand.hubFolders(nil))
            {
                throw ValidationError("refused: \(refusal)")
            }
            let key = ReleaseSigningKey.generate(id: id)
            try key.save(to: out)
            let publicKey = try key.publicKey()
            try ReleasesCommand.write(try key.sign(ReleaseKeyList(sequence: 0, keys: [publicKey])), to: out + ".pub")
            print("\(publicKey.id):\(publicKey.publicKey)")
        }
    }

    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a release with a release key kept off the hub's data folder and publish it on this hub.",
            discussion: "Also signs a fresh release list. Prefer `sign` offline and `upload` on the hub.")
        @OptionGroup var hub: HubOptions
        @Option var version: String
        @Option var channel: String = "stable"
        @Option var artifact: String
        @Option var notes: String = ""
        @Option(help: "Release key file (made with `releases keygen`; refused inside the hub's folders).")
        var key: String
        @Option(help: "Days until the signed release list expires.") var listDays: Int = ReleasesCommand.defaultListDays

        func run() async throws {
            guard let parsed = SemanticVersion(version) else { throw ValidationError("--version is like 1.2.3") }
            guard ["stable", "beta"].contains(channel) else { throw ValidationError("--channel is stable or beta") }
            guard listDays >= 1 else { throw ValidationError("--list-days is at least 1") }
            let signingKey = try await ReleasesCommand.loadKey(key, hub: hub)
            let manifest = try ReleaseManifest.describe(
                artifactAt: artifact, version: parsed, channel: channel, notes: notes)
            let signed = try signingKey.sign(manifest)
            try await withRuntime(hub) { runtime in
                let root = try await ReleasesCommand.ensureRoot(runtime, key: signingKey)
                _ = try await runtime.services.releases.upload(signed: signed, artifactAt: artifact)
                let list = try await ReleasesCommand.resignList(runtime, key: signingKey, days: listDays)
                print(
                    "published \(parsed) (\(channel)), \(manifest.artifact.size) bytes, sha256 \(manifest.artifact.sha256)"
                )
                print("release list \(list.sequence) expires \(list.expires)")
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
            guard ["stable", "beta"].contains(channel) else { throw ValidationError("--channel is stable or beta") }
            let signingKey = try await ReleasesCommand.loadKey(key, hub: nil)
            let manifest = try ReleaseManifest.describe(
                artifactAt: artifact, version: parsed, channel: channel, notes: notes)
            try ReleasesCommand.write(try signingKey.sign(manifest), to: out)
            print("signed \(parsed) into \(out)")
        }
    }

    struct SignList: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "sign-list",
            abstract: "Sign the release list offline: every signed release and advisory, with an expiry.",
            discussion: "Sign it again before it expires (media servers warn their owners about a stale list).")
        @Option var key: String
        @Option(help: "A signed manifest file (repeatable).") var release: [String] = []
        @Option(help: "A signed advisory file (repeatable).") var advisory: [String] = []
        @Option(help: "Days until the list expires.") var days: Int = ReleasesCommand.defaultListDays
        @Option var out: String

        func run() async throws {
            guard days >= 1 else { throw ValidationError("--days is at least 1") }
            let signingKey = try await ReleasesCommand.loadKey(key, hub: nil)
            let manifests = try release.map { try ReleasesCommand.read(SignedManifest.self, $0) }
            let advisories = try advisory.map { try ReleasesCommand.read(SignedAdvisory.self, $0) }
            let list = try ReleaseList.covering(
                manifests: manifests, advisories: advisories, lifetime: TimeInterval(days) * 86_400)
            try ReleasesCommand.write(try signingKey.sign(list), to: out)
            print(
                "signed release list \(list.sequence) (\(manifests.count) releases, \(advisories.count) advisories, expires \(list.expires)) into \(out)"
            )
        }
    }

    struct Upload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Publish files signed elsewhere: key lists, a release and its artifact, advisories, a release list.",
            discussion: "The hub checks every signature against the registered key chain and stores them as given.")
        @OptionGroup var hub: HubOptions
        @Option(help: "A signed key list (FILE.pub from keygen first, then rotations; repeatable).")
        var keyList: [String] = []
        @Option(help: "A signed manifest (needs --artifact).") var manifest: String?
        @Option(help: "The artifact the manifest describes.") var artifact: String?
        @Option(help: "A signed advisory (repeatable).") var advisory: [String] = []
        @Option(help: "A signed release list.") var list: String?

        func validate() throws {
            guard (manifest == nil) == (artifact == nil) else {
                throw ValidationError("--manifest goes with --artifact")
            }
            guard !keyList.isEmpty || manifest != nil || !advisory.isEmpty || list != nil else {
                throw ValidationError("give something to upload")
            }
        }

        func run() async throws {
            let keyLists = try keyList.map { try ReleasesCommand.read(SignedKeyList.self, $0) }
            let signedManifest = try manifest.map { try ReleasesCommand.read(SignedManifest.self, $0) }
            let advisories = try advisory.map { try ReleasesCommand.read(SignedAdvisory.self, $0) }
            let signedList = try list.map { try ReleasesCommand.read(SignedReleaseList.self, $0) }
            try await withRuntime(hub) { runtime in
                let releases = runtime.services.releases
                for signed in keyLists {
                    let registered = try await releases.registerKeyList(signed)
                    print("key list \(registered.sequence): \(registered.keys.map(\.id).joined(separator: ", "))")
                }
                if let signedManifest, let artifact {
                    let published = try await releases.upload(signed: signedManifest, artifactAt: artifact)
                    print("published \(published.version) (\(published.channel))")
                }
                for signed in advisories {
                    let added = try await releases.addAdvisory(signed: signed)
                    print("added advisory \(added.id)")
                }
                if let signedList {
                    let stored = try await releases.uploadList(signedList)
                    print("release list \(stored.sequence) expires \(stored.expires)")
                }
                if !advisories.isEmpty {
                    let mailed = try await releases.sendDueAlerts()
                    print("\(mailed) owners of affected servers mailed")
                }
            }
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign, offline, the key list that moves trust from the current release key to a new one.",
            discussion: "Upload the file with `releases upload --key-list FILE`; media servers follow it.")
        @Option(help: "The current release key file.") var key: String
        @Option(help: "The new release key file (made with `releases keygen`).") var newKey: String
        @Option(help: "The list's sequence: the number of key lists registered so far (1 for the first rotation).")
        var sequence: Int
        @Option var out: String

        func run() async throws {
            guard sequence >= 1 else { throw ValidationError("--sequence is at least 1 (list 0 is the root)") }
            let current = try await ReleasesCommand.loadKey(key, hub: nil)
            let next = try await ReleasesCommand.loadKey(newKey, hub: nil)
            try ReleasesCommand.write(
                try current.sign(ReleaseKeyList(sequence: sequence, keys: [try next.publicKey()])), to: out)
            print("release key list \(sequence): \(next.id) replaces \(current.id), written to \(out)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List published releases and the release list.")
        @OptionGroup var hub: HubOptions

        func run() async throws {
            try await withRuntime(hub) { runtime in
                for release in try await runtime.services.releases.releases(channel: nil) {
                    print("\(release.version)\t\(release.channel)\tkey \(release.signed.keyID)")
                }
                if let signed = try await runtime.services.releases.releaseList(),
                    let bytes = Base64URL.decode(signed.list),
                    let list = try? JSONDecoder().decode(ReleaseList.self, from: Data(bytes))
                {
                    print("release list \(list.sequence), expires \(list.expires)")
                } else {
                    print("no signed release list: media servers warn their owners")
                }
            }
        }
    }
}

struct AdvisoriesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "advisories",
        abstract: "Security advisories for media-server versions, signed by the release key.",
        subcommands: [Sign.self, Add.self, List.self])

    struct Fields: ParsableArguments {
        @Option var id: String
        @Option(help: "Affected versions, like '>=1.0.0, <1.4.2'.") var affected: String
        @Option(help: "The first version with the fix.") var fixed: String
        @Option(help: "low, medium, high or critical.") var severity: String
        @Option var summary: String

        func document() throws -> AdvisoryDocument {
            let document = AdvisoryDocument(
                id: id, affected: affected, fixed: fixed, severity: severity, summary: summary,
                date: ISO8601DateFormatter().string(from: Date()))
            if let problem = document.problem { throw ValidationError(problem) }
            return document
        }
    }

    struct Sign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign an advisory offline; upload it with `releases upload --advisory FILE`.")
        @OptionGroup var fields: Fields
        @Option(help: "The release key file.") var key: String
        @Option var out: String

        func run() async throws {
            let signingKey = try await ReleasesCommand.loadKey(key, hub: nil)
            try ReleasesCommand.write(try signingKey.sign(try fields.document()), to: out)
            print("signed advisory \(fields.id) into \(out)")
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign an advisory with a release key kept off the hub's folders and add it; owners are mailed.",
            discussion: "Also signs a fresh release list. Prefer `advisories sign` offline and `releases upload`.")
        @OptionGroup var hub: HubOptions
        @OptionGroup var fields: Fields
        @Option(help: "The release key file (refused inside the hub's folders).") var key: String
        @Option(help: "Days until the signed release list expires.") var listDays: Int = ReleasesCommand.defaultListDays

        func run() async throws {
            let signingKey = try await ReleasesCommand.loadKey(key, hub: hub)
            let signed = try signingKey.sign(try fields.document())
            try await withRuntime(hub) { runtime in
                let advisory = try await runtime.services.releases.addAdvisory(signed: signed)
                _ = try await ReleasesCommand.resignList(runtime, key: signingKey, days: listDays)
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
                    let signed =
                        advisory.signed == nil
                        ? "UNSIGNED (ignored by media servers)" : "signed by \(advisory.signed?.keyID ?? "")"
                    print(
                        "\(advisory.id)\t\(advisory.severity)\taffected \(advisory.affected)\tfixed \(advisory.fixed)\t\(signed)\t\(advisory.summary)"
                    )
                }
            }
        }
    }
}
