"""Helpers for the backup/restore and doctor tests: PostgreSQL scratch databases, the CLI, a software passkey."""

import base64
import hashlib
import json
import os
import subprocess
import uuid
from urllib.parse import urlparse, unquote

import cbor2
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from hubkit import gatehouse_bin

PASSPHRASE = "correct horse battery staple, restored"


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def postgres_admin_url():
    """The server the Swift tests use (scripts/test.sh sets it); PostgreSQL cases skip without it unless required."""
    url = os.environ.get("GATEHOUSE_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("GATEHOUSE_REQUIRE_POSTGRES") == "1":
            pytest.fail("GATEHOUSE_TEST_POSTGRES_URL is not set")
        pytest.skip("no PostgreSQL: set GATEHOUSE_TEST_POSTGRES_URL (scripts/start-postgres.sh DIR PORT)")
    return url


def pg_env(url):
    parts = urlparse(url)
    env = dict(os.environ)
    env.update({"PGHOST": parts.hostname, "PGPORT": str(parts.port or 5432), "PGUSER": unquote(parts.username or ""),
                "PGDATABASE": parts.path.lstrip("/")})
    if parts.password:
        env["PGPASSWORD"] = unquote(parts.password)
    return env


def psql(url, sql):
    result = subprocess.run(["psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql], env=pg_env(url),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def scratch_database(admin_url):
    """A new empty database on the test server; returns its URL."""
    name = "gh_ops_" + uuid.uuid4().hex[:12]
    psql(admin_url, f"CREATE DATABASE {name}")
    parts = urlparse(admin_url)
    return parts._replace(path="/" + name).geturl()


def drop_database(admin_url, url):
    name = urlparse(url).path.lstrip("/")
    psql(admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def cli(*args, env=None, input=None, cwd=None):
    """Runs gatehouse; returns the CompletedProcess (the caller checks the exit status)."""
    run_env = dict(os.environ)
    run_env.update(env or {})
    return subprocess.run([gatehouse_bin(), *args], capture_output=True, text=True, env=run_env, input=input,
                          timeout=600, cwd=cwd)


class SoftPasskey:
    """A software authenticator (ES256, "none" attestation, user verified) for one relying party and origin."""

    def __init__(self, origin, rp_id="localhost"):
        self.origin = origin
        self.rp_id = rp_id
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.count = 0
        self.user_handle = None

    def _rp_hash(self):
        return hashlib.sha256(self.rp_id.encode()).digest()

    def _client_data(self, kind, challenge):
        return json.dumps({"type": kind, "challenge": challenge, "origin": self.origin,
                           "crossOrigin": False}).encode()

    def register(self, options):
        numbers = self.key.public_key().public_numbers()
        cose = cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"),
                            -3: numbers.y.to_bytes(32, "big")}, canonical=True)
        auth_data = (self._rp_hash() + bytes([0x45]) + (0).to_bytes(4, "big") + bytes(16)
                     + len(self.credential_id).to_bytes(2, "big") + self.credential_id + cose)
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data}, canonical=True)
        self.user_handle = options["user"]["id"]
        client_data = self._client_data("webauthn.create", options["challenge"])
        return {"id": b64u(self.credential_id), "rawId": b64u(self.credential_id), "type": "public-key",
                "response": {"clientDataJSON": b64u(client_data), "attestationObject": b64u(attestation),
                             "transports": ["internal"]},
                "clientExtensionResults": {}}

    def assertion(self, options):
        self.count += 1
        auth_data = self._rp_hash() + bytes([0x05]) + self.count.to_bytes(4, "big")
        client_data = self._client_data("webauthn.get", options["challenge"])
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {"id": b64u(self.credential_id), "rawId": b64u(self.credential_id), "type": "public-key",
                "response": {"clientDataJSON": b64u(client_data), "authenticatorData": b64u(auth_data),
                             "signature": b64u(signature), "userHandle": self.user_handle},
                "clientExtensionResults": {}}


def add_passkey(hub, token, passkey, password):
    options = hub.api("POST", "/account/passkeys/options", token=token)
    if options.status_code != 200:
        confirmed = hub.api("POST", "/session/reauthenticate", token=token, json={"password": password})
        assert confirmed.status_code == 200, confirmed.text
        options = hub.api("POST", "/account/passkeys/options", token=token)
    assert options.status_code == 200, options.text
    body = options.json()
    added = hub.api("POST", "/account/passkeys", token=token,
                    json={"challenge_id": body["challenge_id"], "name": "Soft key",
                          "credential": passkey.register(body["public_key"])})
    assert added.status_code == 201, added.text


def passkey_sign_in(hub, passkey):
    options = hub.api("POST", "/sessions/passkey/options")
    assert options.status_code == 200, options.text
    body = options.json()
    return hub.api("POST", "/sessions/passkey",
                   json={"challenge_id": body["challenge_id"], "credential": passkey.assertion(body["public_key"]),
                         "device": {"client_identifier": "test-passkey", "name": "passkey", "product": "pytest",
                                    "version": "1", "platform": "Linux"}})
