import Foundation
import GatehouseBasics

/// Writes the hub's security mails. Every message shows the account's anti-phishing phrase (when set), never
/// asks for a password, and links only to the configured public URL.
public struct MailComposer: Sendable {
    /// Where links point; the only origin a genuine mail links to.
    public let publicURL: String
    /// The product name shown in mails.
    public let productName: String
    /// Seals message bodies at rest: mails carry single-use tokens, and the outbox is in the database.
    public let sealer: SecretBox?
    /// Signs the "This wasn't me" link that every security mail carries (``securityKinds``).
    public let lockLinks: LockLinkSigner?

    /// The mails about something done to an account, each of which carries a "This wasn't me" link: new sign-ins
    /// (a new device on `/link` included), password, e-mail, two-factor and passkey changes, failed-code alerts and
    /// the mailed sign-in code itself.
    public static let securityKinds: Set<String> = [
        "new_signin", "password_changed", "email_changed", "email_change_requested", "passkey_added",
        "passkey_removed", "passkey_possible_clone", "second_factor_changed", "second_factor_failures",
        "recovery_code_used", "device_code", "server_shared",
    ]

    public init(
        publicURL: String, productName: String = "Gatehouse", sealer: SecretBox? = nil,
        lockLinks: LockLinkSigner? = nil
    ) {
        self.lockLinks = lockLinks
        var url = publicURL
        while url.hasSuffix("/") { url.removeLast() }
        self.publicURL = url
        self.productName = productName
        self.sealer = sealer
    }

    /// The prefix of a sealed body in the outbox.
    public static let sealedPrefix = "gh-sealed:"

    /// Opens a body sealed by this composer (plain bodies pass through).
    public func openBody(_ body: String, messageID: String) throws -> String {
        guard body.hasPrefix(Self.sealedPrefix) else { return body }
        guard let sealer else { throw SecretBox.Error.unknownKey }
        let plain = try sealer.open(String(body.dropFirst(Self.sealedPrefix.count)), owner: "mail:" + messageID)
        return String(decoding: plain, as: UTF8.self)
    }

    private func seal(_ body: String, messageID: String) -> String {
        guard let sealer, let sealed = try? sealer.seal(Array(body.utf8), owner: "mail:" + messageID) else {
            return body
        }
        return Self.sealedPrefix + sealed
    }

    /// A link to a page of the hub, with an optional token in the query.
    public func link(_ path: String, token: String? = nil) -> String {
        guard let token else { return publicURL + path }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_."))
        let encoded = token.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
        return publicURL + path + "?token=" + encoded
    }

    public func verifyEmail(to account: Account, token: String, now: Date) -> OutboxMessage {
        compose(
            to: account.email, account: account, kind: "verify_email", now: now,
            subject: "Confirm your email address",
            paragraphs: [
                "Welcome to \(productName), \(account.username).",
                "Confirm that this address is yours by opening the link below. It works once and expires in 24 hours.",
            ],
            action: ("Confirm email address", link("/verify-email", token: token)))
    }

    public func passwordReset(to account: Account, token: String, now: Date, forced: Bool) -> OutboxMessage {
        let reason =
            forced
            ? "For your security, your password must be reset before you can sign in again."
            : "Someone asked to reset the password of your account \(account.username). If it was you, use the link below."
        return compose(
            to: account.email, account: account, kind: "password_reset", now: now,
            subject: "Reset your password",
            paragraphs: [
                reason,
                "The link works once and expires in 30 minutes. If you did not ask for this, you can ignore this mail; your password stays as it is.",
            ],
            action: ("Choose a new password", link("/reset-password", token: token)))
    }

    public func passwordChanged(to account: Account, by device: Device? = nil, now: Date, signedOutOthers: Bool)
        -> OutboxMessage
    {
        compose(
            to: account.email, account: account, kind: "password_changed", now: now,
            subject: "Your password was changed",
            paragraphs: [
                "The password of your account \(account.username) was changed.",
                Self.madeFrom(device),
                signedOutOthers ? "Every other device was signed out." : "Your other devices stay signed in.",
                "If this was not you, reset your password at once.",
            ],
            action: ("Reset password", link("/forgot-password")))
    }

    public func emailChanged(to oldAddress: String, account: Account, now: Date) -> OutboxMessage {
        compose(
            to: oldAddress, account: account, kind: "email_changed", now: now,
            subject: "Your email address was changed",
            paragraphs: [
                "The email address of your account \(account.username) was changed to \(Self.mask(account.email)).",
                "If this was not you, contact your administrator and reset your password.",
            ],
            action: nil)
    }

