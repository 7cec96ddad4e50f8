import Foundation
import GatehouseCore
import SQLKit

extension SQLSession {
    func spendDPoPProof(key: String, expiresAt: Date) async throws -> Bool {
        try await changes(
            """
            INSERT INTO dpop_proofs (replay_key, expires_at) VALUES (\(bind: key), \(bind: expiresAt.epochSeconds))
            ON CONFLICT (replay_key) DO NOTHING
            """) > 0
    }

    func purgeDPoPProofs(before date: Date) async throws -> Int {
        try await changes("DELETE FROM dpop_proofs WHERE expires_at <= \(bind: date.epochSeconds)")
    }
}
