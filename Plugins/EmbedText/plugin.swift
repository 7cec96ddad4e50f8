import Foundation
import PackagePlugin

/// Embeds the text files of a target's `Embedded/` folder (templates, the OpenAPI document, stylesheets, scripts,
/// word lists) in the target's code, so the one `gatehouse` binary carries them and needs no resource bundle.
///
/// The folder is excluded from the target's sources in Package.swift; this plugin lists it and has the `embed-text`
/// tool write one Swift file, `EmbeddedText.swift`, with each file as a raw string literal (see that tool).
@main
struct EmbedText: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) async throws -> [Command] {
        let folder = target.directoryURL.appending(path: "Embedded", directoryHint: .isDirectory)
        let paths = try Self.files(under: folder)
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedText.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(paths.count) text files in \(target.name)",
                executable: try context.tool(named: "embed-text").url,
                arguments: [output.path(percentEncoded: false), folder.path(percentEncoded: false)] + paths,
                inputFiles: paths.map { folder.appending(path: $0) },
                outputFiles: [output]
            )
        ]
    }

    /// The folder's files (hidden ones left out) as paths relative to it, sorted so the output is stable.
    static func files(under folder: URL) throws -> [String] {
        let manager = FileManager.default
        guard let enumerator = manager.enumerator(atPath: folder.path(percentEncoded: false)) else {
            throw EmbedTextError(message: "\(folder.path(percentEncoded: false)) is not a folder")
        }
        var paths: [String] = []
        while let relative = enumerator.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            if name.hasPrefix(".") { continue }
            var isFolder: ObjCBool = false
            let full = folder.appending(path: relative).path(percentEncoded: false)
            if manager.fileExists(atPath: full, isDirectory: &isFolder), !isFolder.boolValue { paths.append(relative) }
        }
        return paths.sorted()
    }
}

struct EmbedTextError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