    /// To the owner of an address someone tried to register again: the sign-up form answers alike either way, so
    /// the person who owns the address is the only one told.
    public func signUpAttempt(to account: Account, now: Date) -> OutboxMessage {
        compose(
            to: account.email, account: account, kind: "signup_attempt", now: now,
            subject: "Someone tried to create an account with your address",
            paragraphs: [
                "Someone tried to create a new account with this address, which already belongs to your account \(account.username).",
                "If it was you, sign in instead, or reset your password if you forgot it. If not, you can ignore this mail: nothing changed.",
            ],
            action: ("Reset password", link("/forgot-password")))
    }

    /// An invitation link, mailed by the inviter to the person invited.
    public func invitation(to address: String, inviter: Account, token: String, expiresAt: Date, now: Date)
        -> OutboxMessage
    {
        let stranger = Account(id: "", username: "", email: address, createdAt: now)
        return compose(
            to: address, account: stranger, kind: "invitation", now: now,
            subject: "\(inviter.username) invited you to \(productName)",
            paragraphs: [
                "\(inviter.username) invited you to join their \(productName) hub.",
                "Open the link below to choose a username and password. It expires on "
                    + "\(ISO8601DateFormatter().string(from: expiresAt)). If you did not expect this, ignore this mail.",
            ],
            action: ("Accept the invitation", link("/join", token: token)))
    }

    /// To the old address after a member used an admin's recovery link.
    public func adminRecoveryUsed(
        to oldAddress: String, account: Account, admin: String, newAddress: String?, now: Date
    )
        -> OutboxMessage
    {
        compose(
            to: oldAddress, account: account, kind: "admin_recovery_used", now: now,
            subject: "Your password was reset with an administrator's link",
            paragraphs: [
                "The password of your account \(account.username) was reset with a recovery link issued by the administrator \(admin)."
                    + (newAddress.map { " The account's address is now \(Self.mask($0))." } ?? ""),
                "Every device was signed out. If this was not you, contact your administrator at once.",
            ],
            action: nil)
    }

    /// To the address given at a sign-up whose username was taken (the form answered as if it worked).
    public func usernameTaken(to stranger: Account, now: Date) -> OutboxMessage {
        compose(
            to: stranger.email, account: stranger, kind: "username_taken", now: now,
            subject: "Choose another username",
            paragraphs: [
                "Someone asked to create an account with this address and the username \(stranger.username), which is already taken.",
                "If it was you, sign up again with another username. If not, you can ignore this mail.",
            ],
            action: ("Sign up", link("/sign-up")))
    }

    /// To a new address that already belongs to another account: the change form answered as if it worked.
    public func emailAlreadyInUse(to address: String, account: Account, now: Date) -> OutboxMessage {
        compose(
            to: address, account: account, kind: "email_in_use", now: now,
            subject: "This address is already in use",
            paragraphs: [
                "Someone asked to move an account to this address, but it already belongs to an account here, so nothing changed.",
                "If you did not ask for this, you can ignore this mail.",
            ],
            action: nil)
    }

    /// To the old address when an e-mail change was requested (it takes effect only once the new address confirms).
    public func emailChangeRequested(to account: Account, newAddress: String, now: Date) -> OutboxMessage {
        compose(
            to: account.email, account: account, kind: "email_change_requested", now: now,
            subject: "A change of your email address was requested",
            paragraphs: [
                "Someone signed in to your account \(account.username) asked to change its address to \(Self.mask(newAddress)).",
                "Nothing changes until the new address is confirmed. If it is confirmed, we will mail this address a link that undoes the change.",
            ],
            action: ("Review your account", link("/account/security")))
    }

    /// To the old address once the change took effect: a link, valid 7 days, that undoes it.
    public func emailChangedWithRevert(to oldAddress: String, account: Account, token: String, now: Date)
        -> OutboxMessage
    {
        compose(
            to: oldAddress, account: account, kind: "email_changed", now: now,
            subject: "Your email address was changed",
            paragraphs: [
                "The email address of your account \(account.username) was changed to \(Self.mask(account.email)).",
                "If this was not you, open the link below within 7 days: it puts this address back, signs out every device and asks for a new password.",
            ],
            action: ("This wasn't me: undo the change", link("/email/revert", token: token)))
    }

