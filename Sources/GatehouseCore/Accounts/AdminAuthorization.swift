import Foundation

/// Who may act as an operator, decided in one place for the pages, the API and any later entry point: an admin
/// account, and for every change a recent re-authentication on the device asking ("sudo mode"), so a stolen
/// session cookie of an admin is not enough to sign people out or declare incidents.
public struct AdminAuthorization: Sendable {
    /// Who asks for an operator's action: someone at the hub's console (the CLI, which needs the data folder and
    /// keyring), or an admin account from a device, which must have re-authenticated recently.
    public enum Operator: Sendable {
        case console
        case admin(Account, Device)
    }

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

    /// Throws unless `actor` may make an operator's change now (see ``Operator``).
    public func authorize(_ actor: Operator) throws {
        if case .admin(let account, let device) = actor { try authorizeChange(account: account, device: device) }
    }

    /// Accounts whose username or address contains `query` (at most 50), for an admin only.
    public func searchAccounts(_ query: String, by admin: Account) async throws -> [Account] {
        try requireAdmin(admin)
        let text = String(query.prefix(AccountNames.maximumIdentifierBytes))
        return text.isEmpty ? [] : try await env.store.autocommit.searchAccounts(text, limit: 50)
    }

    /// One account by id, for an admin only; nil when there is none.
    public func account(id: String, by admin: Account) async throws -> Account? {
        try requireAdmin(admin)
        guard id.utf8.count <= 64 else { return nil }
        return try await env.store.autocommit.account(id: id)
    }
}
