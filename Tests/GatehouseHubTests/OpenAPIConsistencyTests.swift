import Foundation
import GatehouseHub
import Logging
import Testing

@Suite("OpenAPI document")
struct OpenAPIConsistencyTests {
    /// Every registered API route is in the document, and every documented operation is a route.
    @Test func routesAndDocumentAgree() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gh-openapi-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let runtime = try await HubRuntime.open(
            configuration: HubConfiguration(dataDirectory: folder.path), logger: logger)
        let routes = Set(HubApplication.apiRoutes(services: runtime.services).map { "\($0.method) \($0.path)" })
        await runtime.shutdown()

        // The OAuth endpoints (RFC 8628) live at the root; their path items override `servers`.
        let documented = Set(
            Self.operations(in: HubApplication.openAPIDocument).map {
                $0.1.hasPrefix("/oauth/") ? "\($0.0) \($0.1)" : "\($0.0) /api/v1\($0.1)"
            })
        #expect(!routes.isEmpty)
        #expect(routes.subtracting(documented).sorted() == [], "routes missing from openapi.yaml")
        #expect(documented.subtracting(routes).sorted() == [], "documented operations with no route")
    }

    /// (method, path) pairs under `paths:`: a path is a two-space-indented key, a method a four-space one.
    static func operations(in yaml: String) -> [(String, String)] {
        var result: [(String, String)] = []
        var inPaths = false
        var currentPath: String?
        let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" {
                inPaths = true
                continue
            }
            guard inPaths else { continue }
            if !line.hasPrefix(" ") && !line.isEmpty { inPaths = false }
            if line.hasPrefix("  /") && line.hasSuffix(":") {
                currentPath = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("    ") && !line.hasPrefix("     ") && line.hasSuffix(":"),
                let path = currentPath
            {
                let method = line.trimmingCharacters(in: .whitespaces).dropLast()
                if methods.contains(String(method)) { result.append((String(method), path)) }
            }
        }
        return result
    }
}
