import Foundation
import GatehouseCore
import Synchronization

/// The encoded JSON of recently read accounts, so the hottest authenticated read (`GET /account`) does not run
/// JSONEncoder each time. An entry is used only while the account it was made from is unchanged (compared field by
/// field), so a stale body can never be served.
final class AccountJSONCache: Sendable {
    private let entries = Mutex<[String: (account: Account, body: Data)]>([:])
    private let capacity: Int

    init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    func body(for account: Account, make: () throws -> Data) rethrows -> Data {
        if let cached = entries.withLock({ $0[account.id] }), cached.account == account {
            return cached.body
        }
        let body = try make()
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[account.id] = (account, body)
        }
        return body
    }
}
