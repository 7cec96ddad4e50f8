import Foundation
import GatehouseCore
import SQLKit

extension SQLSession {
    func throttleState(key: String) async throws -> (failures: Int, lastFailure: Date)? {
        guard let row = try await first("SELECT failures, last_failure FROM throttle WHERE key = \(bind: key)") else {
            return nil
        }
        return (Int(try row.int("failures")), try row.date("last_failure"))
    }

    func throttleStates(keys: [String]) async throws -> [String: (failures: Int, lastFailure: Date)] {
        guard !keys.isEmpty else { return [:] }
        let list = SQLList(keys.map { SQLBind($0) })
        var states: [String: (failures: Int, lastFailure: Date)] = [:]
        for row in try await all("SELECT key, failures, last_failure FROM throttle WHERE key IN (\(list))") {
            states[try row.string("key")] = (Int(try row.int("failures")), try row.date("last_failure"))
        }
        return states
    }

    func recordThrottleFailure(key: String, at date: Date) async throws {
        let cutoff = date.epochSeconds - 86_400
        try await exec(
            """
            INSERT INTO throttle (key, failures, last_failure) VALUES (\(bind: key), 1, \(bind: date.epochSeconds))
            ON CONFLICT (key) DO UPDATE SET
                failures = CASE WHEN throttle.last_failure < \(bind: cutoff) THEN 1 ELSE throttle.failures + 1 END,
                last_failure = \(bind: date.epochSeconds)
            """)
    }

    func reserveAttempt(key: String, policy: ThrottlePolicy, now: Date) async throws -> Int {
        // Compare-and-swap on (failures, last_failure): a concurrent reservation changes the row, so this one
        // matches nothing and reads again. Each round admits at most one of the racers, on both databases.
        // PostgreSQL: after a lost round the read also locks the row (FOR UPDATE). Inside a transaction (sign-in
        // reserves the address, the identifier and the account in one) a racer then queues on the lock and its
        // next swap succeeds, rather than losing a round to every commit that lands while it waits; on its own,
        // the statement's lock ends with it and the swap decides as before. The first read takes no lock, so a
        // flood past the budget is answered from it without queueing. SQLite has one writer.
        for round in 0..<24 {
            let lock: SQLQueryString = dialect == .postgres && round > 0 ? " FOR UPDATE" : ""
            if let row = try await first(
                "SELECT failures, last_failure FROM throttle WHERE key = \(bind: key)\(lock)")
            {
                let failures = try row.int("failures")
                let last = try row.int("last_failure")
                let expired = now.timeIntervalSince(Date(epochSeconds: last)) >= policy.window
                let counted = expired ? 0 : Int(failures)
                let wait = policy.wait(failures: counted, lastFailure: Date(epochSeconds: last), now: now)
                if wait > 0 { return wait }
                let swapped = try await changes(
                    """
                    UPDATE throttle SET failures = \(bind: Int64(counted + 1)), last_failure = \(bind: now.epochSeconds)
                    WHERE key = \(bind: key) AND failures = \(bind: failures) AND last_failure = \(bind: last)
                    """)
                if swapped == 1 { return 0 }
            } else {
                let inserted = try await changes(
                    """
                    INSERT INTO throttle (key, failures, last_failure) VALUES (\(bind: key), 1, \(bind: now.epochSeconds))
                    ON CONFLICT (key) DO NOTHING
                    """)
                if inserted == 1 { return 0 }
            }
        }
        // Heavy contention on one key: answer "later" rather than let anyone through unreserved.
        return 1
    }

    func refundAttempt(key: String) async throws {
        try await exec("UPDATE throttle SET failures = failures - 1 WHERE key = \(bind: key) AND failures > 0")
    }

    func clearThrottle(key: String) async throws {
        try await exec("DELETE FROM throttle WHERE key = \(bind: key)")
    }
}
