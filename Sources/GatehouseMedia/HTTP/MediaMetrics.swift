import Foundation
import Hummingbird
import NIOCore
import Prometheus

/// The media server's own Prometheus metrics, served on a loopback listener of its own when `--metrics-port` is
/// set (never on the port devices use): streams started, bytes sent, and library size. No label names an item,
/// a person or a device.
final class MediaMetrics: Sendable {
    static let streamsName = "gatehouse_media_streams_total"
    static let bytesName = "gatehouse_media_stream_bytes_total"
    static let itemsName = "gatehouse_media_library_items"
    static let refusedName = "gatehouse_media_refused_total"

    let registry = PrometheusCollectorRegistry()
    private let streams: Counter
    private let bytes: Counter
    private let items: Gauge
    private let refused: Counter

    init() {
        func named(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(
                namespace: "gatehouse", subsystem: "media", metricName: name, unitName: unit, helpText: help)
        }
        streams = registry.makeCounter(
            descriptor: named("streams", "total", "Streams started (whole files and ranges)."))
        bytes = registry.makeCounter(descriptor: named("stream_bytes", "total", "Bytes of media answered."))
        items = registry.makeGauge(descriptor: named("library", "items", "Items in the library index."))
        refused = registry.makeCounter(
            descriptor: named("refused", "total", "Stream requests refused (token or access)."))
    }

    func streamStarted(bytes count: Int64) {
        streams.increment()
        bytes.increment(by: count)
    }

    func streamRefused() { refused.increment() }

    func render(libraryItems: Int) -> Response {
        items.set(Int64(libraryItems))
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(
            status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
    }
}
