import Foundation
import Testing

@testable import GatehouseHub

/// The EmbedText plugin puts every file of `Sources/GatehouseHub/Embedded/` in the module, byte for byte.
@Suite("Embedded text")
struct EmbeddedTextTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/GatehouseHub/Embedded")

    @Test("every file of Embedded/ is embedded with its exact text, less its final newline")
    func filesAreEmbeddedExactly() throws {
        let manager = FileManager.default
        let enumerator = try #require(manager.enumerator(atPath: Self.folder.path))
        var onDisk: [String: String] = [:]
        while let path = enumerator.nextObject() as? String {
            var isFolder: ObjCBool = false
            let url = Self.folder.appendingPathComponent(path)
            guard !(path as NSString).lastPathComponent.hasPrefix("."),
                manager.fileExists(atPath: url.path, isDirectory: &isFolder), !isFolder.boolValue
            else { continue }
            var text = try #require(String(data: try Data(contentsOf: url), encoding: .utf8))
            if text.hasSuffix("\n") { text.removeLast() }
            onDisk[path] = text
        }
        #expect(onDisk.keys.sorted() == EmbeddedText.files.keys.sorted())
        for (path, text) in onDisk {
            // Compared as bytes: String equality would accept a different Unicode normalisation.
            #expect(Array(EmbeddedText.files[path, default: ""].utf8) == Array(text.utf8), "\(path) differs")
        }
        #expect(EmbeddedText.files["openapi.yaml"] == EmbeddedText.openapiYaml)
        #expect(EmbeddedText.openapiYaml.hasPrefix("openapi: 3.1.0\n"))
        #expect(EmbeddedText.staticAppCss.hasPrefix(":root {"))
    }

    @Test("the renderer finds every page template and partial by its file name")
    func templatesRender() throws {
        let renderer = PageRenderer()
        let frame = PageFrame(csrf: "c", isSignedIn: false, isAdmin: false, banners: [], flash: nil, cookies: [])
        let names = EmbeddedText.files.keys.filter { $0.hasPrefix("templates/") }.map {
            String($0.dropFirst("templates/".count).dropLast(".mustache".count))
        }
        #expect(names.count >= 28)
        #expect(names.contains("layout") && names.contains("new-account-fields"))
        let signUp = renderer.page("sign-up", title: "Create account", data: [:], frame: frame)
        #expect(signUp.status == .ok)
        #expect(signUp.headers[.contentType] == "text/html; charset=utf-8")
    }
}
