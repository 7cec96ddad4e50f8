"""`gatehouse doctor` (issue 18): every critical check fires on a misconfigured setup the test makes, and a sound
setup passes (exit 0, warnings allowed).

Run: GATEHOUSE_BIN=$PWD/.build/debug/gatehouse python3 -m pytest -q e2e/test_doctor.py
"""

import email.utils
import http.server
import os
import re
import shutil
import subprocess
import sqlite3
import threading
import time

import pytest

from hubkit import SMTPSink, free_port
from opskit import cli

ROW = re.compile(r"^(?P<check>\S.*?)\s{2,}(?P<status>ok|WARNING|CRITICAL|unknown)\s{2,}(?P<why>.*)$")


def rows(output):
    found = {}
    for line in output.splitlines():
        match = ROW.match(line)
        if match:
            found[match.group("check")] = (match.group("status"), match.group("why"))
    return found


class Setup:
    """A hub's data folder, database and keyring (made by an operator command), and the doctor's flags."""

    def __init__(self, root):
        self.root = str(root)
        self.data = os.path.join(self.root, "data")
        self.keyring_dir = os.path.join(self.root, "secrets")
        self.keyring = os.path.join(self.keyring_dir, "keyring.json")
        self.home = os.path.join(self.root, "home")
        os.makedirs(self.home)
        made = cli("audit", "verify", "--data", self.data, "--keyring", self.keyring, env={"HOME": self.home})
        assert made.returncode == 0, made.stderr
        self.args = ["--public-url", "https://hub.example.net", "--trusted-proxy", "127.0.0.1"]
        self.env = {"HOME": self.home}

    def doctor(self, *extra, env=None):
        run_env = dict(self.env)
        run_env.update(env or {})
        result = cli("doctor", "--data", self.data, "--keyring", self.keyring, "--skip-hash-timing", *self.args,
                     *extra, env=run_env, cwd=self.home)
        return result, rows(result.stdout)


def expect_critical(result, found, check, words=()):
    assert result.returncode == 1, result.stdout + result.stderr
    assert check in found, result.stdout
    status, why = found[check]
    assert status == "CRITICAL", result.stdout
    for word in words:
        assert word in why, why
    criticals = [name for name, (state, _) in found.items() if state == "CRITICAL"]
    assert criticals == [check], f"only {check} should fail here, got {criticals}:\n{result.stdout}"


@pytest.fixture
def setup(tmp_path):
    return Setup(tmp_path)


def test_a_sound_setup_passes(setup):
    result, found = setup.doctor()
    assert result.returncode == 0, result.stdout + result.stderr
    for check in ("keyring permissions", "keyring outside backups", "release key on this host", "TLS and proxy",
                  "migrations", "keyring matches database", "sign-up", "admin credentials", "Argon2 cost",
                  "breached passwords", "mail", "clock skew", "disk space"):
        assert check in found, result.stdout
    assert found["clock skew"][0] == "unknown"
    # The hash time is measured when asked.
    timed = cli("doctor", "--data", setup.data, "--keyring", setup.keyring, *setup.args, env=setup.env, cwd=setup.home)
    assert re.search(r"hash time\s+ok\s+one keyed hash at the configured cost took \d+ ms", timed.stdout), timed.stdout


def test_world_readable_keyring(setup):
    os.chmod(setup.keyring, 0o644)
    expect_critical(*setup.doctor(), "keyring permissions", ["644"])


def test_keyring_folder_writable_by_others(setup):
    os.chmod(setup.keyring_dir, 0o777)
    expect_critical(*setup.doctor(), "keyring folder")


def test_keyring_beside_the_database(setup):
    beside = os.path.join(setup.data, "keyring.json")
    shutil.copy2(setup.keyring, beside)
    setup.keyring = beside
    expect_critical(*setup.doctor(), "keyring outside backups", ["same folder as the database"])


def test_keyring_inside_the_backup_folder(setup):
    expect_critical(*setup.doctor("--backup-dir", setup.root), "keyring outside backups", ["your backups copy"])


def test_release_signing_key_on_the_hub_host(setup, tmp_path):
    offline = str(tmp_path / "offline")
    os.makedirs(offline)
    key = os.path.join(offline, "release-key.json")
    made = cli("releases", "keygen", "--out", key)
    assert made.returncode == 0, made.stderr
    shutil.copy2(key, os.path.join(setup.data, "release-key.json"))
    expect_critical(*setup.doctor(), "release key on this host", ["release-key.json"])


def test_weak_argon2_with_the_override(setup):
    weak = {"GATEHOUSE_ARGON2_MEMORY_KIB": "1024", "GATEHOUSE_ARGON2_ITERATIONS": "1",
            "GATEHOUSE_ARGON2_ALLOW_WEAK": "1"}
    expect_critical(*setup.doctor(env=weak), "Argon2 cost", ["OWASP", "GATEHOUSE_ARGON2_ALLOW_WEAK"])