    public func newSignIn(to account: Account, device: Device, now: Date) -> OutboxMessage {
        compose(
            to: account.email, account: account, kind: "new_signin", now: now,
            subject: "New sign-in to your account",
            paragraphs: [
                "Your account \(account.username) was signed in from a device it has not seen before:",
                "\(device.info.name) (\(device.info.product) \(device.info.version), \(device.info.platform)) from \(device.ipAddress).",
                device.proof.isEmpty ? "" : "It signed in with \(device.proof).",
                "If this was you, there is nothing to do. If not, sign out that device and change your password.",
            ],
            action: ("Review your devices", link("/account/security")))
    }

    /// Which device made a change, and with which credential it last proved who it was: "made from Firefox on
    /// Linux at 203.0.113.7, which signed in with the passkey “Phone”". Empty when no device did (an operator).
    static func madeFrom(_ device: Device?) -> String {
        guard let device else { return "" }
        let proof = device.proof.isEmpty ? "" : ", confirmed with \(device.proof)"
        return
            "Made from \(device.info.name) (\(device.info.product), \(device.info.platform)) at \(device.ipAddress)\(proof)."
    }

    /// To the owner, after "This wasn't me": what happened and what to do next.
    public func accountLocked(to account: Account, now: Date) -> OutboxMessage {
        compose(
            to: account.email, account: account, kind: "account_locked", now: now,
            subject: "Your account is locked",
            paragraphs: [
                "Your account \(account.username) is locked, as you asked: every device, app password and profile was signed out, and nobody can sign in.",
                "To unlock it, reset your password with the link in the next mail. If two-factor sign-in is on, the reset asks for a code from your authenticator app or one of your recovery codes.",
                "Then review your devices, passkeys and e-mail address, and turn on two-factor sign-in if it is off. If you use this password anywhere else, change it there too.",
            ],
            action: ("Reset your password", link("/forgot-password")))
    }

    /// To an operator: an owner locked their account from a security mail.
    public func accountLockedAlert(to admin: Account, username: String, now: Date) -> OutboxMessage {
        compose(
            to: admin.email, account: admin, kind: "account_locked_alert", now: now,
            subject: "An account was locked by its owner",
            paragraphs: [
                "The owner of \(username) answered a security mail with \"This wasn't me\". The account is locked and every device of it was signed out.",
                "The account's security log shows what happened before. Several such locks in a short time can mean a wave of stolen passwords.",
            ],
            action: ("Open the operators' page", link("/admin")))
    }

    /// The code a sign-in from a device never seen on the account needs when two-factor sign-in is off
    /// (device verification). Names the device, and carries "This wasn't me" like every security mail.
    public func deviceVerificationCode(
        to account: Account, code: String, info: Device.Info, ipAddress: String, now: Date
    )
        -> OutboxMessage
    {
        compose(
            to: account.email, account: account, kind: "device_code", now: now,
            // Not in the subject: the outbox keeps subjects in the clear, bodies sealed.
            subject: "Your sign-in code",
            paragraphs: [
                "Someone signed in to \(account.username) with the right password from a device this account has not used before:",
                "\(info.name) (\(info.product), \(info.platform)) from \(ipAddress).",
                "If it was you, enter this code on that device. It works once and expires in 15 minutes:",
                code,
                "If it was not you, your password is known to someone else: do not share this code, and change your password.",
            ],
            action: nil)
    }

    /// To an operator: a canary account was used, so someone holds a copy of the database.
    public func canaryAlert(to admin: Account, canary: String, use: String, address: String, now: Date) -> OutboxMessage
    {
        compose(
            to: admin.email, account: admin, kind: "canary_alert", now: now,
            subject: "Alert: a canary account was used",
            paragraphs: [
                "Someone attempted a \(use) on the canary account \(canary) from \(address).",
                "Nobody uses canary accounts. Whoever did this knows the account from a copy of the database: treat it as a breach. Check backups and database access, rotate the keyring if it may have leaked too, and consider an incident (gatehouse incident declare).",
            ],
            action: ("Open the operators' page", link("/admin")))
    }

    /// To an operator: a credential-stuffing wave opened the hub-wide breaker.
    public func stuffingWaveAlert(to admin: Account, failures: Int, threshold: Int, now: Date) -> OutboxMessage {
        compose(
            to: admin.email, account: admin, kind: "stuffing_wave", now: now,
            subject: "Alert: a credential-stuffing wave is under way",
            paragraphs: [
                "\(failures) sign-ins from unknown devices failed in the last minute (the threshold is \(threshold)): someone is trying a list of stolen passwords against many accounts.",
                "Sign-ins from unknown devices are held up for now; people's own known devices still sign in. Watch the operators' page; if accounts were taken over, consider an incident (gatehouse incident declare).",
            ],
            action: ("Open the operators' page", link("/admin")))
    }

