/// An IPv4 or IPv6 address, parsed strictly from text (no octal, no zones, no signs) and printed canonically
/// (dotted quad; RFC 5952 for IPv6).
public enum IPAddress: Sendable, Hashable, CustomStringConvertible {
    case v4(UInt32)
    /// The 128 bits as two halves: the network half (high) and the interface half (low).
    case v6(high: UInt64, low: UInt64)

    /// Parses `192.0.2.1`, `2001:db8::1` or `::ffff:192.0.2.1`; nil for anything else.
    public init?(_ text: some StringProtocol) {
        let text = Substring(text)
        guard !text.isEmpty, text.utf8.count <= 45 else { return nil }
        if text.contains(":") {
            guard let (high, low) = Self.parseV6(text) else { return nil }
            self = .v6(high: high, low: low)
        } else {
            guard let value = Self.parseV4(text) else { return nil }
            self = .v4(value)
        }
    }

    /// An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) as the IPv4 address it stands for; anything else unchanged.
    public var unmapped: IPAddress {
        if case .v6(let high, let low) = self, high == 0, low >> 32 == 0xffff {
            return .v4(UInt32(truncatingIfNeeded: low))
        }
        return self
    }

    /// 32 or 128.
    public var bitCount: Int {
        switch self {
        case .v4: 32
        case .v6: 128
        }
    }

    public var description: String {
        switch self {
        case .v4(let value):
            return Self.dotted(value)
        case .v6(let high, let low):
            return Self.canonicalV6(high: high, low: low)
        }
    }

    // MARK: Parsing

    static func parseV4(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            let digits = part.utf8
            guard (1...3).contains(digits.count), digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            // A leading zero is refused: some parsers read it as octal, so its meaning is ambiguous.
            if digits.count > 1 && digits.first == 0x30 { return nil }
            var octet: UInt32 = 0
            for digit in digits { octet = octet * 10 + UInt32(digit - 0x30) }
            guard octet <= 255 else { return nil }
            value = value << 8 | octet
        }
        return value
    }

    static func parseV6(_ text: Substring) -> (UInt64, UInt64)? {
        var halves: [Substring] = []
        if let gap = text.firstRange(of: "::") {
            halves = [text[..<gap.lowerBound], text[gap.upperBound...]]
            if halves[1].contains("::") { return nil }
        } else {
            halves = [text]
        }
        var groups: [UInt16] = []
        if halves.count == 1 {
            guard let all = groupsOf(halves[0], allowV4Tail: true), all.count == 8 else { return nil }
            groups = all
        } else {
            guard let head = groupsOf(halves[0], allowV4Tail: false),
                let tail = groupsOf(halves[1], allowV4Tail: true),
                head.count + tail.count <= 7
            else { return nil }
            groups = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for group in groups[0..<4] { high = high << 16 | UInt64(group) }
        for group in groups[4..<8] { low = low << 16 | UInt64(group) }
        return (high, low)
    }

    private static func groupsOf(_ text: Substring, allowV4Tail: Bool) -> [UInt16]? {
        if text.isEmpty { return [] }
        let pieces = text.split(separator: ":", omittingEmptySubsequences: false)
        var groups: [UInt16] = []
        for (index, piece) in pieces.enumerated() {
            if allowV4Tail && index == pieces.count - 1 && piece.contains(".") {
                guard let v4 = parseV4(piece) else { return nil }
                groups.append(UInt16(truncatingIfNeeded: v4 >> 16))
                groups.append(UInt16(truncatingIfNeeded: v4))
                continue
            }
            let digits = piece.utf8
            guard (1...4).contains(digits.count) else { return nil }
            var value: UInt16 = 0
            for digit in digits {
                guard let nibble = hexValue(digit) else { return nil }
                value = value << 4 | UInt16(nibble)
            }
            groups.append(value)
        }
        return groups.count <= 8 ? groups : nil
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x61...0x66: byte - 0x61 + 10
        case 0x41...0x46: byte - 0x41 + 10
        default: nil
        }
    }

    // MARK: Printing

    private static func dotted(_ value: UInt32) -> String {
        "\(value >> 24).\(value >> 16 & 0xff).\(value >> 8 & 0xff).\(value & 0xff)"
    }

    private static func canonicalV6(high: UInt64, low: UInt64) -> String {
        if high == 0 && low >> 32 == 0xffff {
            return "::ffff:" + dotted(UInt32(truncatingIfNeeded: low))
        }
        var groups: [UInt16] = []
        for shift in stride(from: 48, through: 0, by: -16) { groups.append(UInt16(truncatingIfNeeded: high >> shift)) }
        for shift in stride(from: 48, through: 0, by: -16) { groups.append(UInt16(truncatingIfNeeded: low >> shift)) }
        // RFC 5952: compress the longest run of two or more zero groups, the first one on a tie.
        var bestStart = -1
        var bestLength = 1
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else {
                index += 1
                continue
            }
            var end = index
            while end < 8 && groups[end] == 0 { end += 1 }
            if end - index > bestLength {
                bestStart = index
                bestLength = end - index
            }
            index = end
        }
        let hex = groups.map { String($0, radix: 16) }
        guard bestStart >= 0 else { return hex.joined(separator: ":") }
        let head = hex[0..<bestStart].joined(separator: ":")
        let tail = hex[(bestStart + bestLength)...].joined(separator: ":")
        return head + "::" + tail
    }
}

