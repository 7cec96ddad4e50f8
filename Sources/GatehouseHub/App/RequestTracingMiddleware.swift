import GatehouseCore
import HTTPTypes
import Hummingbird
import Tracing

/// One server span per request, named by the matched route pattern (`POST /api/v1/sessions`), never by the
/// concrete path or query: paths carry ids and queries carry tokens (`/reset-password?token=...`), and a trace must
/// hold neither. The span is the parent of the store, hashing and mail spans made while the request runs.
///
/// Attributes: the method, the route pattern, the status code and the request id (the one in the logs, the
/// `X-Request-Id` header and error bodies). Added only when traces are exported (`--otlp-endpoint`).
///
/// Requests over the ``TraceBudget`` (`--trace-rate`, 10 a second by default) make no span, and neither does their
/// store, hashing or mail work (``Telemetry/isUntraced``): what tracing costs stays bounded whoever sends requests.
/// An incoming `traceparent` is not followed, so no client can ask for its requests to be traced.
struct RequestTracingMiddleware<Context: RequestContext>: RouterMiddleware {
    let budget: TraceBudget

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        guard budget.take() else {
            return try await Telemetry.$isUntraced.withValue(true) { try await next(request, context) }
        }
        let method = request.method.rawValue
        return try await withSpan("HTTP \(method)", ofKind: .server) { span in
            span.attributes["http.request.method"] = method
            let response = try await next(request, context)
            if let route = context.endpointPath {
                span.operationName = "\(method) \(route)"
                span.attributes["http.route"] = route
            }
            span.attributes["http.response.status_code"] = Int(response.status.code)
            if let id = response.headers[HTTPField.Name("X-Request-Id")!] {
                span.attributes["gatehouse.request_id"] = id
            }
            if response.status.code >= 500 { span.setStatus(SpanStatus(code: .error)) }
            return response
        }
    }
}