    public func passkeyAdded(to account: Account, name: String, by device: Device? = nil, now: Date) -> OutboxMessage {
        compose(
            to: account.email, account: account, kind: "passkey_added", now: now,
            subject: "A passkey was added to your account",
            paragraphs: [
                "A passkey named \u{201C}\(name)\u{201D} was added to \(account.username). It can sign in to your account without a password.",
                Self.madeFrom(device),
                "If this was not you, remove it at once, sign out devices you do not recognise and change your password.",
            ],
            action: ("Review your passkeys", link("/account/security")))
    }

    /// To a server's owner whenever sections of it are shared: a session thief sharing the library with himself
    /// is seen (and "This wasn't me" locks him out).
    public func serverShared(
        to account: Account, serverName: String, recipient: String, sections: [String], by device: Device? = nil,
        now: Date
    ) -> OutboxMessage {
        compose(
            to: account.email, account: account, kind: "server_shared", now: now,
            subject: "Your media server was shared",
            paragraphs: [
                "\(sections.count == 1 ? "The section" : "The sections") \(sections.map { "\u{201C}\($0)\u{201D}" }.joined(separator: ", ")) of your media server \u{201C}\(serverName)\u{201D} \(sections.count == 1 ? "was" : "were") offered to \(recipient). Once \(recipient) accepts, they can stream it.",
                Self.madeFrom(device),
                "If this was not you, take the share back on your Servers page, sign out devices you do not recognise and change your password.",
            ],
            action: ("Review your servers and shares", link("/account/servers")))
    }

    public func passkeyRemoved(to account: Account, name: String, by device: Device? = nil, now: Date) -> OutboxMessage
    {
        compose(
            to: account.email, account: account, kind: "passkey_removed", now: now,
            subject: "A passkey was removed from your account",
            paragraphs: [
                "The passkey named \u{201C}\(name)\u{201D} was removed from \(account.username). It can no longer sign in.",
                Self.madeFrom(device),
                "If this was not you, sign out devices you do not recognise and change your password.",
            ],
            action: ("Review your passkeys", link("/account/security")))
    }

    public func passkeyPossibleClone(to account: Account, name: String, now: Date) -> OutboxMessage {
        compose(
            to: account.email, account: account, kind: "passkey_possible_clone", now: now,
            subject: "Your passkey may have been copied",
            paragraphs: [
                "The passkey named \u{201C}\(name)\u{201D} signed in to \(account.username) with a signature counter lower than one it used before.",
                "That is what a copied security key looks like. If you did not restore or reset it, remove the passkey, sign out devices you do not recognise and add a new one.",
            ],
            action: ("Review your passkeys", link("/account/security")))
    }

    public func secondFactorChanged(to account: Account, enabled: Bool, by device: Device? = nil, now: Date)
        -> OutboxMessage
    {
        compose(
            to: account.email, account: account, kind: "second_factor_changed", now: now,
            subject: enabled ? "Two-factor sign-in turned on" : "Two-factor sign-in turned off",
            paragraphs: [
                enabled
                    ? "Two-factor sign-in is now on for \(account.username). Keep your recovery codes somewhere safe."
                    : "Two-factor sign-in was turned off for \(account.username).",
                Self.madeFrom(device),
                "If this was not you, reset your password at once.",
            ],
            action: ("Review your security settings", link("/account/security")))
    }

    public func secondFactorFailures(to account: Account, failures: Int, now: Date) -> OutboxMessage {
        compose(
            to: account.email, account: account, kind: "second_factor_failures", now: now,
            subject: "Someone may know your password",
            paragraphs: [
                "Someone entered the correct password for \(account.username) but then \(failures) wrong two-factor codes.",
                "Your second factor stopped them. Change your password now, and sign out devices you do not recognise.",
            ],
            action: ("Change your password", link("/account/security")))
    }

    public func recoveryCodeUsed(to account: Account, remaining: Int, now: Date) -> OutboxMessage {
        compose(
            to: account.email, account: account, kind: "recovery_code_used", now: now,
            subject: "A recovery code was used",
            paragraphs: [
                "A recovery code was used to sign in to \(account.username). \(remaining) codes are left.",
                "If this was not you, reset your password and make new recovery codes.",
            ],
            action: ("Review your security settings", link("/account/security")))
    }

