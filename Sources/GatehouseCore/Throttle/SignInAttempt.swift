import Foundation

/// The reservations an attempt to sign in with a secret makes before the secret is checked: password sign-in and
/// app passwords (HTTP Basic) share them.
///
/// An outsider's attempt is reserved on three budgets, in one transaction and in ``ThrottleStore``'s lock order:
/// the address's, the identifier's as typed (`id:` and the canonical identifier, whether or not it names an
/// account), then the account's (`acct:`, every identifier of the account together). The account's budget bounds
/// the guesses checked against one password however they are spelled; the identifier's is the one a refusal
/// (429) speaks of. When only the account's is spent, the attempt is **held**: it is answered as a wrong secret,
/// with the same dummy work, and never checked. Answering 429 there would tell an outsider who had guessed
/// against a username that an address they had never tried belongs to the same account, and so that it has one.
///
/// A client proving it is a known device of the account spends a budget of its own (`known:`) and nothing else.
struct SignInAttempt: Sendable {
    enum Outcome: Equatable, Sendable {
        /// Reserved: check the secret, then settle or leave the attempt counted.
        case reserved
        /// The account's budget is spent while the address's and the identifier's are not: answer as a wrong
        /// secret without checking it. The address's and the identifier's reservations stay counted.
        case held
        /// Spent: answer "try again in this many seconds". Nothing stays reserved.
        case wait(Int)
    }

    let addressKey: String?
    let identifierKey: String?
    let accountKey: String?

    /// An outsider's attempt on `identifier` (naming `accountID`, or no account). An identifier that names no
    /// account gets a stand-in third budget (`nid:`) that moves in step with its `id:` one, so it is never held
    /// and an attempt runs the same statements whether or not the identifier names an account.
    init(caller: Caller, identifier: String, accountID: String?) {
        addressKey = "ip:" + caller.addressKey
        identifierKey = HubEnvironment.accountThrottleKey(accountID: nil, identifier: identifier)
        accountKey =
            accountID.map { HubEnvironment.accountThrottleKey(accountID: $0, identifier: identifier) }
            ?? "nid:" + AccountNames.canonical(identifier)
    }

    /// An attempt from a known device of the account (its known-device secret's digest).
    init(knownDeviceDigest: String) {
        addressKey = nil
        identifierKey = nil
        accountKey = "known:" + knownDeviceDigest
    }

    /// Reserves the attempt on every budget in one transaction (one commit).
    func reserve(in store: any HubStore, addressPolicy: ThrottlePolicy, now: Date) async throws -> Outcome {
        let (addressKey, identifierKey, accountKey) = (self.addressKey, self.identifierKey, self.accountKey)
        return try await store.transaction { tx in
            var taken: [String] = []
            func giveBack() async throws { for key in taken { try await tx.refundAttempt(key: key) } }
            if let addressKey {
                let wait = try await tx.reserveAttempt(key: addressKey, policy: addressPolicy, now: now)
                if wait > 0 { return .wait(wait) }
                taken.append(addressKey)
            }
            if let identifierKey {
                let wait = try await tx.reserveAttempt(key: identifierKey, policy: .perAccount, now: now)
                if wait > 0 {
                    try await giveBack()
                    return .wait(wait)
                }
                taken.append(identifierKey)
            }
            if let accountKey {
                let wait = try await tx.reserveAttempt(key: accountKey, policy: .perAccount, now: now)
                if wait > 0 {
                    // An outsider's attempt is held, silently; a known device's is refused in the open.
                    if identifierKey != nil { return .held }
                    try await giveBack()
                    return .wait(wait)
                }
            }
            return .reserved
        }
    }

    /// A right secret gives the attempt back, in the reservation's order: the address's attempt is refunded; the
    /// identifier's and the account's failures are cleared (`clearing`, a password sign-in) or their attempt
    /// refunded (an app password, which says nothing of the password's guessers). After a held attempt (a valid
    /// app password needs no password check) the account's budget was not reserved and is left alone.
    func settle(after outcome: Outcome, in tx: any StoreTransaction, clearing: Bool) async throws {
        if let addressKey { try await tx.refundAttempt(key: addressKey) }
        let keys = [identifierKey, outcome == .held ? nil : accountKey].compactMap { $0 }
        for key in keys {
            if clearing {
                try await tx.clearThrottle(key: key)
            } else {
                try await tx.refundAttempt(key: key)
            }
        }
    }
}
