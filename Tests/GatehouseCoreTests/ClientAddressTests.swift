import GatehouseCore
import Testing

@Suite("Client address: parsing, trusted proxies, throttle keys")
struct ClientAddressTests {
    static let proxies = [try! IPNetwork("10.0.0.0/8"), try! IPNetwork("2001:db8:ffff::/48")]

    // MARK: Parsing

    @Test func addressesParseAndPrintCanonically() {
        #expect(IPAddress("192.0.2.1")?.description == "192.0.2.1")
        #expect(IPAddress("0.0.0.0")?.description == "0.0.0.0")
        #expect(IPAddress("2001:DB8:0:0:0:0:0:1")?.description == "2001:db8::1")
        #expect(IPAddress("2001:db8:0:0:1:0:0:1")?.description == "2001:db8::1:0:0:1")
        #expect(IPAddress("0:0:0:0:0:0:0:0")?.description == "::")
        #expect(IPAddress("::1")?.description == "::1")
        #expect(IPAddress("1::")?.description == "1::")
        #expect(IPAddress("2001:db8:1:2:3:4:5:6")?.description == "2001:db8:1:2:3:4:5:6")
        #expect(IPAddress("2001:0db8:0000:0001:0000:0000:0000:0000")?.description == "2001:db8:0:1::")
        #expect(IPAddress("::ffff:192.0.2.1")?.description == "::ffff:192.0.2.1")
        #expect(IPAddress("::ffff:192.0.2.1")?.unmapped == IPAddress("192.0.2.1"))
        #expect(IPAddress("64:ff9b::192.0.2.1") == IPAddress("64:ff9b::c000:201"))
    }

    /// Lenient parsers read `010.0.0.1` as octal 8.0.0.1, or accept signs, zones or stray text: none of it counts.
    @Test(arguments: [
        "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.-4", "+1.2.3.4", "1.2.3.4 ", " 1.2.3.4", "1..2.3",
        "٣.1.1.1", "1.2.3.4/32", ":::", "1:2:3:4:5:6:7:8:9", "1::2::3", ":1::", "1:2:3:4:5:6:7::8", "12345::",
        "fe80::1%eth0", "g::1", "::+1", "::ffff:1.2.3", "1.2.3.4::", "unknown", "localhost", "[::1]",
    ])
    func malformedAddressesAreRefused(text: String) {
        #expect(IPAddress(text) == nil)
    }

    // MARK: CIDR matching

    @Test func cidrMatchingIPv4() throws {
        let network = try IPNetwork("192.0.2.0/24")
        #expect(network.contains(IPAddress("192.0.2.0")!))
        #expect(network.contains(IPAddress("192.0.2.255")!))
        #expect(!network.contains(IPAddress("192.0.3.0")!))
        #expect(!network.contains(IPAddress("2001:db8::1")!))
        #expect(network.contains(IPAddress("::ffff:192.0.2.9")!), "IPv4-mapped peers match IPv4 networks")
        #expect(try IPNetwork("192.0.2.7").description == "192.0.2.7/32")
        #expect(try IPNetwork("0.0.0.0/0").contains(IPAddress("203.0.113.1")!))
        #expect(try IPNetwork("::ffff:10.0.0.0/104").description == "10.0.0.0/8")
    }

    @Test func cidrMatchingIPv6() throws {
        let network = try IPNetwork("2001:db8:abcd::/48")
        #expect(network.contains(IPAddress("2001:db8:abcd:ffff::1")!))
        #expect(!network.contains(IPAddress("2001:db8:abce::1")!))
        #expect(!network.contains(IPAddress("10.0.0.1")!))
        #expect(try IPNetwork("::1").contains(IPAddress("0:0:0:0:0:0:0:1")!))
        #expect(try IPNetwork("2001:db8::/127").contains(IPAddress("2001:db8::1")!))
        #expect(try !IPNetwork("2001:db8::/128").contains(IPAddress("2001:db8::1")!))
        #expect(try IPNetwork("2001:db8:1:2:8000::/65").contains(IPAddress("2001:db8:1:2:ffff::")!))
        #expect(IPNetwork.loopback.contains { $0.contains(IPAddress("127.8.9.10")!) })
    }

    /// A typo in a trusted network must stop the start, not silently trust the wrong hosts.
    @Test(arguments: [
        "", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/08", "10.0.0.1/8", "2001:db8::/129",
        "2001:db8::1/64", "10.0.0.0/8/8", "example.com/24", "::ffff:10.0.0.0/8", "10.0.0.0 /8x",
    ])
    func malformedTrustedProxyIsRefused(text: String) {
        #expect(throws: IPNetwork.ParseError.self) { try IPNetwork(text) }
    }

    @Test func hostBitsErrorSuggestsTheNetwork() {
        do {
            _ = try IPNetwork("10.1.2.3/8")
            Issue.record("accepted host bits")
        } catch {
            #expect("\(error)".contains("10.0.0.0/8"))
        }
    }

    // MARK: The right-most walk

    /// The left-most hop is whatever the client sent; behind a proxy that appends, only the right-most is real.
    @Test func spoofedLeftmostForwardedHopIsIgnored() {
        let client = ClientAddress.resolve(
            peer: IPAddress("10.0.0.2")!, forwardedFor: ["203.0.113.9, 198.51.100.7"], trustedProxies: Self.proxies)
        #expect(client == IPAddress("198.51.100.7"))
    }

