import Foundation
import Hummingbird
import NIOCore

/// The media server's request context: the core storage and the peer's address (for the claim-code rule).
public struct MediaRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

/// Who may see the claim code, and which `Host` names the status routes answer at all (DNS rebinding: a page on
/// `evil.example`, resolved to 127.0.0.1, reaches this server with `Host: evil.example` and must learn nothing).
///
/// - `Host` is `localhost`, `127.0.0.1` or `[::1]` (any port) and the peer is on this machine: the code is shown.
/// - `Host` names this server otherwise (an IP literal, which no rebinding attack can use; the public URL's host;
///   the bound host): the status is shown without the code.
/// - anything else (or no `Host`): 421 Misdirected Request.
struct ClaimCodeGuard: Sendable {
    enum Verdict: Equatable {
        case showCode
        case hideCode
        case misdirected
    }

    /// Other host names that reach this server (lower case, no port).
    let knownHosts: Set<String>

    init(publicURL: String?, bindHost: String) {
        var hosts = Set<String>()
        if let publicURL, let host = URLComponents(string: publicURL)?.host?.lowercased(), !host.isEmpty {
            hosts.insert(host)
        }
        let bind = bindHost.lowercased()
        if !["", "0.0.0.0", "::", "[::]"].contains(bind) { hosts.insert(bind) }
        knownHosts = hosts
    }

    static let loopbackNames: Set<String> = ["localhost", "127.0.0.1", "[::1]"]

    func verdict(authority: String?, peer: SocketAddress?) -> Verdict {
        guard let authority, let host = Self.hostName(authority) else { return .misdirected }
        if Self.loopbackNames.contains(host) {
            return Self.isLoopback(peer) ? .showCode : .hideCode
        }
        if Self.isIPLiteral(host) || knownHosts.contains(host) || knownHosts.contains(Self.unbracketed(host)) {
            return .hideCode
        }
        return .misdirected
    }

    /// The host of a `Host` header, lower case, without its port; nil when malformed.
    static func hostName(_ authority: String) -> String? {
        let text = authority.lowercased()
        guard !text.isEmpty, text.utf8.count <= 255, !text.contains(where: { $0 == "/" || $0 == "@" || $0 == " " })
        else { return nil }
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let host = String(text[...close])
            let rest = text[text.index(after: close)...]
            guard rest.isEmpty || (rest.hasPrefix(":") && isPort(rest.dropFirst())) else { return nil }
            return host
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        switch parts.count {
        case 1: return text
        case 2: return isPort(parts[1]) && !parts[0].isEmpty ? String(parts[0]) : nil
        default: return nil
        }
    }

    static func isPort(_ text: Substring) -> Bool {
        !text.isEmpty && text.count <= 5 && text.allSatisfy { $0.isASCII && $0.isNumber }
    }

    static func unbracketed(_ host: String) -> String {
        host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
    }

    static func isIPLiteral(_ host: String) -> Bool {
        if host.hasPrefix("[") { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
    }

    static func isLoopback(_ peer: SocketAddress?) -> Bool {
        guard let address = peer?.ipAddress?.lowercased() else { return false }
        return address.hasPrefix("127.") || address == "::1" || address.hasPrefix("::ffff:127.")
    }
}
