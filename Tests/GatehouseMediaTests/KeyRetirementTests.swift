import Crypto
import Foundation
import Testing

@testable import GatehouseMedia

/// Issue 13, item 8: a hub signing key retired with `gatehouse keys retire` is trusted no more.
@Suite("Trust chain: retired hub keys")
struct KeyRetirementTests {
    func entry(_ signer: TestSigner, endorsedBy previous: TestSigner? = nil) -> PublishedHubKey {
        var entry = PublishedHubKey(kid: signer.kid, key: signer.publicKey)
        if let previous {
            entry.signedBy = previous.kid
            entry.signature =
                (try? previous.key.signature(
                    for: PublishedHubKey.endorsementMessage(kid: signer.kid, key: signer.publicKey))).map(Array.init)
        }
        return entry
    }

    @Test("A pinned key the hub stops publishing leaves the pin for good, even from a server that missed the rotation")
    func retiredKeyLeavesThePin() {
        let first = TestSigner(kid: "s1")
        let second = TestSigner(kid: "s2")
        // The hub rotated to s2 and retired s1: it publishes s2 with the endorsement s1 made before retiring.
        let outcome = HubKeyChain.advance(
            pinned: ["s1": first.publicKey], published: [entry(second, endorsedBy: first)])
        #expect(outcome.pinned.keys.sorted() == ["s2"])
        #expect(outcome.active.keys.sorted() == ["s2"])
        #expect(outcome.dropped == ["s1"])
        // A stolen s1 published again later is not chained to the pin any more.
        let again = HubKeyChain.advance(
            pinned: outcome.pinned, published: [entry(first), entry(second, endorsedBy: first)])
        #expect(again.active.keys.sorted() == ["s2"])
        #expect(again.refused.count == 1)
    }

    @Test("A hub that publishes no trusted key at all cannot empty the pin")
    func untrustedListDropsNothing() {
        let first = TestSigner(kid: "s1")
        let outcome = HubKeyChain.advance(pinned: ["s1": first.publicKey], published: [entry(TestSigner(kid: "s2"))])
        #expect(outcome.pinned.keys.sorted() == ["s1"])
        #expect(outcome.dropped.isEmpty)
    }

    @Test("After a refresh the key ring refuses the retired key and the pin file no longer holds it")
    func keyRingDropsRetiredKey() async throws {
        let library = try TestLibrary()
        let first = TestSigner(kid: "s1")
        let second = TestSigner(kid: "s2")
        let store = HubKeyPinStore(dataFolder: library.dataFolder)
        try store.save(["s1": first.publicKey, "s2": second.publicKey])
        struct Source: HubKeySource {
            let published: [PublishedHubKey]
            func fetchKeys() async throws -> [String: HubPublicKey] { [:] }
            func fetchPublishedKeys() async throws -> [PublishedHubKey] { published }
        }
        let ring = MediaKeyRing(
            source: Source(published: [entry(second, endorsedBy: first)]),
            pinning: .init(store: store, alerts: TrustAlerts(logger: quietLogger), isClaimed: { true }),
            logger: quietLogger)
        #expect(ring.key(id: "s1") != nil)
        #expect(await ring.refresh())
        #expect(ring.key(id: "s1") == nil)
        #expect(ring.key(id: "s2") == second.publicKey)
        #expect(store.load()?.keys.sorted() == ["s2"])
    }
}
