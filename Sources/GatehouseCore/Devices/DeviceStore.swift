import Foundation

/// Reads and writes devices. Tokens appear only as digests.
public protocol DeviceStore: Sendable {
    func insertDevice(_ device: Device, tokenDigest: String) async throws
    /// The live (not revoked) device whose credential has this digest.
    func device(tokenDigest: String) async throws -> Device?
    func device(id: String) async throws -> Device?
    /// Live devices of an account, most recently seen first.
    func devices(accountID: String) async throws -> [Device]
    /// Revokes one device of the account; false when there was no such live device.
    func revokeDevice(id: String, accountID: String, at: Date) async throws -> Bool
    /// Revokes every live device of the account except `keeping`; returns the revoked ids.
    func revokeDevices(accountID: String, keeping: String?, at: Date) async throws -> [String]
    /// Signs many accounts out everywhere at once (an incident's batch): every live device and app password is
    /// revoked, and each account gets one account-wide entry in the revocation log, in a few statements.
    func revokeEverything(accountIDs: [String], at: Date) async throws
    /// Stamps a fresh proof of identity (sudo mode) and how it was given (``Proof/description``).
    func markReauthenticated(deviceID: String, at: Date, proof: String) async throws
    func touchDevice(id: String, at: Date, ipAddress: String) async throws
    /// Revocations recorded after sequence number `after`, oldest first.
    func revocations(after: Int64, limit: Int) async throws -> [(sequence: Int64, revocation: Revocation)]
    /// One page of the revocation log for ``RevocationLogReader``: entries whose writer is at or above `horizon`
    /// and whose sequence number is above `after`, in sequence order, at most `limit`; and the store's current
    /// horizon (every entry whose writer is below it is visible now, or never will be).
    func revocationLog(writersFrom horizon: Int64, after: Int64, limit: Int) async throws -> RevocationLogPage
    /// When every device of the account was last revoked at once, if ever; with `serverID`, a revocation of every
    /// token of the account for that server (a share taken back) counts too.
    func latestFullRevocation(accountID: String, serverID: String?) async throws -> Date?
    /// The newest revocation's sequence number (0 when none).
    func latestRevocationSequence() async throws -> Int64
    /// Binds the known-device secret (a keyed digest) to a device.
    func setKnownDigest(deviceID: String, digest: String) async throws
    /// Whether a live device of the account holds this known-device secret (for throttling and new-device mail).
    func isKnownDevice(accountID: String, knownDigest: String) async throws -> Bool
    /// Voids every known-device secret of the account (after a password change or reset).
    func forgetKnownDevices(accountID: String) async throws
    /// Binds a live, unbound device's credential to a DPoP key thumbprint; false when it is gone or already bound.
    func bindDevice(id: String, thumbprint: String) async throws -> Bool
    /// Moves a device to a new credential digest (upgrading a legacy unkeyed digest in place).
    func replaceTokenDigest(deviceID: String, from old: String, to new: String) async throws
}

extension DeviceStore {
    /// The device a request came from (for naming it in a security mail), if any.
    public func actingDevice(_ caller: Caller) async throws -> Device? {
        guard let id = caller.deviceID else { return nil }
        return try await device(id: id)
    }
}
