import Argon2
import Crypto
import Foundation
import Logging
import Synchronization
import Tracing

/// Keyed Argon2id password hashes in PHC form, with the pepper's key id inside:
/// `$argon2id$v=19$m=19456,t=2,p=1,keyid=cDE$salt$tag`.
///
/// Hashing runs on a ``WorkPool`` sized to the cores with pooled Argon2 memory (faulted in by its first hash,
/// released after a minute idle); past the pool's queue bound callers get ``WorkPool/Overloaded`` (503) instead
/// of an unbounded queue.
///
/// Verification trusts nothing in the stored string it did not write itself: before any hashing it refuses (as
/// `.invalid`) a hash made without the keyring's pepper (no `keyid`), and one whose costs or sizes lie outside
/// ``StoredHashLimits``, so a hash planted in the database can neither be made without the pepper nor pin a
/// hashing thread.
public final class Argon2PasswordHasher: PasswordHashing {
    public enum Error: Swift.Error {
        case unknownPepper(String)
    }

    /// What verification accepts in a stored hash, relative to the configured ``parameters``.
    public struct StoredHashLimits: Sendable, Equatable {
        /// A stored hash's memory and passes may each be at most this many times the configured ones. Hashes made
        /// before the cost was raised stay verifiable (and are rehashed at the next sign-in); lowering the cost by
        /// more than this factor leaves older hashes refused until their owners reset their passwords.
        public var costFactor: Int
        /// Most lanes (`p`) a stored hash may have (or the configured lanes, if more).
        public var maxParallelism: Int
        /// Salt lengths in bytes (Argon2 needs 8; new hashes use 16).
        public var saltLength: ClosedRange<Int>
        /// Tag lengths in bytes (new hashes use 32).
        public var tagLength: ClosedRange<Int>

        public init(costFactor: Int, maxParallelism: Int, saltLength: ClosedRange<Int>, tagLength: ClosedRange<Int>) {
            self.costFactor = max(1, costFactor)
            self.maxParallelism = max(1, maxParallelism)
            self.saltLength = saltLength
            self.tagLength = tagLength
        }

        /// 4x the configured memory and passes, at most 4 lanes, 8-64 byte salts, 16-64 byte tags.
        public static let standard = StoredHashLimits(
            costFactor: 4, maxParallelism: 4, saltLength: 8...64, tagLength: 16...64)
    }

    /// Why a stored hash was refused without hashing.
    public enum Refusal: String, Swift.Error, Sendable, Equatable {
        /// Not an Argon2 PHC string (the parser also bounds its length and every field).
        case malformed
        /// No `keyid`: made without the keyring's pepper, so whoever wrote it needed no secret.
        case unkeyed
        /// Memory or passes above ``StoredHashLimits/costFactor`` times the configured ones (or above what the
        /// hasher can allocate).
        case costTooHigh = "cost_too_high"
        /// More lanes than ``StoredHashLimits/maxParallelism``.
        case parallelismTooHigh = "parallelism_too_high"
        /// Salt or tag length outside ``StoredHashLimits``.
        case sizeOutOfRange = "size_out_of_range"
    }

    /// The configured parameters are below OWASP's minimum (or above what the hasher can allocate).
    public struct WeakSettings: Swift.Error, CustomStringConvertible {
        public let parameters: Argon2.Parameters
        public let reason: String
        public var description: String {
            "Argon2 settings m=\(parameters.memoryKiB) KiB, t=\(parameters.iterations), p=\(parameters.parallelism) "
                + "refused: \(reason)"
        }
    }

    /// OWASP's minimum settings for Argon2id with one lane, as (memory KiB, passes) pairs of equal strength;
    /// settings at or above any one pair are enough.
    public static let owaspMinimumPairs: [(memoryKiB: Int, iterations: Int)] = [
        (47_104, 1), (19_456, 2), (12_288, 3), (9_216, 4), (7_168, 5),
    ]

