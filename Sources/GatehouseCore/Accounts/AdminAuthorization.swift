import Foundation

/// Who may act as an operator, decided in one place for the pages, the API and any later entry point: an admin
/// account, and for every change a recent re-authentication on the device asking ("sudo mode"), so a stolen
/// session cookie of an admin is not enough to sign people out or declare incidents.
public struct AdminAuthorization: Sendable {
    let env: HubEnvironment

    public init(environment: HubEnvironment) {
        self.env = environment
    }

    /// Throws 403 unless `account` is an admin.
    public func requireAdmin(_ account: Account) throws {
        guard account.role == .admin else { throw RequestError.forbidden }
    }

    /// Throws 403 unless `account` is an admin, and asks for re-authentication unless `device` proved the password
    /// within the re-authentication window.
    public func authorizeChange(account: Account, device: Device) throws {
        try requireAdmin(account)
        try DeviceService(environment: env).requireRecentAuthentication(device)
    }
}
