"""`gatehouse drill` (issue 18): on a database made by a live hub it finds nothing; on a copy weakened by the test
(a password hash without the pepper, a plaintext token) it finds exactly those two."""

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from urllib.parse import parse_qs, urlparse

import pyotp
from argon2 import PasswordHasher

from hubkit import Hub, gatehouse_bin, register, sign_in, verify

PASSWORD = "harbour-quince-lantern-58"


def drill(database, *extra):
    result = subprocess.run([gatehouse_bin(), "drill", "--database", database, "--guesses", "2000",
                             "--budget", "10", *extra], capture_output=True, text=True, timeout=600)
    return result.returncode, result.stdout + result.stderr


def make_database():
    hub = Hub().start()
    try:
        for name in ("ann", "ben", "cai"):
            register(hub, name, PASSWORD)
            verify(hub, f"{name}@example.com")
        token = sign_in(hub, "ann", PASSWORD)
        begun = hub.api("POST", "/account/2fa/totp", token=token).json()
        secret = parse_qs(urlparse(begun["uri"]).query)["secret"][0]
        assert hub.api("POST", "/account/2fa/totp/confirm", token=token,
                       json={"code": pyotp.TOTP(secret).now()}).status_code == 200
        sign_in(hub, "ben", PASSWORD)
        hub.api("POST", "/password-reset", json={"identifier": "cai"})
        hub.wait_for_mail(lambda m: m["To"] == "cai@example.com" and m["Subject"] == "Reset your password")
    finally:
        hub.stop()
    return os.path.join(hub.data, "gatehouse.sqlite"), token, secret


def test_the_drill_finds_nothing_on_a_real_database_and_exactly_what_was_planted():
    database, token, secret = make_database()
    size_before = os.path.getsize(database)
    code, output = drill(database)
    assert code == 0, output
    print(output)
    assert "gets: nothing" in output, output
    assert re.search(r"unkeyed Argon2 guesses\s+.*against \d+ hashes \(0 without a pepper", output), output
    assert os.path.getsize(database) == size_before, "the drill must not write to the database it was given"

    # A weakened copy: one account's hash made without the pepper (a common password), and a device credential
    # stored in the clear where a name should be.
    weak = os.path.join(tempfile.mkdtemp(prefix="gh-drill-"), "weak.sqlite")
    shutil.copy(database, weak)
    for suffix in ("-wal", "-shm"):
        if os.path.exists(database + suffix):
            shutil.copy(database + suffix, weak + suffix)
    unpeppered = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1).hash("sunshine")
    with sqlite3.connect(weak) as db:
        ben = db.execute("SELECT id FROM accounts WHERE username = 'ben'").fetchone()[0]
        db.execute("UPDATE credentials SET password_hash = ? WHERE account_id = ?", (unpeppered, ben))
        db.execute("UPDATE devices SET name = ? WHERE account_id = ?", (token, ben))
    code, output = drill(weak)
    assert code == 1, output
    print(output)
    findings = [line for line in output.splitlines() if line.startswith("  - ")]
    assert len(findings) == 2, output
    assert any(f"account {ben}: the password is su…" in line for line in findings), output
    assert any("bearer token in the clear: " + token[:8] in line for line in findings), output
    assert token not in output and secret not in output, "the report must not print usable secrets"
