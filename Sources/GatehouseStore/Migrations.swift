/// The schema, per dialect. Each migration runs once, in order, in its own transaction; the applied versions are
/// kept in `schema_migrations`. Never edit a migration that has shipped: add a new one.
enum Migrations {
    /// Column types that differ between the dialects.
    struct Types {
        let serial: String
        let int: String
        let blob: String
        /// Statements that exist on one dialect only (PostgreSQL's transaction ids and notifications).
        var isPostgres = false

        static let sqlite = Types(serial: "INTEGER PRIMARY KEY AUTOINCREMENT", int: "INTEGER", blob: "BLOB")
        static let postgres = Types(serial: "BIGSERIAL PRIMARY KEY", int: "BIGINT", blob: "BYTEA", isPostgres: true)
    }

    static func all(_ t: Types) -> [(version: Int, statements: [String])] {
        [
            (1, accountsAndDevices(t)),
            (2, incidentsAndServers(t)),
            (3, revocationLog(t)),
            (
                4,
                [
                    "CREATE TABLE release_key_lists (sequence \(t.int) PRIMARY KEY, document TEXT NOT NULL)"
                ]
            ),
            (5, ["CREATE INDEX revocations_account ON revocations(account_id, all_devices, at_ms)"]),
            (6, ["ALTER TABLE outbox ADD COLUMN template TEXT"]),
            (
                7,
                [
                    // The known-device secret (OWASP device cookie): a keyed digest, cleared on password change.
                    "ALTER TABLE devices ADD COLUMN known_digest TEXT",
                    "CREATE INDEX devices_known ON devices(account_id, known_digest)",
                ]
            ),
            // 8: passkeys (WebAuthn credentials: public keys only) and the per-account "passkey only" switch.
            (
                8,
                [
                    """
                    CREATE TABLE passkeys (
                        credential_id TEXT PRIMARY KEY,
                        account_id TEXT NOT NULL REFERENCES accounts(id),
                        name TEXT NOT NULL,
                        public_key TEXT NOT NULL,
                        algorithm \(t.int) NOT NULL,
                        sign_count \(t.int) NOT NULL,
                        backup_eligible \(t.int) NOT NULL,
                        backup_state \(t.int) NOT NULL,
                        transports TEXT NOT NULL,
                        aaguid TEXT NOT NULL,
                        created_at \(t.int) NOT NULL,
                        last_used_at \(t.int)
                    )
                    """,
                    "CREATE INDEX passkeys_account ON passkeys(account_id)",
                    """
                    CREATE TABLE passkey_policies (
                        account_id TEXT PRIMARY KEY REFERENCES accounts(id),
                        passkey_only \(t.int) NOT NULL
                    )
                    """,
                ]
            ),
            // 9 (7 and 8 are taken by other branches): advisories and the release list arrive signed by the
            // offline release key and are served as given.
            (
                9,
                [
                    "ALTER TABLE advisories ADD COLUMN signed TEXT NOT NULL DEFAULT ''",
                    "CREATE TABLE release_lists (sequence \(t.int) PRIMARY KEY, document TEXT NOT NULL)",
                ]
            ),
            // 10: how a device's person last proved who they were (named in security mails; no secret).
            (10, ["ALTER TABLE devices ADD COLUMN proof TEXT NOT NULL DEFAULT ''"]),
            // 11: the device authorization grant (RFC 8628, `/link`): registered public clients, and device
            // authorizations keyed by the digests of their device and user codes (a media server's also carries the
            // digest of its claim code).
            (
                11,
                [
                    """
                    CREATE TABLE oauth_clients (
                        client_id TEXT PRIMARY KEY,
                        name TEXT NOT NULL,
                        logo TEXT,
                        created_at \(t.int) NOT NULL
                    )
                    """,
                    """
                    CREATE TABLE device_authorizations (
                        device_code_digest TEXT PRIMARY KEY,
                        user_code_digest TEXT NOT NULL UNIQUE,
                        client_id TEXT NOT NULL,
                        scope TEXT NOT NULL,
                        device_name TEXT NOT NULL,
                        product TEXT NOT NULL,
                        version TEXT NOT NULL,
                        platform TEXT NOT NULL,
                        ip_address TEXT NOT NULL,
                        created_at \(t.int) NOT NULL,
                        expires_at \(t.int) NOT NULL,
                        poll_interval \(t.int) NOT NULL,
                        last_polled_ms \(t.int),
                        status TEXT NOT NULL,
                        account_id TEXT,
                        decided_at \(t.int),
                        claim_code_digest TEXT
                    )
                    """,
                    "CREATE INDEX device_authorizations_expiry ON device_authorizations(expires_at)",
                ]
            ),
            // 12: canary accounts, named only by keyed digests of their ids (a copy of the database cannot tell them).
            (12, ["CREATE TABLE canaries (digest TEXT PRIMARY KEY, created_at \(t.int) NOT NULL)"]),
            // 13 (10 to 12 are taken on main): DPoP-bound device credentials (the key's RFC 7638 thumbprint) and app passwords (keyed digests).
            (
                13,
                [
                    "ALTER TABLE devices ADD COLUMN dpop_jkt TEXT",
                    """
                    CREATE TABLE app_passwords (
                        id TEXT PRIMARY KEY,
                        account_id TEXT NOT NULL REFERENCES accounts(id),
                        name TEXT NOT NULL,
                        scopes TEXT NOT NULL,
                        digest TEXT NOT NULL UNIQUE,
                        created_at \(t.int) NOT NULL,
                        expires_at \(t.int) NOT NULL,
                        last_used_at \(t.int),
                        last_used_address TEXT,
                        revoked_at \(t.int)
                    )
                    """,
                    "CREATE INDEX app_passwords_account ON app_passwords(account_id, revoked_at)",
                    // Spent DPoP proofs, when the replay check is shared by every instance (GATEHOUSE_DPOP_REPLAY=database).
                    "CREATE TABLE dpop_proofs (replay_key TEXT PRIMARY KEY, expires_at \(t.int) NOT NULL)",
                    "CREATE INDEX dpop_proofs_expiry ON dpop_proofs(expires_at)",
                ]
            ),
            // 14: facts about the database itself; today only `keyring_check`, which tells whether a keyring is the
            // one this database was written with (KeyringCheck: a keyed MAC of a fixed label, no key material).
            (14, ["CREATE TABLE hub_facts (name TEXT PRIMARY KEY, value TEXT NOT NULL)"]),
            // 15: invitations (a keyed digest of the link's secret; uses spent by a conditional update).
            (
                15,
                [
                    """
                    CREATE TABLE invitations (
                        id TEXT PRIMARY KEY,
                        digest TEXT NOT NULL UNIQUE,
                        inviter_id TEXT NOT NULL REFERENCES accounts(id),
                        email TEXT,
                        email_key TEXT,
                        max_uses \(t.int) NOT NULL,
                        uses \(t.int) NOT NULL DEFAULT 0,
                        shares TEXT NOT NULL DEFAULT '[]',
                        created_at \(t.int) NOT NULL,
                        expires_at \(t.int) NOT NULL,
                        revoked_at \(t.int)
                    )
                    """,
                    "CREATE INDEX invitations_inviter ON invitations(inviter_id, created_at)",
                ]
            ),
            // 16: managed profiles (a name, restrictions as JSON, the PIN only as a keyed digest) and the profile a
            // device's credential is a session of.
            (
                16,
                [
                    """
                    CREATE TABLE profiles (
                        id TEXT PRIMARY KEY,
                        account_id TEXT NOT NULL REFERENCES accounts(id),
                        name TEXT NOT NULL,
                        pin_digest TEXT,
                        restrictions TEXT NOT NULL,
                        created_at \(t.int) NOT NULL
                    )
                    """,
                    "CREATE INDEX profiles_account ON profiles(account_id, created_at)",
                    "ALTER TABLE devices ADD COLUMN profile_id TEXT",
                    "CREATE INDEX devices_profile ON devices(profile_id)",
                ]
            ),
            // 17 (15 and 16 are taken by other branches): a revocation log that cannot skip an out-of-order commit,
            // notifications of it, and outbox rows claimed by one hub instance at a time.
            (17, revocationOrderAndOutboxClaims(t)),
            // 18 (15-17 are other branches'): "This wasn't me" locks and the ids of used lock links.
            (
                18,
                [
                    """
                    CREATE TABLE account_locks (
                        account_id TEXT PRIMARY KEY REFERENCES accounts(id),
                        reason TEXT NOT NULL,
                        locked_at \(t.int) NOT NULL
                    )
                    """,
                    """
                    CREATE TABLE lock_links_used (
                        id TEXT PRIMARY KEY,
                        account_id TEXT NOT NULL,
                        used_at \(t.int) NOT NULL
                    )
                    """,
                ]
            ),
            // 19 (15 to 18 are taken by parallel work): signed audit checkpoints (AuditCheckpoint: C2SP signed notes
            // of every chain's head, signed by a key derived from a keyring signing key).
            (
                19,
                [
                    """
                    CREATE TABLE audit_checkpoints (
                        id \(t.serial),
                        key_id TEXT NOT NULL,
                        events \(t.int) NOT NULL,
                        created_at \(t.int) NOT NULL,
                        note TEXT NOT NULL
                    )
                    """,
                    // Entries written from now on are keyed (HMAC under a keyring-derived key); older ones keep their
                    // plain SHA-256 chain. The cut-over is the newest entry now.
                    """
                    INSERT INTO hub_facts (name, value)
                    SELECT 'audit_keyed_after', CAST(COALESCE(MAX(id), 0) AS TEXT) FROM audit_events
                    """,
                ]
            ),
            // 20: shares by consent. A share stays pending (accepted_at NULL) until its recipient accepts it; shares
            // made before this migration count as accepted. A revocation may name one server (a share taken back):
            // only that server acts on it.
            (
                20,
                [
                    "ALTER TABLE shares ADD COLUMN accepted_at \(t.int)",
                    "UPDATE shares SET accepted_at = created_at",
                    "CREATE INDEX shares_account ON shares(account_id, accepted_at)",
                    "ALTER TABLE revocations ADD COLUMN server_id TEXT",
                ]
            ),
            // 22 (20 and 21 are other branches'): an incident's reset choice gets its own column instead of riding
            // in `scope` as "all+reset" / "accounts+reset".
            (
                22,
                [
                    "ALTER TABLE incidents ADD COLUMN force_reset \(t.int) NOT NULL DEFAULT 0",
                    "UPDATE incidents SET force_reset = 1, scope = REPLACE(scope, '+reset', '') WHERE scope LIKE '%+reset'",
                ]
            ),
        ]
    }