def test_no_tls_and_no_proxy(setup):
    setup.args = ["--public-url", "http://hub.example.net"]
    expect_critical(*setup.doctor(), "TLS and proxy", ["no TLS"])


def test_first_account_is_admin_is_a_deprecated_no_op(setup):
    """--first-account-is-admin no longer makes anyone an admin (the setup link does): doctor says to drop it."""
    result, found = setup.doctor("--first-account-is-admin")
    status, why = found["sign-up"]
    assert status == "WARNING", result.stdout
    assert "deprecated" in why and "setup link" in why, why


def test_keyring_of_another_hub(setup, tmp_path):
    other = str(tmp_path / "other")
    made = cli("audit", "verify", "--data", other)
    assert made.returncode == 0, made.stderr
    shutil.copy2(os.path.join(other, "keys", "keyring.json"), setup.keyring)
    expect_critical(*setup.doctor(), "keyring matches database", ["does not match"])


def test_database_newer_than_this_build(setup):
    db = sqlite3.connect(os.path.join(setup.data, "gatehouse.sqlite"))
    with db:
        db.execute("INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)")
    db.close()
    expect_critical(*setup.doctor(), "migrations", ["newer than this build"])


def test_breach_index_named_but_missing(setup):
    expect_critical(*setup.doctor(env={"GATEHOUSE_BREACH_INDEX": os.path.join(setup.root, "gone.idx")}),
                    "breached passwords", ["does not exist"])


def test_smtp_without_tls(setup, tmp_path):
    sink = SMTPSink(str(tmp_path / "inbox"), tls=False).start()
    try:
        smtp = {"GATEHOUSE_MAIL": "smtp", "GATEHOUSE_SMTP": f"localhost:{sink.port}",
                "GATEHOUSE_SMTP_SECURITY": "none"}
        expect_critical(*setup.doctor(env=smtp), "SMTP", ["without TLS"])
    finally:
        sink.stop()


def test_smtp_unreachable(setup):
    smtp = {"GATEHOUSE_MAIL": "smtp", "GATEHOUSE_SMTP": f"localhost:{free_port()}",
            "GATEHOUSE_SMTP_SECURITY": "starttls"}
    expect_critical(*setup.doctor(env=smtp), "SMTP")


def test_smtp_with_starttls_passes(setup, tmp_path):
    sink = SMTPSink(str(tmp_path / "inbox"), tls=True).start()
    try:
        smtp = {"GATEHOUSE_MAIL": "smtp", "GATEHOUSE_SMTP": f"localhost:{sink.port}",
                "GATEHOUSE_SMTP_SECURITY": "starttls", "GATEHOUSE_SMTP_CA": sink.cert}
        result, found = setup.doctor(env=smtp)
        assert result.returncode == 0, result.stdout
        assert found["SMTP"][0] == "ok", result.stdout
    finally:
        sink.stop()


class SkewedClock(http.server.BaseHTTPRequestHandler):
    skew = 600

    def do_HEAD(self):
        self.send_response_only(200)
        self.send_header("Date", email.utils.formatdate(time.time() + self.skew, usegmt=True))
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_clock_skew_against_a_reference(setup):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SkewedClock)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        expect_critical(*setup.doctor("--time-url", url), "clock skew", ["s against"])
        SkewedClock.skew = 0
        result, found = setup.doctor("--time-url", url)
        assert found["clock skew"][0] == "ok", result.stdout
    finally:
        server.shutdown()


def test_a_database_that_will_not_open(setup):
    database = os.path.join(setup.data, "gatehouse.sqlite")
    assert os.path.exists(database), os.listdir(setup.data)
    for leftover in ("-wal", "-shm"):
        if os.path.exists(database + leftover):
            os.remove(database + leftover)
    with open(database, "wb") as f:
        f.write(b"this is not a database, it was overwritten by mistake" * 100)
    result, found = setup.doctor()
    assert result.returncode == 1, result.stdout + result.stderr
    assert found["database"][0] == "CRITICAL", result.stdout
    assert "cannot open the database" in found["database"][1]


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root")
def test_disk_nearly_full(setup, tmp_path):
    """The database on a real 200 MiB file system (tmpfs): under 256 MiB free is critical."""
    small = str(tmp_path / "small")
    os.makedirs(small)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=200m", "tmpfs", small], check=True)
    try:
        for name in os.listdir(setup.data):
            source = os.path.join(setup.data, name)
            if os.path.isfile(source):
                shutil.copy2(source, os.path.join(small, name))
        setup.data = small
        result, found = setup.doctor()
        expect_critical(result, found, "disk space", words=("free", "writes"))
    finally:
        subprocess.run(["umount", small], check=False)
