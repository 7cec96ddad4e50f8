import Foundation
import GatehouseHub
import Logging
import Testing
import Yams

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
            try Self.operations(in: Self.document()).map {
                $0.1.hasPrefix("/oauth/") ? "\($0.0) \($0.1)" : "\($0.0) /api/v1\($0.1)"
            })
        #expect(!routes.isEmpty)
        #expect(routes.subtracting(documented).sorted() == [], "routes missing from openapi.yaml")
        #expect(documented.subtracting(routes).sorted() == [], "documented operations with no route")
    }

    /// The document is OpenAPI 3.1 with the `/api/v1` server, and the root-level OAuth path items say so themselves.
    @Test func serversAndVersion() throws {
        let document = try Self.document()
        #expect(document["openapi"] as? String == "3.1.0")
        let servers = try #require(document["servers"] as? [[String: Any]])
        #expect(servers.compactMap { $0["url"] as? String } == ["/api/v1"])
        let paths = try #require(document["paths"] as? [String: Any])
        let oauth = paths.filter { $0.key.hasPrefix("/oauth/") }
        #expect(!oauth.isEmpty)
        for (path, item) in oauth {
            let itemServers = (item as? [String: Any])?["servers"] as? [[String: Any]]
            #expect(itemServers?.compactMap { $0["url"] as? String } == ["/"], "\(path) must override servers with /")
        }
    }

    /// Every `$ref` points at something the document defines, and every path's `{parameter}` is declared.
    @Test func referencesResolveAndPathParametersAreDeclared() throws {
        let document = try Self.document()
        var refs: [String] = []
        Self.collectRefs(document, into: &refs)
        #expect(!refs.isEmpty)
        for ref in Set(refs).sorted() {
            #expect(ref.hasPrefix("#/"), "\(ref) is not local")
            var node: Any? = document
            for key in ref.dropFirst(2).split(separator: "/") {
                node = (node as? [String: Any])?[String(key)]
            }
            #expect(node != nil, "\(ref) resolves to nothing")
        }
        let paths = try #require(document["paths"] as? [String: Any])
        for (path, item) in paths {
            let placeholders = Self.placeholders(in: path)
            guard !placeholders.isEmpty, let item = item as? [String: Any] else { continue }
            for (method, operation) in item where Self.methods.contains(method) {
                var declared = Set<String>()
                for list in [item["parameters"], (operation as? [String: Any])?["parameters"]] {
                    for parameter in list as? [Any] ?? [] {
                        var parameter = parameter as? [String: Any] ?? [:]
                        if let ref = parameter["$ref"] as? String {
                            var node: Any? = document
                            for key in ref.dropFirst(2).split(separator: "/") {
                                node = (node as? [String: Any])?[String(key)]
                            }
                            parameter = node as? [String: Any] ?? [:]
                        }
                        if parameter["in"] as? String == "path", let name = parameter["name"] as? String {
                            declared.insert(name)
                        }
                    }
                }
                #expect(declared == placeholders, "\(method) \(path) declares path parameters \(declared.sorted())")
            }
        }
    }

    static let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]

    /// The served document, parsed by a YAML parser.
    static func document() throws -> [String: Any] {
        try #require(try Yams.load(yaml: HubApplication.openAPIDocument) as? [String: Any])
    }

    /// (method, path) pairs: the operations of each path item under `paths`.
    static func operations(in document: [String: Any]) throws -> [(String, String)] {
        let paths = try #require(document["paths"] as? [String: Any])
        var result: [(String, String)] = []
        for (path, item) in paths {
            let item = try #require(item as? [String: Any], "\(path) is not a path item")
            for method in item.keys where methods.contains(method) { result.append((method, path)) }
        }
        return result
    }

    static func placeholders(in path: String) -> Set<String> {
        var names = Set<String>()
        var rest = Substring(path)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            names.insert(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return names
    }

    static func collectRefs(_ node: Any, into refs: inout [String]) {
        if let map = node as? [String: Any] {
            if let ref = map["$ref"] as? String { refs.append(ref) }
            for value in map.values { collectRefs(value, into: &refs) }
        } else if let list = node as? [Any] {
            for value in list { collectRefs(value, into: &refs) }
        }
    }
}
