"""Helpers for end-to-end tests: start a real hub process, talk to it over HTTP, read the mail it sends."""

import email
import email.policy
import glob
import os
import re
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Every secret the run handed to or got from a hub, and every hub log: e2e/test_zz_log_secrets.py checks at
# the end of the run that no log holds any of them.
SECRETS = set()
LOGS = []
SECRET_FIELDS = {"password", "new_password", "current_password", "token", "known_device_token", "challenge",
                 "code", "recovery_code", "credential_secret", "device_code", "user_code", "access_token"}
TOKEN_SHAPE = re.compile(r"gh[a-z]_[A-Za-z0-9_-]{20,}|ghx1\.[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{16,}")


def remember_secret(value):
    if isinstance(value, str) and len(value) >= 8:
        SECRETS.add(value)


def remember_secrets_in(value):
    """Walks a JSON value and keeps what sits under a secret-looking key, and anything shaped like a token."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in SECRET_FIELDS:
                remember_secret(item)
            remember_secrets_in(item)
    elif isinstance(value, list):
        for item in value:
            remember_secrets_in(item)
    elif isinstance(value, str):
        for token in TOKEN_SHAPE.findall(value):
            SECRETS.add(token)


def gatehouse_bin():
    path = os.environ.get("GATEHOUSE_BIN")
    assert path, "set GATEHOUSE_BIN to the gatehouse executable (scripts/test.sh does)"
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Hub:
    """A `gatehouse serve` process on a free port with its own data folder."""

    def __init__(self, data_dir=None, env=None, args=(), ca=None):
        self.data = data_dir or tempfile.mkdtemp(prefix="gh-hub-")
        self.port = free_port()
        # `ca`: the hub serves https (its args carry --tls-cert/--tls-key) with a certificate from this CA file.
        self.verify = ca or True
        self.url = f"{'https' if ca else 'http'}://localhost:{self.port}"
        self.env = dict(os.environ)
        # Structured logs, as an operator shipping them would run it (test_zz_log_secrets.py reads them).
        self.env.setdefault("GATEHOUSE_LOG_FORMAT", "json")
        # Device verification (a mailed code for a never-seen client without a second factor) is on by default in
        # the hub; most tests sign in many fresh clients and test other things, so they run with it off.
        # e2e/test_household_lock.py turns it on and checks it.
        self.env.setdefault("GATEHOUSE_DEVICE_VERIFICATION", "off")
        self.env.update(env or {})
        self.args = list(args)
        self.process = None
        self.log_path = os.path.join(self.data, "hub.log")
        LOGS.append(self.log_path)

    def start(self):
        os.makedirs(self.data, exist_ok=True)
        log = open(self.log_path, "ab")
        # Tests sign up freely unless they choose a mode (the hub's own default is invite-only).
        mode = [] if any(arg.startswith("--sign-up") for arg in self.args) else ["--sign-up", "open"]
        self.process = subprocess.Popen(
            [gatehouse_bin(), "serve", "--data", self.data, "--port", str(self.port),
             "--public-url", self.url, *mode, *self.args],
            stdout=log, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if requests.get(self.url + "/healthz", timeout=1, verify=self.verify).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            if self.process.poll() is not None:
                raise RuntimeError("hub exited:\n" + open(self.log_path).read())
            time.sleep(0.1)
        raise RuntimeError("hub did not become ready:\n" + open(self.log_path).read())

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode if self.process else None

    def api(self, method, path, token=None, **kwargs):
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
            remember_secret(token)
        remember_secrets_in(kwargs.get("json"))
        response = requests.request(method, self.url + "/api/v1" + path, headers=headers, timeout=30,
                                    verify=self.verify, **kwargs)
        try:
            remember_secrets_in(response.json())
        except ValueError:
            pass
        return response

    def cli(self, *args, input=None, env=None, check=True, with_data=True):
        run_env = dict(self.env)
        run_env.update(env or {})
        result = subprocess.run(
            [gatehouse_bin(), *args, *(["--data", self.data] if with_data else [])], input=input, capture_output=True, text=True,
            env=run_env, timeout=600)
        if check:
            assert result.returncode == 0, result.stderr + result.stdout
        return result

    # Mail written by the file transport.

    def mail_dir(self):
        return os.path.join(self.data, "mail")

    def messages(self):
        return read_messages(self.mail_dir())

    def wait_for_mail(self, predicate, timeout=15):
        return wait_for_mail(self.mail_dir(), predicate, timeout)


def read_messages(folder):
    result = []
    for path in sorted(glob.glob(os.path.join(folder, "*.eml"))):
        with open(path, "rb") as f:
            raw = f.read()
        # Mailed links carry tokens: remember them for the log scan.
        for token in TOKEN_SHAPE.findall(raw.decode("utf-8", "replace")):
            SECRETS.add(token)
        result.append(email.message_from_bytes(raw, policy=email.policy.default))
    return result


def wait_for_mail(folder, predicate, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        for message in read_messages(folder):
            if predicate(message):
                return message
        time.sleep(0.1)
    raise AssertionError("no matching mail arrived; have: " + ", ".join(
        f"{m['To']}: {m['Subject']}" for m in read_messages(folder)))


def text_of(message):
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message):
    return message.get_body(preferencelist=("html",)).get_content()


def token_in(message, prefix):
    found = re.search(r"token=(" + prefix + r"_[A-Za-z0-9_-]+)", text_of(message))
    assert found, "no token in mail: " + text_of(message)
    return found.group(1)


def device(name, client=None, known=None):
    """A device description; `known` is the known-device secret from an earlier sign-in of this device."""
    described = {"client_identifier": client or ("test-" + name), "name": name, "product": "pytest",
                 "version": "1", "platform": "Linux"}
    if known:
        described["known_device_token"] = known
    return described


def register(hub, username, password, email_address=None):
    email_address = email_address or f"{username}@example.com"
    response = hub.api("POST", "/accounts", json={"username": username, "email": email_address,
                                                  "password": password})
    # The same answer whether or not the name or address was free: the next step goes by mail.
    assert response.status_code == 202, response.text
    return response.json()


def verify(hub, email_address):
    message = hub.wait_for_mail(lambda m: m["To"] == email_address and "Confirm" in m["Subject"])
    token = token_in(message, "ghv")
    response = hub.api("POST", "/account/verify-email", json={"token": token})
    assert response.status_code == 200, response.text
    return response.json()


def register_verified(hub, sink, username, password):
    """Signs up through the API and confirms the address from the mail the SMTP sink received."""
    response = hub.api("POST", "/accounts", json={"username": username, "email": f"{username}@example.com",
                                                  "password": password})
    assert response.status_code == 202, response.text
    message = sink.wait_for_mail(lambda m: m["To"] == f"{username}@example.com" and "Confirm" in m["Subject"])
    assert hub.api("POST", "/account/verify-email", json={"token": token_in(message, "ghv")}).status_code == 200


def sign_in(hub, identifier, password, name="laptop", client=None, known=None, full=False):
    response = hub.api("POST", "/sessions", json={"identifier": identifier, "password": password,
                                                  "device": device(name, client, known)})
    assert response.status_code == 201, response.text
    return response.json() if full else response.json()["token"]


SINK = os.path.join(ROOT, "e2e", "support", "smtp_sink.py")


class SMTPSink:
    """e2e/support/smtp_sink.py (aiosmtpd) as a subprocess: a real SMTP server storing what it accepts."""

    def __init__(self, folder, port=0, tls=True, auth=None):
        self.folder = folder
        self.port = port
        self.tls = tls
        self.auth = auth
        self.fault_file = os.path.join(folder, "..", os.path.basename(folder) + ".fault")
        self.process = None
        self.cert = self.key = None
        if tls:
            self.cert = os.path.join(folder + "-cert.pem")
            self.key = os.path.join(folder + "-key.pem")
            subprocess.run(
                ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                 "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", self.key, "-out", self.cert],
                check=True, capture_output=True)

    def start(self):
        os.makedirs(self.folder, exist_ok=True)
        args = ["python3", SINK, "--dir", self.folder, "--port", str(self.port), "--fault-file", self.fault_file]
        if self.tls:
            args += ["--tls-cert", self.cert, "--tls-key", self.key, "--require-starttls"]
        if self.auth:
            args += ["--auth-user", self.auth[0], "--auth-password", self.auth[1]]
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.process.stdout.readline()
        assert line.startswith("LISTENING"), line
        self.port = int(line.split()[1])
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def fault(self, spec):
        """Breaks the server in a given way (see smtp_sink.py), or heals it with None."""
        if spec is None:
            if os.path.exists(self.fault_file):
                os.remove(self.fault_file)
        else:
            with open(self.fault_file, "w") as f:
                f.write(spec)

    def hub_env(self):
        env = {"GATEHOUSE_MAIL": "smtp", "GATEHOUSE_SMTP": f"localhost:{self.port}",
               "GATEHOUSE_SMTP_SECURITY": "starttls" if self.tls else "none",
               "GATEHOUSE_MAIL_FROM": "Gatehouse <security@gatehouse.test>", "GATEHOUSE_MAIL_RETRY_SECONDS": "0.2"}
        if self.tls:
            env["GATEHOUSE_SMTP_CA"] = self.cert
        if self.auth:
            env["GATEHOUSE_SMTP_USERNAME"], env["GATEHOUSE_SMTP_PASSWORD"] = self.auth
        return env

    def messages(self):
        return read_messages(self.folder)

    def wait_for_mail(self, predicate, timeout=20):
        return wait_for_mail(self.folder, predicate, timeout)


def seed_accounts(database, count):
    """Bulk-creates accounts with one live device each (hashes are placeholders: nobody signs in with them)."""
    db = sqlite3.connect(database)
    with db:
        db.executemany(
            "INSERT INTO accounts (id, username, username_key, email, email_key, email_verified, role, reset_required,"
            " created_at) VALUES (?, ?, ?, ?, ?, 1, 'user', 0, 1800000000)",
            ((f"acct{i:07d}", f"user{i}", f"user{i}", f"user{i}@example.com", f"user{i}@example.com")
             for i in range(count)))
        db.executemany(
            "INSERT INTO credentials (account_id, password_hash, changed_at) VALUES (?, 'placeholder', 1800000000)",
            ((f"acct{i:07d}",) for i in range(count)))
        db.executemany(
            "INSERT INTO devices (id, account_id, kind, client_identifier, name, product, version, platform,"
            " ip_address, created_at, last_seen_at, reauthenticated_at, token_digest)"
            " VALUES (?, ?, 'api', 'c', 'Phone', 'App', '1', 'iOS', '192.0.2.1', 1800000000, 1800000000,"
            " 1800000000, ?)",
            ((f"dev{i:07d}", f"acct{i:07d}", f"digest{i:07d}") for i in range(count)))
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
