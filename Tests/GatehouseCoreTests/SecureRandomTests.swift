import Foundation
import Testing

@testable import GatehouseCore

@Suite("Random identifiers")
struct SecureRandomTests {
    @Test("identifiers are 22 base64url characters, distinct, and never begin with '-' (a command line would take them for an option)")
    func identifiers() {
        let ids = (0..<20_000).map { _ in SecureRandom.identifier() }
        #expect(Set(ids).count == ids.count)
        #expect(ids.allSatisfy { $0.utf8.count == 22 && $0.first != "-" })
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        #expect(ids.allSatisfy { $0.allSatisfy(alphabet.contains) })
        // Every other character is still drawn from all 64 (so the id keeps its entropy).
        #expect(Set(ids.flatMap { $0.dropFirst().prefix(20) }).count == 64)
    }
}