/// A network in CIDR notation: `10.0.0.0/8`, `192.0.2.7/32`, `fd00::/8`. A bare address means the one host.
public struct IPNetwork: Sendable, Hashable, CustomStringConvertible {
    public let address: IPAddress
    public let prefixLength: Int

    public struct ParseError: Error, CustomStringConvertible {
        public let text: String
        public let reason: String
        public var description: String { "'\(text)' is not a network: \(reason)" }
    }

    /// Parses CIDR text. Host bits after the prefix are refused (`10.1.2.3/8` is most likely a typo for
    /// `10.1.2.3/32` or `10.0.0.0/8`; trusting the wrong one is a security mistake, so the operator chooses).
    public init(_ text: String) throws(ParseError) {
        let trimmed = text.trimmingASCIIWhitespace()
        let parts = trimmed.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let parsed = IPAddress(parts[0]) else {
            throw ParseError(text: text, reason: "expected an IPv4 or IPv6 address like 10.0.0.0/8 or fd00::/8")
        }
        let address = parsed.unmapped
        let isMapped = address != parsed
        let maximum = parsed.bitCount
        var length = address.bitCount
        if parts.count == 2 {
            let digits = parts[1].utf8
            guard (1...3).contains(digits.count), digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                digits.count == 1 || digits.first != 0x30, let value = Int(parts[1]), value <= maximum
            else {
                throw ParseError(text: text, reason: "the prefix length must be 0 to \(maximum)")
            }
            // A prefix written against a mapped address (::ffff:a.b.c.d/n) counts in IPv6 bits.
            if isMapped {
                guard value >= 96 else { throw ParseError(text: text, reason: "the prefix length must be 96 to 128") }
                length = value - 96
            } else {
                length = value
            }
        }
        let network = Self.masked(address, prefixLength: length)
        guard network == address else {
            throw ParseError(
                text: text, reason: "host bits are set after /\(length); did you mean \(network)/\(length)?")
        }
        self.address = network
        self.prefixLength = length
    }

    public var description: String { "\(address)/\(prefixLength)" }

    /// Whether the address is inside this network (IPv4-mapped IPv6 addresses count as IPv4).
    public func contains(_ other: IPAddress) -> Bool {
        let other = other.unmapped
        switch (address, other) {
        case (.v4, .v4), (.v6, .v6): return Self.masked(other, prefixLength: prefixLength) == address
        default: return false
        }
    }

    /// The loopback networks, `127.0.0.0/8` and `::1/128`: what the deprecated `--trust-forwarded-for` trusts.
    public static let loopback: [IPNetwork] = [
        IPNetwork(uncheckedAddress: .v4(0x7f00_0000), prefixLength: 8),
        IPNetwork(uncheckedAddress: .v6(high: 0, low: 1), prefixLength: 128),
    ]

    private init(uncheckedAddress: IPAddress, prefixLength: Int) {
        self.address = uncheckedAddress
        self.prefixLength = prefixLength
    }

