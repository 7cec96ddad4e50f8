import Hummingbird

/// Registers API routes and remembers each (method, path) so a test can hold them against the OpenAPI document.
struct APIRouteTable {
    typealias Handler = @Sendable (Request, HubRequestContext) async throws -> Response

    let open: RouterGroup<HubRequestContext>
    /// Behind ``BearerAuthenticator``: people's devices (and app passwords).
    let authenticated: RouterGroup<HubRequestContext>
    /// Behind ``ServerAuthenticator``: media servers' own routes.
    let servers: RouterGroup<HubRequestContext>
    let prefix: String
    private(set) var routes: [(method: String, path: String)] = []

    init(router: Router<HubRequestContext>, prefix: String, services: HubServices) {
        self.prefix = prefix
        self.open = router.group(RouterPath(prefix))
        self.authenticated = router.group(RouterPath(prefix)).add(middleware: BearerAuthenticator(services: services))
        self.servers = router.group(RouterPath(prefix)).add(middleware: ServerAuthenticator(servers: services.servers))
    }

    /// Adds a route; `path` uses `{name}` for parameters, as the OpenAPI document does.
    mutating func add(_ method: HTTPRequest.Method, _ path: String, signedIn: Bool, _ handler: @escaping Handler) {
        add(method, path, on: signedIn ? authenticated : open, handler)
    }

    /// Adds a media server's own route: the handler reads the server from ``HubRequestContext/server``.
    mutating func addServerRoute(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping Handler) {
        add(method, path, on: servers, handler)
    }

    private mutating func add(
        _ method: HTTPRequest.Method, _ path: String, on group: RouterGroup<HubRequestContext>,
        _ handler: @escaping Handler
    ) {
        let hummingbirdPath = RouterPath(
            path.replacingOccurrences(of: "{", with: ":").replacingOccurrences(of: "}", with: ""))
        group.on(hummingbirdPath, method: method, use: handler)
        routes.append((method.rawValue.lowercased(), prefix + path))
    }
}