    /// Throws ``WeakSettings`` unless `parameters` are Argon2id at or above one of ``owaspMinimumPairs`` and
    /// within the hasher's memory limit. `allowWeak` (tests and development only) lets weak settings through;
    /// the caller must say so loudly.
    public static func checkSettings(_ parameters: Argon2.Parameters, allowWeak: Bool = false) throws(WeakSettings) {
        do {
            try parameters.validate()
        } catch {
            throw WeakSettings(parameters: parameters, reason: "not valid Argon2 parameters (\(error))")
        }
        guard parameters.memoryKiB <= Self.maxMemoryKiB else {
            throw WeakSettings(parameters: parameters, reason: "memory above the hasher's limit of \(maxMemoryKiB) KiB")
        }
        if allowWeak { return }
        guard parameters.variant == .id else {
            throw WeakSettings(parameters: parameters, reason: "new hashes must be Argon2id")
        }
        let strong = owaspMinimumPairs.contains {
            parameters.memoryKiB >= $0.memoryKiB && parameters.iterations >= $0.iterations
        }
        guard strong else {
            let pairs = owaspMinimumPairs.map { "m=\($0.memoryKiB)/t=\($0.iterations)" }.joined(separator: ", ")
            throw WeakSettings(
                parameters: parameters,
                reason: "below OWASP's minimum (at least one of \(pairs)); "
                    + "GATEHOUSE_ARGON2_ALLOW_WEAK=1 allows it for tests and development only")
        }
    }

    /// Most memory one hash may use (the pooled hasher's limit).
    public static let maxMemoryKiB = 1 << 20
    /// Accounts remembered for the dummy's parameters and for once-only warnings.
    static let maxTrackedAccounts = 10_000

    public let parameters: Argon2.Parameters
    public let limits: StoredHashLimits
    private let keyring: Keyring
    private let pool: WorkPool
    private let hasher: Argon2Hasher
    private let logger: Logger
    private let tracking = Mutex(Tracking())

    /// What verification has seen of real accounts' stored hashes.
    private struct Tracking {
        /// Each account's stored parameters at its latest verification.
        var parametersByAccount: [String: Argon2.Parameters] = [:]
        /// How many accounts have each parameter set.
        var accountsByParameters: [Argon2.Parameters: Int] = [:]
        /// Accounts (or hash fingerprints) already warned about.
        var warned: Set<String> = []
    }

    /// - Parameters:
    ///   - parameters: cost for new hashes; at least OWASP's minimum (m=19456 KiB, t=2, p=1) in production
    ///     (``checkSettings(_:allowWeak:)``).
    ///   - pool: where hashing runs.
    ///   - limits: what verification accepts in a stored hash.
    public init(
        keyring: Keyring, parameters: Argon2.Parameters = .owaspMinimum, pool: WorkPool,
        limits: StoredHashLimits = .standard, logger: Logger = Logger(label: "gatehouse.passwords")
    ) throws {
        self.keyring = keyring
        self.parameters = parameters
        self.limits = limits
        self.pool = pool
        self.logger = logger
        self.hasher = Argon2Hasher(maxConcurrent: pool.threads, maxMemoryKiB: Self.maxMemoryKiB)
    }

    public func hash(_ password: String) async throws -> String {
        let pepper = keyring.currentPepper
        let parameters = self.parameters
        let hasher = self.hasher
        let bytes = Array(password.utf8)
        return try await Telemetry.span("password.hash") { _ in
            try await pool.run {
                try PHCString.make(
                    password: bytes, salt: SecureRandom.bytes(16), parameters: parameters, secret: pepper.material,
                    keyID: Array(pepper.id.utf8), using: hasher
                ).description
            }
        }
    }

    public func verify(_ password: String, against storedHash: String) async throws -> PasswordVerification {
        try await verify(password, against: storedHash, accountID: nil)
    }

    public func verify(_ password: String, against storedHash: String, accountID: String?) async throws
        -> PasswordVerification
    {
        let screened: (PHCString, keyID: String)
        do {
            screened = try screen(storedHash)
        } catch {
            warnOnce(about: error, storedHash: storedHash, accountID: accountID)
            return .invalid
        }
        let (phc, keyID) = screened
        guard let pepper = keyring.pepper(id: keyID) else { throw Error.unknownPepper(keyID) }
        if let accountID { observe(accountID: accountID, parameters: phc.parameters) }
        let hasher = self.hasher
        let secret = pepper.material
        let bytes = Array(password.utf8)
        let matches = try await Telemetry.span("password.verify") { _ in
            try await pool.run { try phc.verify(password: bytes, secret: secret, using: hasher) }
        }
        guard matches else { return .invalid }
        let stale = phc.needsRehash(for: parameters) || keyID != keyring.currentPepper.id
        return .valid(needsRehash: stale)
    }

    /// Verifies against a dummy hash with ``dummyParameters()``: a fresh random salt and tag (the result is
    /// never used, so no real hash needs computing), with the current pepper, on the same pool.
    public func verifyDummy(_ password: String) async throws {
        let pepper = keyring.currentPepper
        let dummy = PHCString(
            parameters: dummyParameters(), salt: SecureRandom.bytes(16), tag: SecureRandom.bytes(32),
            keyID: Array(pepper.id.utf8))
        let hasher = self.hasher
        let secret = pepper.material
        let bytes = Array(password.utf8)
        // The same span name as a real verification: a trace must not tell unknown accounts apart either.
        _ = try await Telemetry.span("password.verify") { _ in
            try await pool.run { try dummy.verify(password: bytes, secret: secret, using: hasher) }
        }
    }

