import Foundation
import GatehouseWire
import Testing

/// The hub and the media server read these types from one module; these specs pin the JSON both sides rely on.
@Suite("Wire types")
struct WireTypesTests {
    static func json(_ value: some Encodable) throws -> String {
        String(decoding: try WireJSON.encoder.encode(value), as: UTF8.self)
    }

    @Test("media token claims: the hub's spelling, read back the same; cnf and prf round-trip")
    func claims() throws {
        let profile = MediaTokenClaims.Profile(
            id: "p1",
            restrictions: ProfileRestrictions(sections: ["TV", "Kids"], maxRating: "PG", blockedLabels: ["scary"]))
        let claims = MediaTokenClaims(
            typ: MediaTokenClaims.profileType, kid: "k2", aud: "srv", sub: "acc", dev: "dev", iat: 10, exp: 310,
            jti: "j", own: false, sec: ["Kids"], cnf: .init(jkt: "thumb"), prf: profile)
        let text = try Self.json(claims)
        #expect(
            text
                == #"{"aud":"srv","cnf":{"jkt":"thumb"},"dev":"dev","exp":310,"iat":10,"jti":"j","kid":"k2","own":false,"#
                + #""prf":{"blk":["scary"],"id":"p1","max":"PG","sec":["Kids","TV"]},"sec":["Kids"],"sub":"acc","#
                + #""typ":"media-profile"}"#)
        #expect(try WireJSON.decoder.decode(MediaTokenClaims.self, from: Data(text.utf8)) == claims)
        #expect(profile.restrictions.allows(section: "Kids", rating: "G", labels: []))
        #expect(!profile.restrictions.allows(section: "Kids", rating: "R", labels: []))
        #expect(!profile.restrictions.allows(section: "Kids", rating: "G", labels: ["Scary"]))
        // An unbound, profile-less token leaves both claims out.
        let plain = MediaTokenClaims(kid: "k", aud: "a", sub: "s", dev: "d", iat: 1, exp: 2, jti: "j", own: true)
        let plainJSON = try Self.json(plain)
        #expect(!plainJSON.contains("cnf") && !plainJSON.contains("prf"))
    }

    @Test("claims: jti, own and sec may be absent; typ, kid, aud, sub, dev, iat and exp may not")
    func lenientClaims() throws {
        let minimal = #"{"typ":"media","kid":"k","aud":"a","sub":"s","dev":"d","iat":1,"exp":2}"#
        let claims = try WireJSON.decoder.decode(MediaTokenClaims.self, from: Data(minimal.utf8))
        #expect(claims.jti == "" && claims.own == false && claims.sec == [] && claims.cnf == nil)
        #expect(throws: DecodingError.self) {
            _ = try WireJSON.decoder.decode(MediaTokenClaims.self, from: Data(#"{"typ":"media","kid":"k"}"#.utf8))
        }
        // A `cnf` without `jkt` is refused, never read as "no confirmation".
        #expect(throws: DecodingError.self) {
            _ = try WireJSON.decoder.decode(
                MediaTokenClaims.self,
                from: Data(#"{"typ":"media","kid":"k","aud":"a","sub":"s","dev":"d","iat":1,"exp":2,"cnf":{}}"#.utf8))
        }
    }

    @Test("key set, revocation stream and server bodies use snake_case keys")
    func spelling() throws {
        let keys = MediaKeySet(keys: [
            .init(kid: "k1", publicKey: "AAA"), .init(kid: "k2", publicKey: "BBB", signedBy: "k1", signature: "SIG"),
        ])
        #expect(
            try Self.json(keys)
                == #"{"keys":[{"kid":"k1","public_key":"AAA"},{"kid":"k2","public_key":"BBB","signature":"SIG","signed_by":"k1"}]}"#
        )
        #expect(
            MediaKeySet.endorsementMessage(kid: "k2", publicKey: "BBB") == Array("gatehouse-media-key-v1\nk2\nBBB".utf8)
        )
        let event = RevocationEvent(accountID: "a", deviceIDs: ["d1"], allDevices: false, at: 5)
        #expect(try Self.json(event) == #"{"account_id":"a","all_devices":false,"at":5,"device_ids":["d1"]}"#)
        let sparse = try WireJSON.decoder.decode(RevocationEvent.self, from: Data(#"{"account_id":"a","at":7}"#.utf8))
        #expect(sparse == RevocationEvent(accountID: "a", deviceIDs: [], allDevices: false, at: 7))
        #expect(try Self.json(RevocationHello(at: 9)) == #"{"at":9}"#)
        let claim = ServerClaimRequest(name: "NAS", version: "1.0", platform: "Linux", url: "", credentialDigest: "ab")
        #expect(
            try Self.json(claim)
                == #"{"credential_digest":"ab","name":"NAS","platform":"Linux","url":"","version":"1.0"}"#)
        #expect(
            try Self.json(ServerClaimCode(code: "ABCD-EFGH", expiresAt: 3)) == #"{"code":"ABCD-EFGH","expires_at":3}"#)
        #expect(
            try Self.json(ServerInfo(serverID: "s", ownerID: "o", name: "NAS"))
                == #"{"name":"NAS","owner_id":"o","server_id":"s"}"#)
    }

    @Test("the hub's snake_case encoder leaves the wire spelling unchanged")
    func hubEncoder() throws {
        let hub = JSONEncoder()
        hub.keyEncodingStrategy = .convertToSnakeCase
        hub.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let event = RevocationEvent(accountID: "a", deviceIDs: ["d1"], allDevices: true, at: 5)
        #expect(try hub.encode(event) == (try WireJSON.encoder.encode(event)))
        let keys = MediaKeySet(keys: [.init(kid: "k2", publicKey: "BBB", signedBy: "k1", signature: "SIG")])
        #expect(try hub.encode(keys) == (try WireJSON.encoder.encode(keys)))
    }
}