    /// PostgreSQL hands out `seq` at insert, not at commit: a row with a lower `seq` can become visible after one
    /// with a higher `seq`. Each row therefore records the id of the transaction that wrote it (`writer`, an
    /// epoch-extended xid8 as BIGINT); `RevocationLogReader` re-reads every row whose writer may still have been
    /// running at its previous read. A statement-level trigger sends `NOTIFY gatehouse_revocations` (delivered at
    /// commit) so every hub instance reads at once. SQLite has one writer at a time, so `seq` is already commit
    /// order there and the log needs nothing new.
    ///
    /// Outbox rows get a claim (`claimed_by`, `claimed_until` in epoch seconds): an instance sends only rows it
    /// claimed, and a claim left by a crashed instance lapses at `claimed_until`.
    private static func revocationOrderAndOutboxClaims(_ t: Types) -> [String] {
        var statements = [
            "ALTER TABLE outbox ADD COLUMN claimed_by TEXT",
            "ALTER TABLE outbox ADD COLUMN claimed_until \(t.int) NOT NULL DEFAULT 0",
        ]
        if t.isPostgres {
            statements += [
                "ALTER TABLE revocations ADD COLUMN writer BIGINT NOT NULL DEFAULT (pg_current_xact_id()::text::bigint)",
                "CREATE INDEX revocations_writer ON revocations(writer, seq)",
                """
                CREATE OR REPLACE FUNCTION gatehouse_revocations_notify() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_notify('gatehouse_revocations', '');
                    RETURN NULL;
                END
                $$
                """,
                """
                CREATE TRIGGER revocations_notify AFTER INSERT ON revocations
                FOR EACH STATEMENT EXECUTE FUNCTION gatehouse_revocations_notify()
                """,
            ]
        }
        return statements
    }

