import Hummingbird

/// Registers API routes and remembers each (method, path) so a test can hold them against the OpenAPI document.
struct APIRouteTable {
    typealias Handler = @Sendable (Request, HubRequestContext) async throws -> Response
    typealias SignedInHandler = @Sendable (Request, SignedInRequestContext) async throws -> Response

    let open: RouterGroup<HubRequestContext>
    /// Behind ``BearerAuthenticator``: people's devices (and app passwords).
    let authenticated: RouterGroup<SignedInRequestContext>
    /// Behind ``ServerAuthenticator``: media servers' own routes.
    let servers: RouterGroup<HubRequestContext>
    let prefix: String
    private(set) var routes: [(method: String, path: String)] = []

    init(router: Router<HubRequestContext>, prefix: String, services: HubServices) {
        self.prefix = prefix
        self.open = router.group(RouterPath(prefix))
        self.authenticated = router.group(RouterPath(prefix)).add(middleware: BearerAuthenticator(services: services))
            .group(context: SignedInRequestContext.self)
        self.servers = router.group(RouterPath(prefix)).add(middleware: ServerAuthenticator(servers: services.servers))
    }

    /// Adds a route anyone may call; `path` uses `{name}` for parameters, as the OpenAPI document does.
    mutating func addOpen(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping Handler) {
        add(method, path, on: open, handler)
    }

    /// Adds a route for signed-in devices: 401 before the handler runs without a valid credential, and the handler
    /// gets the identity in its ``SignedInRequestContext``.
    mutating func addSignedIn(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping SignedInHandler) {
        add(method, path, on: authenticated, handler)
    }

    /// Adds a media server's own route: the handler reads the server from ``HubRequestContext/server``.
    mutating func addServerRoute(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping Handler) {
        add(method, path, on: servers, handler)
    }

    private mutating func add<Context: RequestContext>(
        _ method: HTTPRequest.Method, _ path: String, on group: RouterGroup<Context>,
        _ handler: @escaping @Sendable (Request, Context) async throws -> Response
    ) {
        let hummingbirdPath = RouterPath(
            path.replacingOccurrences(of: "{", with: ":").replacingOccurrences(of: "}", with: ""))
        group.on(hummingbirdPath, method: method, use: handler)
        routes.append((method.rawValue.lowercased(), prefix + path))
    }
}
