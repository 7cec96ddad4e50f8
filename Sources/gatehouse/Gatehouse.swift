import ArgumentParser

@main
struct Gatehouse: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gatehouse",
        abstract: "Gatehouse: a self-hosted account hub and media server.",
        subcommands: [
            ServeCommand.self, MediaCommand.self,
            LoginCommand.self, WhoamiCommand.self, DevicesCommand.self, LogoutCommand.self, TwoFactorCommand.self,
            PasskeysCommand.self,
            AppPasswordsCommand.self, ProfilesCommand.self,
            ServersCommand.self, ReleasesCommand.self, AdvisoriesCommand.self,
            AdminCommand.self, InvitesCommand.self, ClientsCommand.self, CanaryCommand.self, DrillCommand.self,
            IncidentCommand.self, AuditCommand.self, KeysCommand.self,
            BackupCommand.self, RestoreCommand.self, DoctorCommand.self,
            Argon2Command.self, PasswordsCommand.self, SettingsCommand.self,
        ])
}
