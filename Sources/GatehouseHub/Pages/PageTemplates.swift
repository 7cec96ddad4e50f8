/// The pages' Mustache templates. `{{x}}` escapes HTML; `{{{x}}}` is used only for markup the hub itself made
/// (the rendered page body, the QR code's SVG).
enum PageTemplates {
    static let layout = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · Gatehouse</title>
        <link rel="stylesheet" href="/static/app.css">
        <script src="/static/app.js" defer></script>
        <script src="/static/passkeys.js" defer></script>
        </head>
        <body>
        <header class="top">
          <a class="brand" href="/">Gatehouse</a>
          <nav>
          {{#profileName}}
            <a href="/profile">Profile: {{profileName}}</a>
            <form method="post" action="/sign-out" class="inline">
              <input type="hidden" name="csrf" value="{{csrf}}">
              <button type="submit" class="link">Sign out</button>
            </form>
          {{/profileName}}
          {{#signedIn}}
            <a href="/account">Account</a>
            <a href="/account/security">Security</a>
            <a href="/account/servers">Servers</a>
            <a href="/account/profiles">Profiles</a>
            {{#isAdmin}}<a href="/account/invitations">Invitations</a> <a href="/admin">Operators</a>{{/isAdmin}}
            <form method="post" action="/sign-out" class="inline">
              <input type="hidden" name="csrf" value="{{csrf}}">
              <button type="submit" class="link">Sign out</button>
            </form>
          {{/signedIn}}
          {{^signedIn}}{{^profileName}}
            <a href="/sign-in">Sign in</a>
            <a href="/sign-up">Create account</a>
          {{/profileName}}{{/signedIn}}
          </nav>
        </header>
        {{#banners}}<div class="banner" role="alert">{{.}}</div>{{/banners}}
        <main>
        {{#flash}}<p class="flash" role="status">{{flash}}</p>{{/flash}}
        {{{body}}}
        </main>
        </body>
        </html>
        """

    /// Username, e-mail and password with their errors: sign-up, joining with an invitation and the first admin's
    /// setup ask for the same three fields (the partial `new-account-fields`).
    static let newAccountFields = """
          <label for="username">Username</label>
          <input id="username" name="username" value="{{username}}" autocomplete="username" required
            {{#errors.username}}aria-invalid="true" aria-describedby="username-error"{{/errors.username}}>
          {{#errors.username}}<p class="error" id="username-error">{{errors.username}}</p>{{/errors.username}}
          <label for="email">Email</label>
          <input id="email" name="email" type="email" value="{{email}}" autocomplete="email" required
            {{#errors.email}}aria-invalid="true" aria-describedby="email-error"{{/errors.email}}>
          {{#errors.email}}<p class="error" id="email-error">{{errors.email}}</p>{{/errors.email}}
          <label for="password">Password</label>
          <input id="password" name="password" type="password" autocomplete="new-password" required
            {{#errors.password}}aria-invalid="true" aria-describedby="password-error"{{/errors.password}}>
          <p class="hint">At least 8 characters. A few unrelated words make a strong password that is easy to remember.</p>
          {{#errors.password}}<p class="error" id="password-error">{{errors.password}}</p>{{/errors.password}}
        """

    static let signUp = """
        <h1>Create your account</h1>
        {{#closed}}<p id="sign-up-closed">This hub takes new members by invitation only. Ask the person who runs it for an invitation link.</p>{{/closed}}
        {{^closed}}
        <form method="post" action="/sign-up" novalidate>
          <input type="hidden" name="csrf" value="{{csrf}}">
          {{> new-account-fields}}
          <button type="submit">Create account</button>
        </form>
        {{/closed}}
        <p>Already have an account? <a href="/sign-in">Sign in</a>.</p>
        """

    static let checkMail = """
        <h1>{{heading}}</h1>
        <p>{{message}}</p>
        """

    static let confirm = """
        <h1>Confirm it's you</h1>
        <p>This change needs your password again{{#twoFactor}} and a current code{{/twoFactor}}.</p>
        {{#error}}<p class="error" id="confirm-error">{{error}}</p>{{/error}}
        <form method="post" action="/account/confirm" novalidate>
          <input type="hidden" name="csrf" value="{{csrf}}">
          <input type="hidden" name="next" value="{{next}}">
          <label for="password">Password</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required autofocus>
          <label for="code">Two-factor code (if it is on)</label>
          <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code">
          <button type="submit">Confirm</button>
        </form>
        <div id="passkey-confirm" data-csrf="{{csrf}}" data-next="{{next}}" hidden>
          <button type="button" class="secondary" id="passkey-confirm-button">Confirm with a passkey</button>
          <p class="error" id="passkey-confirm-error" role="alert" hidden></p>
        </div>
        """

    static let emailRevert = """
        <h1>Undo the e-mail change</h1>
        {{#error}}<p class="error">{{error}}</p>{{/error}}
        {{^error}}
        <p>Your account's e-mail address was changed. If it was not you, undo it: your old address comes back, every
        device is signed out, and you choose a new password from a link we mail to your old address.</p>
        <form method="post" action="/email/revert">
          <input type="hidden" name="csrf" value="{{csrf}}">
          <input type="hidden" name="token" value="{{token}}">
          <button type="submit">This wasn't me: undo the change</button>
        </form>
        {{/error}}
        """

    static let verifyEmail = """
        <h1>Confirm your email address</h1>
        {{#error}}<p class="error">{{error}}</p>{{/error}}
        {{^error}}
        <form method="post" action="/verify-email">
          <input type="hidden" name="csrf" value="{{csrf}}">
          <input type="hidden" name="token" value="{{token}}">
          <button type="submit">Confirm my address</button>
        </form>
        {{/error}}
        """

    static let signIn = """
        <h1>Sign in</h1>
        <form method="post" action="/sign-in" novalidate>
          <input type="hidden" name="csrf" value="{{csrf}}">
          {{#next}}<input type="hidden" name="next" value="{{next}}">{{/next}}
          <label for="identifier">Username or email</label>
          <input id="identifier" name="identifier" value="{{identifier}}" autocomplete="username" required autofocus>
          <label for="password">Password</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required
            {{#error}}aria-invalid="true" aria-describedby="signin-error"{{/error}}>
          {{#error}}<p class="error" id="signin-error">{{error}}</p>{{/error}}
          <button type="submit">Sign in</button>
        </form>
        <div id="passkey-signin" data-csrf="{{csrf}}" hidden>
          <button type="button" class="secondary" id="passkey-signin-button">Sign in with a passkey</button>
          <p class="error" id="passkey-signin-error" role="alert" hidden></p>
        </div>
        <p><a href="/forgot-password">Forgot your password?</a> · <a href="/sign-up">Create an account</a></p>
        """

    static let signInCode = """
        {{#mailed}}
        <h1>Check your mail</h1>
        <p id="mailed-code-notice">This device is new to your account. We mailed a 6-digit code to your address:
        enter it here. It works once and expires in 15 minutes.</p>
        {{/mailed}}
        {{^mailed}}
        <h1>Two-factor sign-in</h1>
        <p>Enter the 6-digit code from your authenticator app, or one of your recovery codes.</p>
        {{/mailed}}
        <form method="post" action="/sign-in/code" novalidate>
          <input type="hidden" name="csrf" value="{{csrf}}">
          <input type="hidden" name="challenge" value="{{challenge}}">
          {{#mailed}}<input type="hidden" name="mailed" value="1">{{/mailed}}
          {{#next}}<input type="hidden" name="next" value="{{next}}">{{/next}}
          <label for="code">Code</label>
          <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required autofocus
            {{#error}}aria-invalid="true" aria-describedby="code-error"{{/error}}>
          {{#error}}<p class="error" id="code-error">{{error}}</p>{{/error}}
          <button type="submit">Verify</button>
        </form>
        {{#passkey}}
        <div id="passkey-second" hidden data-csrf="{{csrf}}" data-challenge="{{challenge}}">
          <p>Or confirm with one of your passkeys.</p>
          <button type="button" id="passkey-second-button">Use a passkey</button>
          <p class="error" id="passkey-second-error" role="alert" hidden></p>
        </div>
        {{/passkey}}
        """

    static let link = """
        <h1>Sign in a TV or app</h1>
        <p class="notice" id="link-warning"><strong>Only enter a code shown on your own screen.</strong> Someone who
        sends you a code is asking you to sign their device in to your account.</p>
        {{#error}}<p class="error" id="link-error" role="alert">{{error}}</p>{{/error}}
        <form method="post" action="/link" novalidate>
          <input type="hidden" name="csrf" value="{{csrf}}">
          <label for="code">Code</label>
          <input id="code" name="code" value="{{code}}" autocomplete="off" autocapitalize="characters"
            spellcheck="false" maxlength="20" placeholder="XXXX-XXXX" required autofocus
            {{#error}}aria-invalid="true" aria-describedby="link-error"{{/error}}>
          <button type="submit">Continue</button>
        </form>
        """

    static let linkDetails = """
        <h1>Sign in this device?</h1>
        <p class="notice" id="link-warning"><strong>Only enter a code shown on your own screen.</strong> Approve only
        if you started this on a device in front of you.</p>
        {{#client.logo}}<img class="client-logo" alt="" src="{{client.logo}}" width="64" height="64">{{/client.logo}}
        <dl class="facts" id="link-details">
          <dt>App</dt><dd id="link-client">{{client.name}}
            {{#client.registered}}<span class="tag ok" id="link-registered">registered</span>{{/client.registered}}
            {{^client.registered}}<span class="tag bad" id="link-unverified">unverified</span>
            <br><span class="hint">Nobody registered this app on this hub: its name is whatever it says.</span>{{/client.registered}}</dd>
          <dt>Device</dt><dd id="link-device">{{device.name}}</dd>
          <dt>Product</dt><dd id="link-product">{{device.product}} {{device.version}}</dd>
          <dt>Platform</dt><dd id="link-platform">{{device.platform}}</dd>
          <dt>Asked from</dt><dd id="link-address">{{device.ipAddress}}</dd>
          <dt>Asked at</dt><dd id="link-time">{{device.requestedAt}} (code valid until {{device.expiresAt}})</dd>
          {{#scope}}<dt>Asks for</dt><dd id="link-scope">{{scope}}</dd>{{/scope}}
          <dt>Code</dt><dd id="link-code"><code>{{code}}</code></dd>
        </dl>
        {{#isServer}}<p id="link-server">Approving makes this <strong>media server</strong> yours (account
        <strong>{{username}}</strong>): it will be listed under Servers. It gets no access to your account.</p>{{/isServer}}
        {{^isServer}}<p>Approving signs this device in to <strong>{{username}}</strong>. It will be listed with your
        devices, and "Sign out of all devices" signs it out.</p>{{/isServer}}
        <form method="post" action="/link/decide" class="inline">
          <input type="hidden" name="csrf" value="{{csrf}}">
          <input type="hidden" name="code" value="{{code}}">
          <input type="hidden" name="ticket" value="{{ticket}}">
          <input type="hidden" name="decision" value="approve">
          <button type="submit" id="link-approve">Approve</button>
        </form>
        <form method="post" action="/link/decide" class="inline">
          <input type="hidden" name="csrf" value="{{csrf}}">
          <input type="hidden" name="code" value="{{code}}">
          <input type="hidden" name="ticket" value="{{ticket}}">
          <input type="hidden" name="decision" value="deny">
          <button type="submit" class="secondary" id="link-deny">Deny</button>
        </form>
        """

    static let forgotPassword = """
        <h1>Reset your password</h1>
        <p>Enter your username or email. If an account matches, we mail a link to its address.</p>
        <form method="post" action="/forgot-password" novalidate>
          <input type="hidden" name="csrf" value="{{csrf}}">
          <label for="identifier">Username or email</label>
          <input id="identifier" name="identifier" autocomplete="username" required autofocus>
          <button type="submit">Send reset link</button>
        </form>
        """

    static let resetPassword = """
        <h1>Choose a new password</h1>
        {{#invalid}}<p class="error">This link is invalid or has expired. <a href="/forgot-password">Ask for a new one</a>.</p>{{/invalid}}
        {{^invalid}}
        <form method="post" action="/reset-password" novalidate>
          <input type="hidden" name="csrf" value="{{csrf}}">
          <input type="hidden" name="token" value="{{token}}">
          <label for="new_password">New password</label>
          <input id="new_password" name="new_password" type="password" autocomplete="new-password" required autofocus
            {{#error}}aria-invalid="true" aria-describedby="reset-error"{{/error}}>
          {{#error}}<p class="error" id="reset-error">{{error}}</p>{{/error}}
          <label for="recovery_code">Authenticator or recovery code (asked only if your account was locked with
          “This wasn't me” and has two-factor sign-in, or signs in with passkeys only)</label>
          <input id="recovery_code" name="recovery_code" autocomplete="off">
          <p class="hint">Every device will be signed out. Two-factor sign-in, if on, stays on.</p>
          <button type="submit">Set new password</button>
        </form>
        {{/invalid}}
        """

    static let notMe = """
        <h1>This wasn't me</h1>
        {{#invalid}}<p class="error" id="not-me-error" role="alert">{{invalid}}</p>{{/invalid}}
        {{#locked}}
        <p class="notice" id="not-me-done"><strong>The account is locked.</strong> Every device, app password and
        profile was signed out ({{signedOut}}), and nobody can sign in to it now.</p>
        <ol>
          <li>Open the reset link we just mailed to the account's address and choose a new password. If two-factor
          sign-in is on, the reset asks for a code from your authenticator app or a recovery code.</li>
          <li>Then review your devices, passkeys and e-mail address, and turn on two-factor sign-in.</li>
          <li>If you used this password anywhere else, change it there too.</li>
        </ol>
        {{/locked}}
        {{#token}}
        <p>Locking <strong>{{username}}</strong> signs out every device, app password and profile at once, and refuses
        every sign-in until the password is reset from the mailed link.</p>
        {{#alreadyLocked}}<p class="notice">This account is already locked.</p>{{/alreadyLocked}}
        <p class="hint">This page never asks for a password or a code. A page that does, after a link in a mail, is
        not ours.</p>
        <form method="post" action="/not-me" novalidate>
          <input type="hidden" name="csrf" value="{{csrf}}">
          <input type="hidden" name="token" value="{{token}}">
          <button type="submit" id="lock-account">Lock my account and sign out everywhere</button>
        </form>
        {{/token}}
        """

    static let account = """
        <h1>Your account</h1>
        <dl class="facts">
          <dt>Username</dt><dd>{{account.username}}</dd>
          <dt>Email</dt><dd>{{account.email}} {{^account.isEmailVerified}}<span class="tag warn">not confirmed</span>{{/account.isEmailVerified}}</dd>
          <dt>Two-factor sign-in</dt><dd>{{#twoFactor}}<span class="tag ok">on</span>{{/twoFactor}}{{^twoFactor}}<span class="tag warn">off</span> — <a href="/account/security#two-factor">turn it on</a>{{/twoFactor}}</dd>
          <dt>Signed-in devices</dt><dd>{{deviceCount}} — <a href="/account/security#devices">review</a></dd>
        </dl>
        """

    static let security = """
        <h1>Security</h1>

        <section id="password">
        <h2>Change password</h2>
        <form method="post" action="/account/security/password" novalidate>
          <input type="hidden" name="csrf" value="{{csrf}}">
          <label for="current_password">Current password</label>
          <input id="current_password" name="current_password" type="password" autocomplete="current-password" required>
          <label for="new_password">New password</label>
          <input id="new_password" name="new_password" type="password" autocomplete="new-password" required
            {{#errors.password}}aria-invalid="true" aria-describedby="password-error"{{/errors.password}}>
          {{#errors.password}}<p class="error" id="password-error">{{errors.password}}</p>{{/errors.password}}
          <label class="check"><input type="checkbox" name="sign_out_others" value="1" checked> Sign out of all other devices</label>
          <button type="submit">Change password</button>
        </form>
        </section>

        <section id="two-factor">
        <h2>Two-factor sign-in</h2>
        {{#hasRecoveryCodes}}
          <div class="notice">
          <p><strong>Two-factor sign-in is on.</strong> Save these recovery codes somewhere safe. Each works once, and they are shown only now.</p>
          <ul class="codes" id="recovery-codes">{{#recoveryCodes}}<li><code>{{.}}</code></li>{{/recoveryCodes}}</ul>
          </div>
        {{/hasRecoveryCodes}}
        {{#enrollment}}
          <p>Scan this code with your authenticator app, then enter the code it shows.</p>
          <img class="qr" id="totp-qr" alt="QR code for your authenticator app" src="data:image/png;base64,{{enrollment.png}}" width="{{enrollment.width}}" height="{{enrollment.width}}">
          <p class="hint">Can't scan? Enter this key: <code id="totp-secret">{{enrollment.secret}}</code></p>
          <form method="post" action="/account/security/2fa/confirm" novalidate>
            <input type="hidden" name="csrf" value="{{csrf}}">
            <label for="totp_code">Code from the app</label>
            <input id="totp_code" name="code" inputmode="numeric" autocomplete="one-time-code" required
              {{#errors.totp}}aria-invalid="true" aria-describedby="totp-error"{{/errors.totp}}>
            {{#errors.totp}}<p class="error" id="totp-error">{{errors.totp}}</p>{{/errors.totp}}
            <button type="submit">Turn on</button>
          </form>
        {{/enrollment}}
        {{^enrollment}}
        {{#twoFactor}}
          <p><span class="tag ok">on</span> {{recoveryRemaining}} recovery codes left.</p>
          <form method="post" action="/account/security/2fa/disable" novalidate>
            <input type="hidden" name="csrf" value="{{csrf}}">
            <p class="hint">To turn it off, confirm your password and a current code.</p>
            <label for="disable_password">Password</label>
            <input id="disable_password" name="password" type="password" autocomplete="current-password" required>
            <label for="disable_code">Code</label>
            <input id="disable_code" name="code" inputmode="numeric" autocomplete="one-time-code" required
              {{#errors.disable}}aria-invalid="true" aria-describedby="disable-error"{{/errors.disable}}>
            {{#errors.disable}}<p class="error" id="disable-error">{{errors.disable}}</p>{{/errors.disable}}
            <button type="submit" class="secondary">Turn off two-factor sign-in</button>
          </form>
        {{/twoFactor}}
        {{^twoFactor}}
          <p><span class="tag warn">off</span> A code from your phone keeps your account safe even if your password leaks.</p>
          <form method="post" action="/account/security/2fa/begin">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <button type="submit">Turn on two-factor sign-in</button>
          </form>
        {{/twoFactor}}
        {{/enrollment}}
        </section>

        <section id="passkeys">
        <h2>Passkeys</h2>
        <p class="hint">Sign in with your fingerprint, face or screen lock instead of a password. We keep only the public half.</p>
        {{#errors.passkeys}}<p class="error" role="alert">{{errors.passkeys}}</p>{{/errors.passkeys}}
        <ul class="devices" id="passkey-list">
        {{#passkeys}}
          <li class="device passkey" data-passkey-id="{{id}}">
            <div><strong class="passkey-name">{{name}}</strong>{{#synced}} <span class="tag ok">synced</span>{{/synced}}
            <br><span class="hint">added {{created}} · last used {{lastUsed}}</span></div>
            <form method="post" action="/account/security/passkeys/{{id}}/remove">
              <input type="hidden" name="csrf" value="{{csrf}}">
              <button type="submit" class="secondary">Remove</button>
            </form>
          </li>
        {{/passkeys}}
        {{^passkeys}}<li class="hint">No passkeys yet.</li>{{/passkeys}}
        </ul>
        <div id="passkey-add" data-csrf="{{csrf}}" hidden>
          <label for="passkey_name">Name for a new passkey</label>
          <input id="passkey_name" name="passkey_name" maxlength="64" placeholder="Laptop">
          <button type="button" id="passkey-add-button">Add a passkey</button>
          <p class="error" id="passkey-add-error" role="alert" hidden></p>
        </div>
        <noscript><p class="hint">Adding a passkey needs JavaScript.</p></noscript>
        <form method="post" action="/account/security/passkey-only">
          <input type="hidden" name="csrf" value="{{csrf}}">
          {{#passkeyOnly}}
          <p><span class="tag ok">passkey only</span> Your password does not sign in.</p>
          <input type="hidden" name="enabled" value="0">
          <button type="submit" class="secondary">Allow password sign-in again</button>
          {{/passkeyOnly}}
          {{^passkeyOnly}}
          <input type="hidden" name="enabled" value="1">
          <button type="submit" class="secondary">Sign in with passkeys only</button>
          {{/passkeyOnly}}
        </form>
        </section>

        <section id="app-passwords">
        <h2>App passwords</h2>
        <p class="hint">For an app that can only ask for a username and password. Each one is shown once, does only
        what you allow, and can never change your password, e-mail, two-factor sign-in, passkeys or shares.</p>
        {{#newAppPassword}}
        <p class="flash" role="status">Your new app password <strong>{{newAppPassword.name}}</strong> — copy it now, it is
        not shown again: <code id="new-app-password">{{newAppPassword.secret}}</code></p>
        {{/newAppPassword}}
        {{#errors.appPasswords}}<p class="error" role="alert">{{errors.appPasswords}}</p>{{/errors.appPasswords}}
        <ul class="devices" id="app-password-list">
        {{#appPasswords}}
          <li class="device app-password" data-app-password-id="{{id}}">
            <div><strong>{{name}}</strong> <span class="tag">{{scopes}}</span>{{#expired}} <span class="tag">expired</span>{{/expired}}
            <br><span class="hint">created {{created}} · last used {{lastUsed}} · expires {{expires}}</span></div>
            <form method="post" action="/account/security/app-passwords/{{id}}/revoke">
              <input type="hidden" name="csrf" value="{{csrf}}">
              <button type="submit" class="secondary">Revoke</button>
            </form>
          </li>
        {{/appPasswords}}
        {{^appPasswords}}<li class="hint">No app passwords.</li>{{/appPasswords}}
        </ul>
        <form method="post" action="/account/security/app-passwords" novalidate>
          <input type="hidden" name="csrf" value="{{csrf}}">
          <label for="app_password_name">Name</label>
          <input id="app_password_name" name="name" maxlength="60" placeholder="Living-room player" required>
          <label class="check"><input type="checkbox" name="scope_media" value="1" checked> Media: fetch media-server tokens only</label>
          <label class="check"><input type="checkbox" name="scope_account_read" value="1"> Read my account (read-only)</label>
          <label for="app_password_days">Expires after (days)</label>
          <input id="app_password_days" name="days" type="number" min="1" max="730" value="365">
          <button type="submit">Create app password</button>
        </form>
        </section>

        <section id="phrase">
        <h2>Anti-phishing phrase</h2>
        <p class="hint">Every genuine mail from us shows this phrase. A mail without it is not from us.</p>
        <form method="post" action="/account/security/phrase" novalidate>
          <input type="hidden" name="csrf" value="{{csrf}}">
          <label for="phrase_input">Phrase</label>
          <input id="phrase_input" name="phrase" value="{{account.antiPhishingPhrase}}" maxlength="64"
            {{#errors.phrase}}aria-invalid="true" aria-describedby="phrase-error"{{/errors.phrase}}>
          {{#errors.phrase}}<p class="error" id="phrase-error">{{errors.phrase}}</p>{{/errors.phrase}}
          <button type="submit">Save phrase</button>
        </form>
        </section>

        <section id="devices">
        <h2>Authorized devices</h2>
        <ul class="devices">
        {{#devices}}
          <li class="device" data-device-id="{{id}}">
            <div><strong class="device-name">{{name}}</strong>{{#current}} <span class="tag ok">this device</span>{{/current}}{{#bound}} <span class="tag ok" title="Its credential works only with the key it holds (DPoP)">key-bound</span>{{/bound}}{{#profile}} <span class="tag" title="A session of one of your profiles">profile</span>{{/profile}}
            <br><span class="hint">{{product}} {{version}} · {{platform}} · {{ipAddress}} · last seen {{lastSeen}}</span></div>
            {{^current}}
            <form method="post" action="/account/security/devices/{{id}}/sign-out">
              <input type="hidden" name="csrf" value="{{csrf}}">
              <button type="submit" class="secondary">Sign out</button>
            </form>
            {{/current}}
          </li>
        {{/devices}}
        </ul>
        <form method="post" action="/account/security/devices/sign-out-all">
          <input type="hidden" name="csrf" value="{{csrf}}">
          <label class="check"><input type="checkbox" name="include_this" value="1"> Also sign out this device</label>
          <button type="submit" class="danger">Sign out of all devices</button>
        </form>
        </section>

        <section id="activity">
        <h2>Recent security activity</h2>
        <table class="activity">
          <thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">From</th></tr></thead>
          <tbody>
          {{#events}}<tr><td>{{when}}</td><td>{{what}}</td><td>{{ipAddress}}</td></tr>{{/events}}
          </tbody>
        </table>
        </section>
        """

    static let servers = """
        <h1>Media servers</h1>
        <section>
        <h2>Your servers</h2>
        {{#hasOwned}}
        <ul class="servers">
        {{#owned}}
          <li class="server" data-server-id="{{id}}">
            <div><strong>{{name}}</strong> <span class="tag {{tagClass}}">{{statusText}}</span>
            <br><span class="hint">version {{version}}{{#latest}} · latest {{latest}}{{/latest}} · {{platform}} · last seen {{lastSeen}}</span>
            {{#advisories}}<p class="error">{{.}}</p>{{/advisories}}</div>
            <form method="post" action="/account/servers/{{id}}/remove">
              <input type="hidden" name="csrf" value="{{csrf}}">
              <button type="submit" class="secondary">Remove</button>
            </form>
          </li>
        {{/owned}}
        </ul>
        {{/hasOwned}}
        {{^hasOwned}}<p>No servers yet.</p>{{/hasOwned}}
        <form method="post" action="/account/servers/claim" novalidate>
          <input type="hidden" name="csrf" value="{{csrf}}">
          <label for="claim_code">Claim a server with the code it shows</label>
          <input id="claim_code" name="code" autocomplete="off" placeholder="ABCD-EFGH"
            {{#errors.claim}}aria-invalid="true" aria-describedby="claim-error"{{/errors.claim}}>
          {{#errors.claim}}<p class="error" id="claim-error">{{errors.claim}}</p>{{/errors.claim}}
          <button type="submit">Claim server</button>
        </form>
        </section>
        <!-- shares by consent (issue 13): outgoing shares, the share form, offers waiting for an answer -->
        {{#hasOwned}}
        <section id="outgoing-shares">
        <h2>Shared by you</h2>
        {{#hasOutgoing}}
        <ul class="servers">
        {{#outgoing}}
          <li class="server outgoing-share" data-server-id="{{serverId}}" data-username="{{username}}" data-state="{{state}}">
            <div><strong>{{serverName}}</strong>: {{section}} with <strong>{{username}}</strong>
            <span class="tag {{tagClass}}">{{state}}</span> <span class="hint">since {{sharedAt}}</span></div>
            <form method="post" action="/account/servers/{{serverId}}/unshare">
              <input type="hidden" name="csrf" value="{{csrf}}">
              <input type="hidden" name="account" value="{{username}}">
              <input type="hidden" name="section" value="{{section}}">
              <button type="submit" class="secondary">Take back</button>
            </form>
          </li>
        {{/outgoing}}
        </ul>
        {{/hasOutgoing}}
        {{^hasOutgoing}}<p>You share no server.</p>{{/hasOutgoing}}
        <form method="post" action="/account/servers/share" novalidate>
          <input type="hidden" name="csrf" value="{{csrf}}">
          <label for="share_server">Server</label>
          <select id="share_server" name="server">{{#owned}}<option value="{{id}}">{{name}}</option>{{/owned}}</select>
          <label for="share_account">Share with (username or e-mail)</label>
          <input id="share_account" name="account" autocomplete="off">
          <label for="share_sections">Sections (comma-separated)</label>
          <input id="share_sections" name="sections" autocomplete="off" placeholder="Movies, Shows"
            {{#errors.share}}aria-invalid="true" aria-describedby="share-error"{{/errors.share}}>
          {{#errors.share}}<p class="error" id="share-error">{{errors.share}}</p>{{/errors.share}}
          <p class="hint">They see the offer under Servers and stream only once they accept it. We mail you about every share.</p>
          <button type="submit">Offer share</button>
        </form>
        </section>
        {{/hasOwned}}
        {{#hasPending}}
        <section id="pending-shares">
        <h2>Offered to you</h2>
        {{#errors.pending}}<p class="error">{{errors.pending}}</p>{{/errors.pending}}
        <ul class="servers">
        {{#pending}}
          <li class="server pending-share" data-server-id="{{serverId}}">
            <div><strong>{{name}}</strong> from {{ownerUsername}}: {{sections}} <span class="hint">offered {{sharedAt}}</span></div>
            <form method="post" action="/account/servers/{{serverId}}/accept">
              <input type="hidden" name="csrf" value="{{csrf}}">
              <button type="submit" class="accept-share">Accept</button>
            </form>
            <form method="post" action="/account/servers/{{serverId}}/decline">
              <input type="hidden" name="csrf" value="{{csrf}}">
              <button type="submit" class="secondary decline-share">Decline</button>
            </form>
          </li>
        {{/pending}}
        </ul>
        </section>
        {{/hasPending}}
        <!-- end of shares by consent -->
        {{#hasShared}}
        <section>
        <h2>Shared with you</h2>
        <ul class="servers">{{#shared}}<li class="server"><strong>{{name}}</strong> <span class="hint">{{url}}</span></li>{{/shared}}</ul>
        </section>
        {{/hasShared}}
        """

    static let admin = """
        <h1>Operators</h1>
        <section id="household">
        <h2>Sign-up</h2>
        <p>Sign-up mode: <strong id="admin-sign-up-mode">{{signUpMode}}</strong>{{#membersCanInvite}} (members can invite){{/membersCanInvite}}. <a href="/account/invitations">Invitations</a></p>
        <form method="post" action="/admin/recovery-link" novalidate id="recovery-link-form">
          <input type="hidden" name="csrf" value="{{csrf}}">
          <label for="recovery_member">Recovery link for a member who lost their mailbox (username or e-mail)</label>
          <input id="recovery_member" name="member" autocomplete="off">
          <button type="submit" class="secondary">Make recovery link</button>
        </form>
        </section>
        <section id="sign-in-watch">
        <h2>Sign-ins</h2>
        {{#signIns.wave}}<p class="error" role="alert"><strong>Credential-stuffing wave:</strong> {{signIns.failures}} sign-ins from unknown devices failed in the last minute (threshold {{signIns.threshold}}). Unknown devices are held up; known devices still sign in. The admins were mailed.</p>{{/signIns.wave}}
        {{^signIns.wave}}<p>{{signIns.failures}} sign-ins from unknown devices failed in the last minute (a wave is declared at {{signIns.threshold}}).</p>{{/signIns.wave}}
        </section>
        <section>
        <h2>Find an account</h2>
        <form method="get" action="/admin">
          <label for="q">Username or email contains</label>
          <input id="q" name="q" value="{{query}}">
          <button type="submit">Search</button>
        </form>
        {{#hasResults}}
        <table class="results">
          <thead><tr><th scope="col">Account</th><th scope="col">State</th><th scope="col">Actions</th></tr></thead>
          <tbody>
          {{#results}}
          <tr>
            <td><strong>{{username}}</strong><br><span class="hint">{{email}}</span></td>
            <td>{{#isResetRequired}}<span class="tag warn">reset required</span>{{/isResetRequired}}{{^isResetRequired}}ok{{/isResetRequired}}</td>
            <td>
              <form method="post" action="/admin/accounts/{{id}}/flag-reset" class="inline">
                <input type="hidden" name="csrf" value="{{csrf}}"><button type="submit" class="secondary">Require reset</button>
              </form>
              <form method="post" action="/admin/accounts/{{id}}/sign-out" class="inline">
                <input type="hidden" name="csrf" value="{{csrf}}"><button type="submit" class="secondary">Sign out everywhere</button>
              </form>
            </td>
          </tr>
          {{/results}}
          </tbody>
        </table>
        {{/hasResults}}
        {{#searched}}{{^hasResults}}<p>No account matches.</p>{{/hasResults}}{{/searched}}
        </section>

        <section>
        <h2>Declare an incident</h2>
        <form method="post" action="/admin/incidents" novalidate>
          <input type="hidden" name="csrf" value="{{csrf}}">
          <label for="reason">What happened (shown in the notice mail)</label>
          <textarea id="reason" name="reason" required rows="3"></textarea>
          <label class="check"><input type="checkbox" name="force_reset" value="1"> Require every account to reset its password</label>
          <label class="check"><input type="checkbox" name="sign_out_all" value="1"> Sign out every device</label>
          <label class="check"><input type="checkbox" name="notify" value="1"> Mail every account a notice</label>
          <label for="banner">Banner on every page (optional)</label>
          <input id="banner" name="banner">
          {{#errors.incident}}<p class="error">{{errors.incident}}</p>{{/errors.incident}}
          <button type="submit" class="danger">Declare incident</button>
        </form>
        </section>

        <section>
        <h2>Incidents</h2>
        <table class="incidents">
          <thead><tr><th scope="col">Declared</th><th scope="col">Reason</th><th scope="col">Progress</th><th scope="col">State</th><th scope="col"></th></tr></thead>
          <tbody>
          {{#incidents}}
          <tr>
            <td>{{declared}}</td><td>{{reason}}</td>
            <td><progress max="{{total}}" value="{{processed}}">{{processed}}/{{total}}</progress> {{processed}}/{{total}}</td>
            <td>{{state}}</td>
            <td>{{^isResolved}}<form method="post" action="/admin/incidents/{{id}}/resolve" class="inline">
              <input type="hidden" name="csrf" value="{{csrf}}"><button type="submit" class="secondary">Resolve</button></form>{{/isResolved}}</td>
          </tr>
          {{/incidents}}
          </tbody>
        </table>
        </section>
        """

    static let error = """
        <h1>{{heading}}</h1>
        <p>{{message}}</p>
        <p><a href="/">Go to the start page</a></p>
        """
}
