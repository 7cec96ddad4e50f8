import Foundation
import GatehouseCore
import SQLKit

extension SQLSession {
    func insertCanary(digest: String, at date: Date) async throws {
        try await exec("INSERT INTO canaries (digest, created_at) VALUES (\(bind: digest), \(bind: date.epochSeconds))")
    }

    func canaryDigests() async throws -> [String] {
        try await all("SELECT digest FROM canaries").map { try $0.string("digest") }
    }

    func alertRecipients() async throws -> [Account] {
        try await all(
            """
            SELECT \(unsafeRaw: Self.accountColumns) FROM accounts WHERE role = 'admin' AND email_verified = 1
            ORDER BY created_at LIMIT 50
            """
        ).map(decodeAccount)
    }
}