    @Test func chainOfTrustedProxiesIsWalkedToTheClient() {
        let client = ClientAddress.resolve(
            peer: IPAddress("10.0.0.2")!,
            forwardedFor: ["203.0.113.9, 198.51.100.7", "2001:db8:ffff::5,10.1.1.1"],
            trustedProxies: Self.proxies)
        #expect(client == IPAddress("198.51.100.7"))
    }

    @Test func forwardedForFromAnUntrustedPeerIsIgnored() {
        let client = ClientAddress.resolve(
            peer: IPAddress("192.0.2.50")!, forwardedFor: ["198.51.100.7"], trustedProxies: Self.proxies)
        #expect(client == IPAddress("192.0.2.50"))
        let noProxies = ClientAddress.resolve(
            peer: IPAddress("10.0.0.2")!, forwardedFor: ["198.51.100.7"], trustedProxies: [])
        #expect(noProxies == IPAddress("10.0.0.2"))
    }

    /// A garbage hop must not let the client pick an address: the walk stops at the last good one.
    @Test func malformedForwardedHopStopsTheWalk() {
        let proxy = IPAddress("10.0.0.2")!
        #expect(
            ClientAddress.resolve(peer: proxy, forwardedFor: ["198.51.100.7, garbage"], trustedProxies: Self.proxies)
                == proxy)
        #expect(
            ClientAddress.resolve(
                peer: proxy, forwardedFor: ["198.51.100.7, nonsense, 10.9.9.9"], trustedProxies: Self.proxies)
                == IPAddress("10.9.9.9"))
        #expect(
            ClientAddress.resolve(peer: proxy, forwardedFor: ["198.51.100.7,,10.9.9.9"], trustedProxies: Self.proxies)
                == IPAddress("10.9.9.9"))
        #expect(ClientAddress.resolve(peer: proxy, forwardedFor: [""], trustedProxies: Self.proxies) == proxy)
        #expect(ClientAddress.resolve(peer: proxy, forwardedFor: [], trustedProxies: Self.proxies) == proxy)
    }

    @Test func everyHopTrustedGivesTheLeftmostProxy() {
        let client = ClientAddress.resolve(
            peer: IPAddress("10.0.0.2")!, forwardedFor: ["10.3.3.3, 10.4.4.4"], trustedProxies: Self.proxies)
        #expect(client == IPAddress("10.3.3.3"))
    }

    @Test func hopsWithPortsAndBracketsParse() {
        #expect(ClientAddress.parseHop(" 198.51.100.7:4711 ") == IPAddress("198.51.100.7"))
        #expect(ClientAddress.parseHop("[2001:db8::1]:443") == IPAddress("2001:db8::1"))
        #expect(ClientAddress.parseHop("[2001:db8::1]") == IPAddress("2001:db8::1"))
        #expect(ClientAddress.parseHop("::ffff:198.51.100.7") == IPAddress("198.51.100.7"))
        #expect(ClientAddress.parseHop("2001:db8::1") == IPAddress("2001:db8::1"))
        #expect(ClientAddress.parseHop("198.51.100.7:") == nil)
        #expect(ClientAddress.parseHop("198.51.100.7:123456") == nil)
        #expect(ClientAddress.parseHop("[198.51.100.7]") == nil)
        #expect(ClientAddress.parseHop("[2001:db8::1]x") == nil)
        #expect(ClientAddress.parseHop("unknown") == nil)
        #expect(ClientAddress.parseHop("_hidden") == nil)
    }

    /// A header of thousands of trusted-looking hops costs a bounded walk.
    @Test func longForwardedChainIsBounded() {
        let hops = Array(repeating: "10.0.0.1", count: 5000).joined(separator: ",")
        let client = ClientAddress.resolve(
            peer: IPAddress("10.0.0.2")!, forwardedFor: ["198.51.100.7," + hops], trustedProxies: Self.proxies)
        #expect(client == IPAddress("10.0.0.1"))
    }

    // MARK: Throttle keys

    /// One host with a /64 must not get 2^64 throttle buckets, whatever it writes its address as.
    @Test func ipv6RotationWithinOne64SharesAThrottleKey() {
        let spellings = [
            "2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:0DB8:0001:0002:0000:0000:0000:0009",
            "2001:db8:1:2:abcd::", "2001:db8:1:2:0:0:0:0",
        ]
        let keys = Set(spellings.map { ClientAddress.throttleKey(for: $0) })
        #expect(keys == ["2001:db8:1:2::/64"])
        #expect(ClientAddress.throttleKey(for: "2001:db8:1:3::1") == "2001:db8:1:3::/64")
        #expect(Caller(ipAddress: "2001:db8:1:2::77").addressKey == "2001:db8:1:2::/64")
    }

    @Test func ipv4KeysPerAddress() {
        #expect(ClientAddress.throttleKey(for: "198.51.100.7") == "198.51.100.7")
        #expect(ClientAddress.throttleKey(for: "198.51.100.8") == "198.51.100.8")
        #expect(ClientAddress.throttleKey(for: "::ffff:198.51.100.7") == "198.51.100.7")
        #expect(Caller(ipAddress: "198.51.100.7").addressKey == "198.51.100.7")
        #expect(Caller(ipAddress: "unknown").addressKey == "unknown")
    }
}