    /// The address with every bit after the prefix cleared.
    static func masked(_ address: IPAddress, prefixLength: Int) -> IPAddress {
        switch address {
        case .v4(let value):
            let mask: UInt32 = prefixLength <= 0 ? 0 : prefixLength >= 32 ? .max : ~(UInt32.max >> prefixLength)
            return .v4(value & mask)
        case .v6(let high, let low):
            let highMask: UInt64 = prefixLength <= 0 ? 0 : prefixLength >= 64 ? .max : ~(UInt64.max >> prefixLength)
            let lowBits = prefixLength - 64
            let lowMask: UInt64 = lowBits <= 0 ? 0 : lowBits >= 64 ? .max : ~(UInt64.max >> lowBits)
            return .v6(high: high & highMask, low: low & lowMask)
        }
    }
}

/// The client's address: who is really asking behind trusted proxies, and the key its throttles count under.
public enum ClientAddress {
    /// At most this many `X-Forwarded-For` hops are looked at; a longer chain stops at the last one looked at.
    public static let maximumHops = 32

    /// The client address. When the socket peer is a trusted proxy, `X-Forwarded-For` is walked from the right
    /// (the hop the proxy itself appended) leftwards, and the first hop that is not a trusted proxy is the client;
    /// everything left of it was written by the client and is ignored. A malformed hop stops the walk, and the
    /// last good address is the answer. When the peer is not trusted, the header is ignored.
    ///
    /// - Parameter forwardedFor: every `X-Forwarded-For` field value, in the order received.
    public static func resolve(peer: IPAddress, forwardedFor: [String], trustedProxies: [IPNetwork]) -> IPAddress {
        let peer = peer.unmapped
        guard isTrusted(peer, by: trustedProxies) else { return peer }
        var hops: [Substring] = []
        for value in forwardedFor {
            hops.append(contentsOf: value.split(separator: ",", omittingEmptySubsequences: false))
        }
        var current = peer
        for hop in hops.reversed().prefix(maximumHops) {
            guard let address = parseHop(hop) else { break }
            current = address
            if !isTrusted(address, by: trustedProxies) { break }
        }
        return current
    }

    /// One `X-Forwarded-For` hop: an address, optionally with a port (`192.0.2.1:443`, `[2001:db8::1]:443`) or in
    /// brackets (`[2001:db8::1]`), as some proxies write them. Nil when malformed.
    public static func parseHop(_ text: Substring) -> IPAddress? {
        let hop = text.trimmingASCIIWhitespace()
        guard !hop.isEmpty, hop.utf8.count <= 64 else { return nil }
        if hop.hasPrefix("[") {
            guard let close = hop.firstIndex(of: "]") else { return nil }
            let rest = hop[hop.index(after: close)...]
            guard rest.isEmpty || isPortSuffix(rest) else { return nil }
            let inner = hop[hop.index(after: hop.startIndex)..<close]
            guard inner.contains(":"), let address = IPAddress(inner) else { return nil }
            return address.unmapped
        }
        if let colon = hop.firstIndex(of: ":"), hop.contains(".") && hop.lastIndex(of: ":") == colon {
            guard isPortSuffix(hop[colon...]) else { return nil }
            return IPAddress(hop[..<colon])
        }
        return IPAddress(hop)?.unmapped
    }

    /// The key the address's throttle counts under: an IPv4 address per /32 (`192.0.2.1`), an IPv6 address per
    /// /64 (`2001:db8:1:2::/64`), since one host is routinely given a whole /64 and could otherwise rotate through
    /// 2^64 buckets. Every spelling of one /64 gives one key. Text that is not an address is its own key.
    public static func throttleKey(for address: IPAddress) -> String {
        switch address.unmapped {
        case .v4(let value):
            return IPAddress.v4(value).description
        case .v6(let high, _):
            return IPAddress.v6(high: high, low: 0).description + "/64"
        }
    }

    /// ``throttleKey(for:)-(IPAddress)`` for display text, which may be `unknown`.
    public static func throttleKey(for text: String) -> String {
        guard let address = IPAddress(text) else { return String(text.prefix(64)) }
        return throttleKey(for: address)
    }

    static func isTrusted(_ address: IPAddress, by networks: [IPNetwork]) -> Bool {
        networks.contains { $0.contains(address) }
    }

    private static func isPortSuffix(_ text: Substring) -> Bool {
        let digits = text.utf8.dropFirst()
        return text.first == ":" && (1...5).contains(digits.count) && digits.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }
}

extension StringProtocol {
    fileprivate func trimmingASCIIWhitespace() -> Substring {
        let text = Substring(self)
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = text.firstIndex(where: { !isSpace($0) }), let last = text.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return text[first...last]
    }
}