    private static func accountsAndDevices(_ t: Types) -> [String] {
        [
            """
            CREATE TABLE accounts (
                id TEXT PRIMARY KEY,
                username TEXT NOT NULL,
                username_key TEXT NOT NULL UNIQUE,
                email TEXT NOT NULL,
                email_key TEXT NOT NULL UNIQUE,
                email_verified \(t.int) NOT NULL DEFAULT 0,
                role TEXT NOT NULL,
                reset_required \(t.int) NOT NULL DEFAULT 0,
                anti_phishing_phrase TEXT,
                created_at \(t.int) NOT NULL
            )
            """,
            """
            CREATE TABLE credentials (
                account_id TEXT PRIMARY KEY REFERENCES accounts(id),
                password_hash TEXT NOT NULL,
                changed_at \(t.int) NOT NULL
            )
            """,
            """
            CREATE TABLE password_history (
                id \(t.serial),
                account_id TEXT NOT NULL REFERENCES accounts(id),
                password_hash TEXT NOT NULL,
                retired_at \(t.int) NOT NULL
            )
            """,
            "CREATE INDEX password_history_account ON password_history(account_id, id)",
            """
            CREATE TABLE devices (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id),
                kind TEXT NOT NULL,
                client_identifier TEXT NOT NULL,
                name TEXT NOT NULL,
                product TEXT NOT NULL,
                version TEXT NOT NULL,
                platform TEXT NOT NULL,
                ip_address TEXT NOT NULL,
                created_at \(t.int) NOT NULL,
                last_seen_at \(t.int) NOT NULL,
                reauthenticated_at \(t.int) NOT NULL,
                revoked_at \(t.int),
                token_digest TEXT NOT NULL UNIQUE
            )
            """,
            "CREATE INDEX devices_account ON devices(account_id, revoked_at)",
            "CREATE INDEX devices_client ON devices(account_id, client_identifier)",
            """
            CREATE TABLE one_time_tokens (
                digest TEXT PRIMARY KEY,
                purpose TEXT NOT NULL,
                account_id TEXT NOT NULL,
                payload TEXT NOT NULL,
                expires_at \(t.int) NOT NULL,
                attempts \(t.int) NOT NULL DEFAULT 0
            )
            """,
            "CREATE INDEX one_time_tokens_account ON one_time_tokens(account_id, purpose)",
            """
            CREATE TABLE audit_events (
                id \(t.serial),
                chain TEXT NOT NULL,
                kind TEXT NOT NULL,
                ip_address TEXT NOT NULL,
                detail TEXT NOT NULL,
                created_at \(t.int) NOT NULL,
                previous_hash TEXT NOT NULL,
                hash TEXT NOT NULL
            )
            """,
            "CREATE INDEX audit_events_chain ON audit_events(chain, id)",
            """
            CREATE TABLE outbox (
                id TEXT PRIMARY KEY,
                recipient TEXT NOT NULL,
                subject TEXT NOT NULL,
                text_body TEXT NOT NULL,
                html_body TEXT NOT NULL,
                kind TEXT NOT NULL,
                created_at \(t.int) NOT NULL,
                attempts \(t.int) NOT NULL DEFAULT 0,
                next_attempt_at \(t.int) NOT NULL,
                sent_at \(t.int),
                failed \(t.int) NOT NULL DEFAULT 0,
                last_error TEXT
            )
            """,
            "CREATE INDEX outbox_due ON outbox(sent_at, failed, next_attempt_at)",
            """
            CREATE TABLE throttle (
                key TEXT PRIMARY KEY,
                failures \(t.int) NOT NULL,
                last_failure \(t.int) NOT NULL
            )
            """,
            """
            CREATE TABLE totp (
                account_id TEXT PRIMARY KEY REFERENCES accounts(id),
                sealed_secret TEXT NOT NULL,
                confirmed_at \(t.int),
                last_used_step \(t.int) NOT NULL DEFAULT 0
            )
            """,
            """
            CREATE TABLE recovery_codes (
                account_id TEXT NOT NULL REFERENCES accounts(id),
                digest TEXT NOT NULL,
                created_at \(t.int) NOT NULL,
                used_at \(t.int),
                PRIMARY KEY (account_id, digest)
            )
            """,
        ]
    }