    /// An outbox row for an incident notice, rendered at delivery with ``incidentNotice(to:reason:resetRequired:now:)``.
    public func incidentNoticeReference(to account: Account, incidentID: String, now: Date) -> OutboxMessage {
        OutboxMessage(
            id: SecureRandom.identifier(), recipient: account.email, subject: Self.incidentSubject, textBody: "",
            htmlBody: "", kind: "incident_notice", createdAt: now, nextAttemptAt: now,
            template: "incident:" + incidentID + ":" + account.id)
    }

    static let incidentSubject = "Important security notice"

    /// The notice of an incident. It carries no reset token (a million live tokens in mail queues and inboxes would
    /// be a prize of their own): the link leads to the reset form, and signing in with the old password mails a
    /// fresh link too.
    public func incidentNotice(to account: Account, reason: String, resetRequired: Bool, now: Date) -> OutboxMessage {
        var paragraphs = ["A security notice about your account \(account.username):", reason]
        if resetRequired {
            paragraphs.append(
                "As a precaution your password must be reset, and every device was signed out. Ask for a reset link "
                    + "below; it is mailed to this address.")
        }
        paragraphs.append("We recommend turning on two-factor sign-in.")
        let action: (String, String)? = resetRequired ? ("Reset your password", link("/forgot-password")) : nil
        return compose(
            to: account.email, account: account, kind: "incident_notice", now: now,
            subject: Self.incidentSubject, paragraphs: paragraphs, action: action)
    }

    public func serverVulnerable(to account: Account, serverName: String, advisory: String, now: Date)
        -> OutboxMessage
    {
        compose(
            to: account.email, account: account, kind: "server_vulnerable", now: now,
            subject: "Update your media server \(serverName)",
            paragraphs: [
                "Your media server \(serverName) runs a version with a known security problem:", advisory,
                "Update it now, and turn on automatic updates.",
            ],
            action: ("See your servers", link("/account/servers")))
    }

    public func updateFailed(to account: Account, serverName: String, version: String, reason: String, now: Date)
        -> OutboxMessage
    {
        compose(
            to: account.email, account: account, kind: "update_failed", now: now,
            subject: "An update of \(serverName) was rolled back",
            paragraphs: [
                "Your media server \(serverName) tried to update to \(version), but the new version failed its health check.",
                "It went back to the version it ran before and keeps working. Reason: \(reason)",
            ],
            action: ("See your servers", link("/account/servers")))
    }

    /// Masks an address for display in a mail to someone else (`al***@example.com`).
    public static func mask(_ email: String) -> String {
        let parts = email.split(separator: "@", maxSplits: 1)
        guard parts.count == 2 else { return "***" }
        return String(parts[0].prefix(2)) + "***@" + parts[1]
    }

    private func compose(
        to recipient: String, account: Account, kind: String, now: Date, subject: String, paragraphs: [String],
        action: (label: String, url: String)?
    ) -> OutboxMessage {
        var text = ""
        var html = "<!doctype html><html><body style=\"font-family:sans-serif;max-width:36em\">"
        if let phrase = account.antiPhishingPhrase, !phrase.isEmpty {
            text += "Your security phrase: \(phrase)\n\n"
            html +=
                "<p style=\"border:1px solid #888;padding:.5em\">Your security phrase: <strong>"
                + HTML.escape(phrase) + "</strong></p>"
        }
        for paragraph in paragraphs where !paragraph.isEmpty {
            text += paragraph + "\n\n"
            html += "<p>" + HTML.escape(paragraph) + "</p>"
        }
        if let action {
            text += "\(action.label): \(action.url)\n\n"
            html += "<p><a href=\"" + HTML.escape(action.url) + "\">" + HTML.escape(action.label) + "</a></p>"
        }
        if Self.securityKinds.contains(kind), let lockLinks {
            let url = publicURL + "/not-me?token=" + lockLinks.token(accountID: account.id, now: now)
            let note =
                "This wasn't me: if you did not do this, open the link below within 7 days. It signs out every device and locks the account until its password is reset. It asks for nothing."
            text += note + "\nThis wasn't me: \(url)\n\n"
            html += "<p>" + HTML.escape(note) + "</p><p><a href=\"" + HTML.escape(url) + "\">This wasn't me</a></p>"
        }
        let footer = "\(productName) will never ask for your password by mail. Sign in only at \(publicURL)."
        text += "-- \n" + footer + "\n"
        html += "<p style=\"color:#666;font-size:small\">" + HTML.escape(footer) + "</p></body></html>"
        let id = SecureRandom.identifier()
        return OutboxMessage(
            id: id, recipient: recipient, subject: subject, textBody: seal(text, messageID: id),
            htmlBody: seal(html, messageID: id), kind: kind, createdAt: now, nextAttemptAt: now)
    }
}