    /// The parameters an unknown account's dummy verification uses: those of most real accounts' stored hashes.
    ///
    /// A sign-in for an unknown account must cost what one for a real account costs, or its timing tells which
    /// accounts exist. One dummy at the configured cost is right only while every stored hash has that cost:
    /// after the cost is raised, accounts keep their old-cost hashes until their next sign-in, and a dummy at the
    /// new cost would stand out from all of them. So verification notes each account's stored parameters (at most
    /// ``maxTrackedAccounts`` accounts, counted once each, so repeated attempts on one account weigh nothing), and
    /// the dummy uses the parameter set most accounts have; before anything is known, and on a tie, the configured
    /// parameters. Only hashes that passed ``screen(_:)`` are counted, so the dummy stays within the limits.
    /// (Seeding the counts from the store at start would cover the first minutes after a restart too; that needs
    /// a store query the store does not offer yet.)
    func dummyParameters() -> Argon2.Parameters {
        let configured = parameters
        return tracking.withLock { tracking in
            var best = configured
            var bestCount = tracking.accountsByParameters[configured] ?? 0
            for (candidate, count) in tracking.accountsByParameters where count > bestCount {
                best = candidate
                bestCount = count
            }
            return best
        }
    }

    /// Parses `storedHash` and checks it against ``limits``, without hashing; returns it with its key id.
    func screen(_ storedHash: String) throws(Refusal) -> (PHCString, keyID: String) {
        guard let phc = try? PHCString(parsing: storedHash) else { throw .malformed }
        guard let keyIDBytes = phc.keyID, let keyID = String(validating: keyIDBytes, as: UTF8.self) else {
            throw .unkeyed
        }
        let stored = phc.parameters
        let factor = limits.costFactor
        let memoryLimit = min(Self.maxMemoryKiB, Self.saturatingProduct(parameters.memoryKiB, factor))
        let passLimit = Self.saturatingProduct(parameters.iterations, factor)
        guard stored.memoryKiB <= memoryLimit, stored.iterations <= passLimit else { throw .costTooHigh }
        guard stored.parallelism <= max(limits.maxParallelism, parameters.parallelism) else {
            throw .parallelismTooHigh
        }
        guard limits.saltLength.contains(phc.salt.count), limits.tagLength.contains(phc.tag.count) else {
            throw .sizeOutOfRange
        }
        return (phc, keyID)
    }

    private static func saturatingProduct(_ value: Int, _ factor: Int) -> Int {
        let (product, overflow) = value.multipliedReportingOverflow(by: factor)
        return overflow ? Int.max : product
    }

    private func observe(accountID: String, parameters: Argon2.Parameters) {
        var parameters = parameters
        parameters.tagLength = 32
        tracking.withLock { tracking in
            let previous = tracking.parametersByAccount[accountID]
            if previous == parameters { return }
            if let previous {
                let left = (tracking.accountsByParameters[previous] ?? 1) - 1
                tracking.accountsByParameters[previous] = left > 0 ? left : nil
            } else if tracking.parametersByAccount.count >= Self.maxTrackedAccounts {
                return
            }
            tracking.parametersByAccount[accountID] = parameters
            tracking.accountsByParameters[parameters, default: 0] += 1
        }
    }

    /// Logs a refused stored hash once per account and reason (or, without an account id, once per hash, named by
    /// a short digest). Never logs the hash itself.
    private func warnOnce(about refusal: Refusal, storedHash: String, accountID: String?) {
        var metadata: Logger.Metadata = ["reason": "\(refusal.rawValue)"]
        let key: String
        if let accountID {
            key = "account:\(accountID):\(refusal.rawValue)"
            metadata["account"] = "\(accountID)"
        } else {
            let digest = SHA256.hash(data: Data(storedHash.utf8)).prefix(6).map { String(format: "%02x", $0) }.joined()
            key = "hash:\(digest):\(refusal.rawValue)"
            metadata["hash_digest"] = "\(digest)"
        }
        let first = tracking.withLock { tracking in
            if tracking.warned.count >= Self.maxTrackedAccounts { tracking.warned.removeAll() }
            return tracking.warned.insert(key).inserted
        }
        guard first else { return }
        logger.warning(
            "stored password hash refused without hashing; the account cannot sign in with it", metadata: metadata)
    }
}