    /// Every revocation, written in the transaction that revokes: hub instances and operator commands share it,
    /// and each hub instance follows it to empty its cache and tell media servers.
    private static func revocationLog(_ t: Types) -> [String] {
        [
            """
            CREATE TABLE revocations (
                seq \(t.serial),
                account_id TEXT NOT NULL,
                device_ids TEXT NOT NULL,
                all_devices \(t.int) NOT NULL,
                at_ms \(t.int) NOT NULL
            )
            """
        ]
    }

    private static func incidentsAndServers(_ t: Types) -> [String] {
        [
            """
            CREATE TABLE incidents (
                id TEXT PRIMARY KEY,
                reason TEXT NOT NULL,
                scope TEXT NOT NULL,
                sign_out_all \(t.int) NOT NULL,
                notify \(t.int) NOT NULL,
                banner TEXT,
                state TEXT NOT NULL,
                cursor TEXT NOT NULL DEFAULT '',
                processed \(t.int) NOT NULL DEFAULT 0,
                total \(t.int) NOT NULL DEFAULT 0,
                created_at \(t.int) NOT NULL,
                resolved_at \(t.int)
            )
            """,
            """
            CREATE TABLE incident_targets (
                incident_id TEXT NOT NULL,
                account_id TEXT NOT NULL,
                PRIMARY KEY (incident_id, account_id)
            )
            """,
            """
            CREATE TABLE incident_done (
                incident_id TEXT NOT NULL,
                account_id TEXT NOT NULL,
                PRIMARY KEY (incident_id, account_id)
            )
            """,
            """
            CREATE TABLE servers (
                id TEXT PRIMARY KEY,
                owner_id TEXT NOT NULL REFERENCES accounts(id),
                name TEXT NOT NULL,
                version TEXT NOT NULL,
                platform TEXT NOT NULL,
                url TEXT NOT NULL,
                credential_digest TEXT NOT NULL UNIQUE,
                created_at \(t.int) NOT NULL,
                last_seen_at \(t.int) NOT NULL,
                removed_at \(t.int),
                alerted_advisory TEXT NOT NULL DEFAULT '',
                next_alert_at \(t.int) NOT NULL DEFAULT 0,
                alerts_sent \(t.int) NOT NULL DEFAULT 0
            )
            """,
            "CREATE INDEX servers_owner ON servers(owner_id, removed_at)",
            """
            CREATE TABLE server_claims (
                code_digest TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                version TEXT NOT NULL,
                platform TEXT NOT NULL,
                url TEXT NOT NULL,
                credential_digest TEXT NOT NULL UNIQUE,
                expires_at \(t.int) NOT NULL
            )
            """,
            """
            CREATE TABLE shares (
                server_id TEXT NOT NULL,
                section TEXT NOT NULL,
                account_id TEXT NOT NULL,
                created_at \(t.int) NOT NULL,
                PRIMARY KEY (server_id, section, account_id)
            )
            """,
            """
            CREATE TABLE releases (
                version TEXT PRIMARY KEY,
                channel TEXT NOT NULL,
                manifest TEXT NOT NULL,
                signature TEXT NOT NULL,
                published_at \(t.int) NOT NULL
            )
            """,
            """
            CREATE TABLE advisories (
                id TEXT PRIMARY KEY,
                affected TEXT NOT NULL,
                fixed TEXT NOT NULL,
                severity TEXT NOT NULL,
                summary TEXT NOT NULL,
                created_at \(t.int) NOT NULL
            )
            """,
        ]
    }
}
