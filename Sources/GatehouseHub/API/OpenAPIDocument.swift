/// The OpenAPI 3.1 description of `/api/v1`, served at `/api/openapi.yaml`. A test holds it against the routes the
/// hub registers, so the two cannot drift apart.
enum OpenAPIDocument {
    static let text = """
        openapi: 3.1.0
        info:
          title: Gatehouse hub API
          version: "1"
          description: Accounts, sign-in, devices, two-factor sign-in, password reset and notices.
        servers:
          - url: /api/v1
        components:
          securitySchemes:
            device:
              type: http
              scheme: bearer
              description: A device credential (ghd_...) from POST /sessions, not bound to a key.
            dpop:
              type: http
              scheme: dpop
              description: >-
                A device credential bound to a DPoP key (RFC 9449): `Authorization: DPoP ghd_...` plus a `DPoP` header
                with a fresh proof (typ dpop+jwt, alg ES256 or EdDSA, public jwk; claims jti, htm, htu = the hub's public
                URL + path, iat within 60 s, ath = base64url(SHA-256(credential)), and nonce when the hub asks with
                use_dpop_nonce and a DPoP-Nonce header). A bound credential is refused as Bearer or without a proof:
                401 with `WWW-Authenticate: DPoP error="invalid_token"` or `error="invalid_dpop_proof"`. Every
                operation that accepts `device` accepts `dpop` for a bound credential.
            appPassword:
              type: http
              scheme: basic
              description: >-
                Username or e-mail and an app password (gha_...). Scope `media` reaches only GET /servers and
                POST /servers/{id}/token; scope `account:read` only GET operations. An app password can never change
                the password, e-mail, two-factor sign-in, passkeys, shares, devices or app passwords
                (403 app_password_not_allowed). Guesses spend the account's sign-in budget (429).
          schemas:
            Error:
              type: object
              required: [error]
              properties:
                error:
                  type: object
                  required: [code, message]
                  properties:
                    code: {type: string}
                    message: {type: string}
                    details: {type: object, additionalProperties: {type: string}}
                    request_id: {type: string, description: The request id (also in X-Request-Id and the hub's log lines)}
            Account:
              type: object
              properties:
                id: {type: string}
                username: {type: string}
                email: {type: string}
                email_verified: {type: boolean}
                role: {type: string, enum: [user, admin]}
                password_reset_required: {type: boolean}
                anti_phishing_phrase: {type: [string, "null"]}
                created_at: {type: string, format: date-time}
            Device:
              type: object
              properties:
                id: {type: string}
                name: {type: string}
                product: {type: string}
                version: {type: string}
                platform: {type: string}
                kind: {type: string, enum: [api, browser]}
                ip_address: {type: string}
                created_at: {type: string, format: date-time}
                last_seen_at: {type: string, format: date-time}
                expires_at: {type: string, format: date-time, description: When the credential stops working unless the device is used again (idle and absolute limits).}
                current: {type: boolean}
                dpop_bound: {type: boolean, description: The credential is bound to a DPoP key (RFC 9449) and works only with proofs from it.}
                profile_id: {type: string, description: "Set when the device is a session of a managed profile (absent for the holder's own devices)."}
            ProfileRestrictions:
              type: object
              properties:
                sections: {type: array, items: {type: string}, maxItems: 50, description: "Sections the profile may see; absent: every one the holder may."}
                max_rating: {type: string, enum: [TV-Y, TV-Y7, G, TV-G, PG, TV-PG, PG-13, TV-14, R, TV-MA, NC-17], description: "Content-rating ceiling on the ordered scale (docs/media-protocol.md); unrated items pass no ceiling."}
                allowed_labels: {type: array, items: {type: string}, maxItems: 50, description: "When not empty, an item must carry one of these labels."}
                blocked_labels: {type: array, items: {type: string}, maxItems: 50, description: An item carrying one of these labels is refused.}
            Profile:
              type: object
              properties:
                id: {type: string}
                name: {type: string}
                has_pin: {type: boolean}
                restrictions: {$ref: "#/components/schemas/ProfileRestrictions"}
                created_at: {type: string, format: date-time}
            DeviceInput:
              type: object
              properties:
                client_identifier: {type: string, description: Informational only; stored keyed and never shown back.}
                known_device_token: {type: string, description: The known-device secret from this device's last sign-in (skips the per-account delay and the new-sign-in mail).}
                name: {type: string}
                product: {type: string}
                version: {type: string}
                platform: {type: string}
            SignedIn:
              type: object
              properties:
                token: {type: string, description: Shown once; the hub keeps only a keyed digest.}
                known_device_token: {type: string, description: Keep it and send it as device.known_device_token at the next sign-in from this device.}
                device: {$ref: "#/components/schemas/Device"}
                account: {$ref: "#/components/schemas/Account"}
                token_type: {type: string, enum: [Bearer, DPoP], description: DPoP when the sign-in request carried a DPoP proof; the credential is then bound to its key.}
            AppPassword:
              type: object
              properties:
                id: {type: string}
                name: {type: string}
                scopes: {type: array, items: {type: string, enum: [media, "account:read"]}}
                created_at: {type: string, format: date-time}
                expires_at: {type: string, format: date-time}
                last_used_at: {type: [string, "null"], format: date-time}
                last_used_address: {type: [string, "null"]}
                expired: {type: boolean}
            PasskeyCeremony:
              type: object
              properties:
                challenge_id: {type: string, description: Single use, five minutes; send it back with the credential.}
                public_key: {type: object, description: WebAuthn Level 3 JSON options (camelCase) for navigator.credentials.}
            PasskeyAssertion:
              type: object
              required: [challenge_id, credential]
              properties:
                challenge_id: {type: string}
                credential: {type: object, description: AuthenticationResponseJSON (PublicKeyCredential.toJSON())}
            Passkey:
              type: object
              properties:
                id: {type: string, description: The credential id (base64url).}
                name: {type: string}
                algorithm: {type: integer}
                backup_eligible: {type: boolean}
                backup_state: {type: boolean}
                transports: {type: array, items: {type: string}}
                aaguid: {type: string}
                created_at: {type: string, format: date-time}
                last_used_at: {type: [string, "null"], format: date-time}
            Message:
              type: object
              properties:
                message: {type: string}
          responses:
            Error:
              description: An error
              content:
                application/json:
                  schema: {$ref: "#/components/schemas/Error"}
            OAuthError:
              description: An OAuth error (RFC 6749 section 5.2), with Cache-Control no-store
              content:
                application/json:
                  schema:
                    type: object
                    required: [error]
                    properties:
                      error: {type: string}
                      error_description: {type: string}
        paths:
          /accounts:
            post:
              summary: Sign up. The answer is the same whether or not the username or address is taken; the next step arrives by mail.
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [username, email, password]
                      properties:
                        username: {type: string}
                        email: {type: string}
                        password: {type: string}
              responses:
                "202": {description: Accepted, content: {application/json: {schema: {$ref: "#/components/schemas/Message"}}}}
                "403": {description: "sign_up_closed: the hub's sign-up mode is invite or closed (says nothing about accounts)"}
                "422": {$ref: "#/components/responses/Error"}
                "429": {$ref: "#/components/responses/Error"}
          /account/revert-email:
            post:
              summary: Undo an e-mail change with the link mailed to the old address (signs out every device and requires a reset)
              requestBody:
                content: {application/json: {schema: {type: object, required: [token], properties: {token: {type: string}}}}}
              responses:
                "200": {description: Restored}
                "400": {$ref: "#/components/responses/Error"}
          /account/verify-email:
            post:
              summary: Confirm an email address with the mailed token
              requestBody:
                content: {application/json: {schema: {type: object, required: [token], properties: {token: {type: string}}}}}
              responses:
                "200": {description: Verified}
                "400": {$ref: "#/components/responses/Error"}
          /account:
            get:
              summary: The signed-in account
              security: [{device: []}]
              responses:
                "200": {description: OK, content: {application/json: {schema: {$ref: "#/components/schemas/Account"}}}}
                "401": {$ref: "#/components/responses/Error"}
          /account/resend-verification:
            post:
              summary: Mail a new verification link
              security: [{device: []}]
              responses:
                "200": {description: OK}
          /account/password:
            post:
              summary: Change the password (signs out other devices unless told not to)
              security: [{device: []}]
              requestBody:
                content:
                  application/json:
                    schema:
                      type: object
                      required: [current_password, new_password]
                      properties:
                        current_password: {type: string}
                        new_password: {type: string}
                        sign_out_other_devices: {type: boolean, default: true}
              responses:
                "200": {description: Changed}
                "403": {$ref: "#/components/responses/Error"}
                "422": {$ref: "#/components/responses/Error"}
          /account/email:
            post:
              summary: Ask to change the email address. It takes effect once the new address confirms; the old address is told and can undo it for 7 days. The answer is the same whether or not the new address is taken.
              security: [{device: []}]
              requestBody:
                content:
                  application/json:
                    schema:
                      type: object
                      required: [password, new_email]
                      properties:
                        password: {type: string}
                        new_email: {type: string}
              responses:
                "202": {description: Accepted, content: {application/json: {schema: {$ref: "#/components/schemas/Message"}}}}
                "403": {$ref: "#/components/responses/Error"}
                "429": {$ref: "#/components/responses/Error"}
          /account/anti-phishing-phrase:
            put:
              summary: Set the phrase every genuine mail shows
              security: [{device: []}]
              requestBody:
                content: {application/json: {schema: {type: object, properties: {phrase: {type: [string, "null"]}}}}}
              responses:
                "200": {description: Set}
          /sessions:
            post:
              summary: Sign in with username or email and password. With a DPoP header (a proof for POST and this URL, no ath), the new credential is bound to the proof's key (token_type DPoP)
              parameters:
                - {name: DPoP, in: header, required: false, schema: {type: string}, description: A DPoP proof (RFC 9449); a bad one answers 400 invalid_dpop_proof or use_dpop_nonce}
              requestBody:
                content:
                  application/json:
                    schema:
                      type: object
                      required: [identifier, password]
                      properties:
                        identifier: {type: string}
                        password: {type: string}
                        device: {$ref: "#/components/schemas/DeviceInput"}
              responses:
                "201": {description: Signed in, content: {application/json: {schema: {$ref: "#/components/schemas/SignedIn"}}}}
                "200": {description: "A second step is required; answer the challenge at /sessions/second-factor. methods lists what answers it: totp, recovery_code and passkey when two-factor sign-in is on; [email_code] when it is off and this client was never seen on the account (device verification: a 6-digit code mailed to the account, valid 15 minutes)"}
                "401": {$ref: "#/components/responses/Error"}
                "403": {description: password_reset_required (only after a correct password)}
                "429": {$ref: "#/components/responses/Error"}
          /sessions/second-factor:
            post:
              summary: Complete a sign-in with a TOTP or recovery code, or the mailed code of device verification. A DPoP proof on this request binds the new credential
              parameters:
                - {name: DPoP, in: header, required: false, schema: {type: string}}
              requestBody:
                content:
                  application/json:
                    schema:
                      type: object
                      required: [challenge, code]
                      properties:
                        challenge: {type: string}
                        code: {type: string}
              responses:
                "201": {description: Signed in, content: {application/json: {schema: {$ref: "#/components/schemas/SignedIn"}}}}
                "401": {$ref: "#/components/responses/Error"}
          /sessions/passkey/options:
            post:
              summary: Start a username-less passkey sign-in (empty allowCredentials). public_key is PublicKeyCredentialRequestOptionsJSON
              responses:
                "200": {description: A ceremony, content: {application/json: {schema: {$ref: "#/components/schemas/PasskeyCeremony"}}}}
          /sessions/passkey:
            post:
              summary: Finish a passkey sign-in; the same answer as a password sign-in (a DPoP proof binds the credential). Any failure is the generic 401 invalid_credentials
              parameters:
                - {name: DPoP, in: header, required: false, schema: {type: string}}
              requestBody:
                content:
                  application/json:
                    schema:
                      type: object
                      required: [challenge_id, credential]
                      properties:
                        challenge_id: {type: string}
                        credential: {type: object, description: AuthenticationResponseJSON (PublicKeyCredential.toJSON())}
                        device: {$ref: "#/components/schemas/DeviceInput"}
              responses:
                "201": {description: Signed in, content: {application/json: {schema: {$ref: "#/components/schemas/SignedIn"}}}}
                "401": {$ref: "#/components/responses/Error"}
                "429": {$ref: "#/components/responses/Error"}
          /sessions/second-factor/passkey/options:
            post:
              summary: Start a passkey as the second step of a password sign-in (offered when the methods include passkey). public_key is PublicKeyCredentialRequestOptionsJSON listing the account's passkeys
              requestBody:
                content:
                  application/json:
                    schema:
                      type: object
                      required: [challenge]
                      properties:
                        challenge: {type: string, description: The challenge from the password step}
              responses:
                "200": {description: A ceremony, content: {application/json: {schema: {$ref: "#/components/schemas/PasskeyCeremony"}}}}
                "401": {$ref: "#/components/responses/Error"}
                "409": {$ref: "#/components/responses/Error"}
          /sessions/second-factor/passkey:
            post:
              summary: Finish the second step with a passkey; the same answer as /sessions/second-factor (a DPoP proof on this request binds the credential)
              parameters:
                - {name: DPoP, in: header, required: false, schema: {type: string}}
              requestBody:
                content:
                  application/json:
                    schema:
                      type: object
                      required: [challenge, challenge_id, credential]
                      properties:
                        challenge: {type: string}
                        challenge_id: {type: string}
                        credential: {type: object, description: AuthenticationResponseJSON (PublicKeyCredential.toJSON())}
              responses:
                "201": {description: Signed in, content: {application/json: {schema: {$ref: "#/components/schemas/SignedIn"}}}}
                "401": {$ref: "#/components/responses/Error"}
                "429": {$ref: "#/components/responses/Error"}
          /session:
            delete:
              summary: Sign out this device
              security: [{device: []}]
              responses:
                "204": {description: Signed out}
          /session/reauthenticate:
            post:
              summary: Confirm password (and code) for sensitive changes
              security: [{device: []}]
              requestBody:
                content:
                  application/json:
                    schema:
                      type: object
                      required: [password]
                      properties:
                        password: {type: string}
                        code: {type: string}
              responses:
                "200": {description: Confirmed}
                "403": {$ref: "#/components/responses/Error"}
          /session/reauthenticate/passkey/options:
            post:
              summary: Start a re-authentication with one of the account's own passkeys (allowCredentials lists them)
              security: [{device: []}]
              responses:
                "200": {description: A ceremony, content: {application/json: {schema: {$ref: "#/components/schemas/PasskeyCeremony"}}}}
                "409": {description: no_passkeys}
          /session/reauthenticate/passkey:
            post:
              summary: Finish a passkey re-authentication; sensitive changes are then allowed for a few minutes
              security: [{device: []}]
              requestBody:
                content: {application/json: {schema: {$ref: "#/components/schemas/PasskeyAssertion"}}}
              responses:
                "200": {description: Confirmed}
                "401": {description: invalid_credentials, for any failure (another account's passkey, a bad signature, a used challenge)}
                "429": {$ref: "#/components/responses/Error"}
          /account/passkeys/options:
            post:
              summary: Start adding a passkey (needs a recent re-authentication). public_key is PublicKeyCredentialCreationOptionsJSON (camelCase, as PublicKeyCredential.parseCreationOptionsFromJSON reads it); residentKey and userVerification are required, the account's passkeys excluded
              security: [{device: []}]
              responses:
                "200": {description: A ceremony, content: {application/json: {schema: {$ref: "#/components/schemas/PasskeyCeremony"}}}}
                "403": {description: reauthentication_required}
          /account/passkeys:
            get:
              summary: The account's passkeys (public metadata only)
              security: [{device: []}]
              responses:
                "200": {description: OK, content: {application/json: {schema: {type: array, items: {$ref: "#/components/schemas/Passkey"}}}}}
            post:
              summary: Finish adding a passkey (needs a recent re-authentication); the owner is mailed
              security: [{device: []}]
              requestBody:
                content:
                  application/json:
                    schema:
                      type: object
                      required: [challenge_id, credential]
                      properties:
                        challenge_id: {type: string}
                        name: {type: string, maxLength: 64}
                        credential: {type: object, description: RegistrationResponseJSON (PublicKeyCredential.toJSON())}
              responses:
                "201": {description: Added, content: {application/json: {schema: {$ref: "#/components/schemas/Passkey"}}}}
                "400": {description: invalid_challenge or passkey_refused}
                "403": {description: reauthentication_required}
                "409": {description: passkey_exists}
          /account/passkeys/{id}:
            delete:
              summary: Remove a passkey (needs a recent re-authentication); the owner is mailed
              security: [{device: []}]
              parameters:
                - {name: id, in: path, required: true, schema: {type: string}}
              responses:
                "204": {description: Removed}
                "404": {$ref: "#/components/responses/Error"}
                "409": {description: last_passkey (a passkey-only account keeps one)}
          /account/passkey-only:
            put:
              summary: Turn "passkey only" on or off (needs a recent re-authentication; on needs a passkey). When on, password sign-in answers like a wrong password
              security: [{device: []}]
              requestBody:
                content: {application/json: {schema: {type: object, required: [enabled], properties: {enabled: {type: boolean}}}}}
              responses:
                "200": {description: Set, content: {application/json: {schema: {type: object, properties: {passkey_only: {type: boolean}}}}}}
                "409": {description: no_passkeys}
          /devices:
            get:
              summary: The account's signed-in devices (never a credential)
              security: [{device: []}]
              responses:
                "200": {description: OK, content: {application/json: {schema: {type: array, items: {$ref: "#/components/schemas/Device"}}}}}
          /devices/{id}:
            delete:
              summary: Sign out one device
              security: [{device: []}]
              parameters:
                - {name: id, in: path, required: true, schema: {type: string}}
              responses:
                "204": {description: Signed out}
                "404": {$ref: "#/components/responses/Error"}
          /account/app-passwords:
            get:
              summary: The account's app passwords with their last use (never a secret)
              security: [{device: []}, {dpop: []}, {appPassword: []}]
              responses:
                "200": {description: OK, content: {application/json: {schema: {type: array, items: {$ref: "#/components/schemas/AppPassword"}}}}}
            post:
              summary: Create an app password (needs a recent re-authentication on a device; not with an app password). The secret is shown once
              security: [{device: []}, {dpop: []}]
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [name, scopes]
                      properties:
                        name: {type: string, maxLength: 60}
                        scopes: {type: array, items: {type: string, enum: [media, "account:read"]}}
                        lifetime_days: {type: integer, minimum: 1, maximum: 730, default: 365}
              responses:
                "201":
                  description: Created
                  content:
                    application/json:
                      schema:
                        type: object
                        properties:
                          password: {type: string, description: "gha_...: shown once; use it with the username or e-mail (HTTP Basic)"}
                          app_password: {$ref: "#/components/schemas/AppPassword"}
                "403": {description: reauthentication_required or app_password_not_allowed}
                "422": {$ref: "#/components/responses/Error"}
          /account/app-passwords/{id}:
            delete:
              summary: Revoke one app password (its media tokens are revoked with it). Sign-out-all revokes every app password
              security: [{device: []}, {dpop: []}]
              parameters:
                - {name: id, in: path, required: true, schema: {type: string}}
              responses:
                "204": {description: Revoked}
                "404": {$ref: "#/components/responses/Error"}
          /invitations:
            get:
              summary: Invitations the caller may see (every one for an admin, their own for a member)
              security: [{device: []}, {dpop: []}]
              responses:
                "200": {description: "{invitations: [...]}: id, email, max_uses, uses, shares, created_at, expires_at, revoked_at, live"}
                "403": {$ref: "#/components/responses/Error"}
            post:
              summary: Make an invitation (admins, or members with --members-can-invite; needs a recent sign-in or re-authentication). The link is shown once
              security: [{device: []}, {dpop: []}]
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      properties:
                        max_uses: {type: integer, minimum: 1, maximum: 100, default: 1}
                        expires_in_hours: {type: number, default: 168, description: "at most 720 (30 days)"}
                        email: {type: string, description: "bind the invitation to this address"}
                        send: {type: boolean, default: false, description: "mail the link to email"}
                        shares:
                          type: array
                          maxItems: 50
                          items: {type: object, required: [server_id, section], properties: {server_id: {type: string}, section: {type: string}}}
              responses:
                "201": {description: "{invitation, link}: the link (ghi_ secret) is shown once"}
                "403": {description: invitations_not_allowed, reauthentication_required or sign_up_closed}
                "422": {$ref: "#/components/responses/Error"}
          /invitations/{id}:
            delete:
              summary: Revoke an invitation (an admin any, a member their own); its link stops working at once
              security: [{device: []}, {dpop: []}]
              parameters:
                - {name: id, in: path, required: true, schema: {type: string}}
              responses:
                "204": {description: Revoked}
                "404": {$ref: "#/components/responses/Error"}
          /invitations/accept:
            post:
              summary: Join with an invitation. Same rules and the same answer as sign-up, whether or not the address already has an account
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [token, username, email, password]
                      properties:
                        token: {type: string}
                        username: {type: string}
                        email: {type: string}
                        password: {type: string}
              responses:
                "202": {description: Check your mail}
                "403": {description: "invitation_other_address (bound to another address) or sign_up_closed"}
                "410": {description: "invitation_invalid: used up, revoked or expired"}
                "422": {$ref: "#/components/responses/Error"}
                "429": {$ref: "#/components/responses/Error"}
          /profiles:
            get:
              summary: The holder's managed profiles (not with a profile session)
              security: [{device: []}, {dpop: []}]
              responses:
                "200": {description: OK, content: {application/json: {schema: {type: array, items: {$ref: "#/components/schemas/Profile"}}}}}
                "403": {$ref: "#/components/responses/Error"}
            post:
              summary: Create a managed profile (no e-mail, no password; optional 4-6 digit PIN). Not with an app password or a profile session
              security: [{device: []}, {dpop: []}]
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [name]
                      properties:
                        name: {type: string, maxLength: 40}
                        pin: {type: string, pattern: "^[0-9]{4,6}$"}
                        restrictions: {$ref: "#/components/schemas/ProfileRestrictions"}
              responses:
                "201": {description: Created, content: {application/json: {schema: {$ref: "#/components/schemas/Profile"}}}}
                "403": {description: app_password_not_allowed or profile_not_allowed}
                "422": {$ref: "#/components/responses/Error"}
          /profiles/{id}:
            put:
              summary: Rename a profile and replace its restrictions (its live sessions are signed out when they change)
              security: [{device: []}, {dpop: []}]
              parameters:
                - {name: id, in: path, required: true, schema: {type: string}}
              requestBody:
                required: true
                content:
                  application/json:
                    schema:
                      type: object
                      required: [name]
                      properties:
                        name: {type: string, maxLength: 40}
                        restrictions: {$ref: "#/components/schemas/ProfileRestrictions"}
              responses:
                "200": {description: OK, content: {application/json: {schema: {$ref: "#/components/schemas/Profile"}}}}
                "404": {$ref: "#/components/responses/Error"}
                "422": {$ref: "#/components/responses/Error"}
            delete:
              summary: Delete a profile and sign out its sessions
              security: [{device: []}, {dpop: []}]
              parameters:
                - {name: id, in: path, required: true, schema: {type: string}}
              responses:
                "204": {description: Deleted}
                "404": {$ref: "#/components/responses/Error"}
          /profiles/{id}/pin:
            put:
              summary: Set (or, with null, remove) a profile's PIN; clears its PIN attempt budget
              security: [{device: []}, {dpop: []}]
              parameters:
                - {name: id, in: path, required: true, schema: {type: string}}
              requestBody:
                required: true
                content: {application/json: {schema: {type: object, properties: {pin: {type: string, nullable: true, pattern: "^[0-9]{4,6}$"}}}}}
              responses:
                "204": {description: Set}
                "404": {$ref: "#/components/responses/Error"}
                "422": {$ref: "#/components/responses/Error"}
          /profiles/{id}/switch:
            post:
              summary: Switch this device (the holder's own credential) to a profile with its PIN. The calling credential is revoked and a profile session replaces it; going back to the holder is a full sign-in
              security: [{device: []}, {dpop: []}]
              parameters:
                - {name: id, in: path, required: true, schema: {type: string}}
              requestBody:
                content: {application/json: {schema: {type: object, properties: {pin: {type: string}}}}}
              responses:
                "201":
                  description: Switched
                  content:
                    application/json:
                      schema:
                        type: object
                        properties:
                          token: {type: string, description: "ghd_...: the profile session's credential, shown once"}
                          device_id: {type: string}
                          profile: {$ref: "#/components/schemas/Profile"}
                "403": {description: wrong_pin, or profile_not_allowed (from a profile session or an app password)}
                "404": {$ref: "#/components/responses/Error"}
                "429": {description: The profile's PIN budget is spent for now (throttled; never a lockout of the holder)}
          /profile:
            get:
              summary: The profile this credential is a session of (null for the holder's own device)
              security: [{device: []}, {dpop: []}]
              responses:
                "200": {description: OK, content: {application/json: {schema: {type: object, properties: {profile: {allOf: [{$ref: "#/components/schemas/Profile"}], nullable: true}}}}}}
          /devices/sign-out-all:
            post:
              summary: Sign out every device and revoke every app password (keeping this device unless keep_current is false)
              security: [{device: []}]
              requestBody:
                content: {application/json: {schema: {type: object, properties: {keep_current: {type: boolean, default: true}}}}}
              responses:
                "200": {description: Count of devices signed out}
          /security-activity:
            get:
              summary: The account's recent security events
              security: [{device: []}]
              responses:
                "200": {description: OK}
          /account/2fa:
            get:
              summary: Two-factor status
              security: [{device: []}]
              responses:
                "200": {description: OK}
            delete:
              summary: Turn two-factor sign-in off (needs recent re-authentication)
              security: [{device: []}]
              responses:
                "204": {description: Off}
                "403": {$ref: "#/components/responses/Error"}
          /account/2fa/totp:
            post:
              summary: Begin TOTP enrolment (secret, otpauth URI and QR code)
              security: [{device: []}]
              responses:
                "201": {description: Enrolment started}
          /account/2fa/totp/confirm:
            post:
              summary: Confirm enrolment with a first code; returns recovery codes once
              security: [{device: []}]
              requestBody:
                content: {application/json: {schema: {type: object, required: [code], properties: {code: {type: string}}}}}
              responses:
                "200": {description: Enabled}
                "422": {$ref: "#/components/responses/Error"}
          /account/2fa/recovery-codes:
            post:
              summary: Make new recovery codes (needs recent re-authentication)
              security: [{device: []}]
              responses:
                "200": {description: New codes}
          /password-reset:
            post:
              summary: Ask for a reset link (same answer whether or not the account exists)
              requestBody:
                content: {application/json: {schema: {type: object, required: [identifier], properties: {identifier: {type: string}}}}}
              responses:
                "202": {description: Accepted}
          /password-reset/confirm:
            post:
              summary: Set a new password with a mailed token
              requestBody:
                content:
                  application/json:
                    schema:
                      type: object
                      required: [token, new_password]
                      properties:
                        token: {type: string}
                        new_password: {type: string}
                        recovery_code: {type: string, description: "Needed for a passkey-only account (a recovery code; this also switches it back to password sign-in), and for an account locked with \"This wasn't me\" that has two-factor sign-in on (an authenticator code or a recovery code)."}
              responses:
                "200": {description: Reset}
                "400": {$ref: "#/components/responses/Error"}
                "403": {description: "recovery_code_required (a passkey-only account) or second_factor_required (a locked account with two-factor sign-in): the link alone is not enough"}
                "422": {$ref: "#/components/responses/Error"}
          /account/lock:
            post:
              summary: "\"This wasn't me\": lock the account with the link of a security mail (signs out every device, app password and profile; sign-in is refused until a reset)"
              requestBody:
                content: {application/json: {schema: {type: object, required: [token], properties: {token: {type: string, description: The token of the mailed /not-me link}}}}}
              responses:
                "200": {description: "Locked: {locked, signed_out, message}"}
                "400": {$ref: "#/components/responses/Error"}
                "409": {description: link_used (each link works once)}
          /notices:
            get:
              summary: Banners of open incidents, for apps and pages
              responses:
                "200": {description: OK}
          /servers/claims:
            post:
              summary: A media server asks for a claim code (it sends only the SHA-256 of its own credential)
              requestBody:
                content:
                  application/json:
                    schema:
                      type: object
                      required: [name, version, platform, url, credential_digest]
                      properties:
                        name: {type: string}
                        version: {type: string}
                        platform: {type: string}
                        url: {type: string}
                        credential_digest: {type: string, description: 64 hex characters}
              responses:
                "201": {description: "{code, expires_at}"}
                "422": {$ref: "#/components/responses/Error"}
          /servers/claim:
            post:
              summary: The owner claims the server showing a code (needs a recent sign-in or re-authentication)
              security: [{device: []}]
              requestBody:
                content: {application/json: {schema: {type: object, required: [code], properties: {code: {type: string}}}}}
              responses:
                "201": {description: Claimed}
                "403": {description: reauthentication_required}
                "404": {$ref: "#/components/responses/Error"}
          /servers:
            get:
              summary: Servers the account owns and servers shared with it
              description: >-
                owned and shared (accepted shares only) are server lists; pending lists shares offered to the account
                and waiting for its answer ({server_id, name, owner_username, sections, shared_at}); outgoing lists
                every share of the account's own servers ({server_id, server_name, account_id, username, section,
                state: pending or accepted, shared_at, accepted_at}).
              security: [{device: []}]
              responses:
                "200": {description: "{owned, shared, pending, outgoing}"}
          /servers/{id}:
            delete:
              summary: Remove a server (its credential stops working; needs a recent re-authentication)
              security: [{device: []}]
              parameters:
                - {name: id, in: path, required: true, schema: {type: string}}
              responses:
                "204": {description: Removed}
                "403": {description: reauthentication_required}
                "404": {$ref: "#/components/responses/Error"}
          /servers/{id}/token:
            post:
              summary: A five-minute access token for one server (Ed25519, audience = that server). For a DPoP-bound device it carries cnf.jkt and the media server wants a proof with it; an app password needs the media scope
              security: [{device: []}, {dpop: []}, {appPassword: []}]
              parameters:
                - {name: id, in: path, required: true, schema: {type: string}}
              responses:
                "200": {description: "{token, expires_at}"}
                "403": {$ref: "#/components/responses/Error"}
          /servers/{id}/shares:
            get:
              summary: Who the owner shares which sections with
              security: [{device: []}]
              parameters:
                - {name: id, in: path, required: true, schema: {type: string}}
              responses:
                "200": {description: "[{section, account_id, state: pending or accepted, shared_at, accepted_at}]"}
            post:
              summary: Offer sections to another account (a pending share until the recipient accepts)
              description: >-
                Needs a recent re-authentication. The share gives nothing (no token, no revocation audience) until the
                recipient accepts it (POST /servers/{id}/accept). The owner is mailed on every new share (with the
                "This wasn't me" link). The answer is the same whether or not the account exists.
              security: [{device: []}]
              parameters:
                - {name: id, in: path, required: true, schema: {type: string}}
              requestBody:
                content:
                  application/json:
                    schema:
                      type: object
                      required: [account, sections]
                      properties:
                        account: {type: string}
                        sections: {type: array, items: {type: string}}
              responses:
                "204": {description: Offered}
                "403": {description: reauthentication_required}
                "404": {$ref: "#/components/responses/Error"}
                "422": {$ref: "#/components/responses/Error"}
          /servers/{id}/shares/{account}:
            delete:
              summary: Take a share back (one section with ?section=, or all)
              description: >-
                Needs a recent re-authentication. Only when a share existed, a revocation naming this server is
                written to the revocation log: that server refuses the account's older tokens; the account's
                devices and other servers are untouched. The answer is the same either way.
              security: [{device: []}]
              parameters:
                - {name: id, in: path, required: true, schema: {type: string}}
                - {name: account, in: path, required: true, schema: {type: string}}
              responses:
                "204": {description: Unshared}
                "403": {description: reauthentication_required}
          /servers/{id}/accept:
            post:
              summary: The recipient accepts the pending shares of a server offered to it
              security: [{device: []}]
              parameters:
                - {name: id, in: path, required: true, schema: {type: string}}
              responses:
                "204": {description: Accepted}
                "404": {description: no_pending_share}
          /servers/{id}/decline:
            post:
              summary: The recipient declines the pending shares of a server offered to it (they are deleted)
              security: [{device: []}]
              parameters:
                - {name: id, in: path, required: true, schema: {type: string}}
              responses:
                "204": {description: Declined}
                "404": {description: no_pending_share}
          /keys/media:
            get:
              summary: Public Ed25519 keys media servers verify access tokens with
              responses:
                "200": {description: "{keys: [{kid, public_key, signed_by?, signature?}]}; each key after the first is endorsed by the previous one"}
          /servers/me:
            get:
              summary: A media server learns whether it is claimed (server credential)
              responses:
                "200": {description: Claimed}
                "401": {$ref: "#/components/responses/Error"}
          /servers/me/heartbeat:
            post:
              summary: A media server reports its version (server credential)
              requestBody:
                content:
                  application/json:
                    schema: {type: object, required: [version, platform], properties: {version: {type: string}, platform: {type: string}}}
              responses:
                "204": {description: Recorded}
          /releases:
            get:
              summary: Signed release manifests (optionally of one channel), the signed release-key lists and the signed release list
              parameters:
                - {name: channel, in: query, required: false, schema: {type: string, enum: [stable, beta]}}
              responses:
                "200": {description: "{releases: [{manifest, key_id, signature}], key_lists: [...], release_list?: {list, key_id, signature}}"}
          /releases/{version}/artifact:
            get:
              summary: A release's artifact (check its size and SHA-256 against the signed manifest)
              parameters:
                - {name: version, in: path, required: true, schema: {type: string}}
              responses:
                "200": {description: application/octet-stream}
                "404": {$ref: "#/components/responses/Error"}
          /advisories:
            get:
              summary: Security advisories (affected range, fixed version, severity, summary, and the release key's signed form)
              responses:
                "200": {description: OK}
          /servers/me/update-report:
            post:
              summary: A media server reports an update (installed, rolled_back, available, refused); a rollback mails the owner
              requestBody:
                content:
                  application/json:
                    schema:
                      type: object
                      required: [version, outcome]
                      properties:
                        version: {type: string}
                        outcome: {type: string, enum: [installed, rolled_back, available, refused]}
                        reason: {type: string}
              responses:
                "204": {description: Recorded}
          /servers/me/revocations:
            get:
              summary: Server-sent events announcing revocations that concern this server (server credential)
              description: >-
                Each revocation event is {account_id, device_ids, all_devices, at (ms)} and, for a share taken back,
                server_id: the server it concerns (sent only to that server; a server that does not know the field
                reads it as every token of the account before at, which on that server is the same).
              responses:
                "200": {description: text/event-stream}
          /oauth/device_authorization:
            servers:
              - url: /
                description: The OAuth endpoints are at the hub's root, outside /api/v1.
            post:
              summary: Start a device-code sign-in (RFC 8628 device authorization request)
              description: >-
                For TVs and apps without a keyboard. Show user_code (or a QR code of verification_uri_complete),
                then poll /oauth/token. Both codes are single use and live 600 s. Unregistered client_ids are refused
                (invalid_client) unless the operator allows them. 30 requests an hour per address, then 429.
              requestBody:
                content:
                  application/x-www-form-urlencoded:
                    schema:
                      type: object
                      required: [client_id]
                      properties:
                        client_id: {type: string, maxLength: 64}
                        scope: {type: string, maxLength: 200}
                        device_name: {type: string, description: Extension; shown on /link.}
                        product: {type: string, description: Extension; shown on /link.}
                        version: {type: string, description: Extension; shown on /link.}
                        platform: {type: string, description: Extension; shown on /link.}
              responses:
                "200":
                  description: The codes
                  content:
                    application/json:
                      schema:
                        type: object
                        properties:
                          device_code: {type: string}
                          user_code: {type: string, description: "XXXX-XXXX from BCDFGHJKLMNPQRSTVWXZ; case and dashes are ignored when typed"}
                          verification_uri: {type: string, description: PUBLIC_URL/link}
                          verification_uri_complete: {type: string, description: "PUBLIC_URL/link?code=XXXX-XXXX"}
                          expires_in: {type: integer, description: "600"}
                          interval: {type: integer, description: "5"}
                "400": {$ref: "#/components/responses/OAuthError"}
                "429": {$ref: "#/components/responses/OAuthError"}
          /oauth/token:
            servers:
              - url: /
                description: The OAuth endpoints are at the hub's root, outside /api/v1.
            post:
              summary: Poll for the device credential (RFC 8628 device access token request)
              description: >-
                grant_type=urn:ietf:params:oauth:grant-type:device_code. Errors (400) are authorization_pending,
                slow_down (polled sooner than the interval; the interval grows by 5 s), access_denied, expired_token,
                invalid_grant (unknown or used device_code, or another client's), invalid_client, invalid_request and
                unsupported_grant_type. Success is single use: the device_code is spent.
              requestBody:
                content:
                  application/x-www-form-urlencoded:
                    schema:
                      type: object
                      required: [grant_type, device_code, client_id]
                      properties:
                        grant_type: {type: string, enum: ["urn:ietf:params:oauth:grant-type:device_code"]}
                        device_code: {type: string}
                        client_id: {type: string}
              responses:
                "200":
                  description: A device credential, like the token of POST /sessions (listed with the devices, revoked by sign-out-all)
                  content:
                    application/json:
                      schema:
                        type: object
                        properties:
                          access_token: {type: string}
                          token_type: {type: string, enum: [Bearer]}
                          expires_in: {type: integer, description: Seconds until the credential lapses unless used}
                "400": {$ref: "#/components/responses/OAuthError"}
        """
}
