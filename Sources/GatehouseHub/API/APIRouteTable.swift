import Hummingbird

/// Registers API routes and remembers each (method, path) so a test can hold them against the OpenAPI document.
struct APIRouteTable {
    typealias Handler = @Sendable (Request, HubRequestContext) async throws -> Response

    let open: RouterGroup<HubRequestContext>
    let authenticated: RouterGroup<HubRequestContext>
    let prefix: String
    private(set) var routes: [(method: String, path: String)] = []

    init(router: Router<HubRequestContext>, prefix: String, authenticator: BearerAuthenticator) {
        self.prefix = prefix
        self.open = router.group(RouterPath(prefix))
        self.authenticated = router.group(RouterPath(prefix)).add(middleware: authenticator)
    }

    /// Adds a route; `path` uses `{name}` for parameters, as the OpenAPI document does.
    mutating func add(_ method: HTTPRequest.Method, _ path: String, signedIn: Bool, _ handler: @escaping Handler) {
        let group = signedIn ? authenticated : open
        let hummingbirdPath = RouterPath(
            path.replacingOccurrences(of: "{", with: ":").replacingOccurrences(of: "}", with: ""))
        group.on(hummingbirdPath, method: method, use: handler)
        routes.append((method.rawValue.lowercased(), prefix + path))
    }
}
