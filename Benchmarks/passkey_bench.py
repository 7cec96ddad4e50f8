#!/usr/bin/env python3
"""Passkey sign-ins per second against password sign-ins per second, on the same hub in the same run.

Usage: python3 Benchmarks/passkey_bench.py --binary .build/release/gatehouse [--duration 10] [--workers 8]

Starts a release hub on a temporary SQLite folder, makes 64 accounts, and gives each a passkey from a software
authenticator written here (P-256 key, attestation "none", user verification set). Then the same client (worker
processes, each with its own keep-alive connection and forwarded address) signs in for the same time, first with
passwords and then with passkeys, alternating rounds so that noise weighs on both:
  - a password sign-in is one POST /api/v1/sessions (an Argon2id verification on the hashing pool);
  - a passkey sign-in is POST /api/v1/sessions/passkey/options, an ECDSA signature in the client, and
    POST /api/v1/sessions/passkey (no Argon2 at all).
Both end in the same device creation, audit entry and new-sign-in mail. The client's own CPU time is printed too:
on two cores the Python client takes a share the hub does not get.
Needs requests, cbor2 and cryptography (e2e/requirements.txt).
"""

import argparse
import base64
import hashlib
import json
import multiprocessing
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time

import cbor2
import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

PASSWORD = "tangerine-moss-ferry-quartz-8"
ACCOUNTS = 64


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SoftAuthenticator:
    """A platform authenticator in a few lines: one P-256 credential, counter 0 (like a synced passkey)."""

    def __init__(self, origin, rp_id, key_bytes=None, credential_id=None, user_handle=None):
        self.origin = origin
        self.rp_id = rp_id
        self.key = ec.derive_private_key(int.from_bytes(key_bytes, "big"), ec.SECP256R1()) if key_bytes \
            else ec.generate_private_key(ec.SECP256R1())
        self.credential_id = credential_id or os.urandom(16)
        self.user_handle = user_handle

    def state(self):
        number = self.key.private_numbers().private_value.to_bytes(32, "big")
        return (number, self.credential_id, self.user_handle)

    def client_data(self, kind, challenge):
        return json.dumps({"type": kind, "challenge": challenge, "origin": self.origin,
                           "crossOrigin": False}, separators=(",", ":")).encode()

    def register(self, options):
        self.user_handle = unb64u(options["user"]["id"])
        numbers = self.key.public_key().public_numbers()
        cose = cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})
        attested = bytes(16) + len(self.credential_id).to_bytes(2, "big") + self.credential_id + cose
        auth_data = hashlib.sha256(self.rp_id.encode()).digest() + bytes([0x45]) + (0).to_bytes(4, "big") + attested
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {"id": b64u(self.credential_id), "rawId": b64u(self.credential_id), "type": "public-key",
                "clientExtensionResults": {}, "authenticatorAttachment": "platform",
                "response": {"clientDataJSON": b64u(self.client_data("webauthn.create", options["challenge"])),
                             "attestationObject": b64u(attestation), "transports": ["internal"]}}

    def assert_(self, options):
        auth_data = hashlib.sha256(self.rp_id.encode()).digest() + bytes([0x05]) + (0).to_bytes(4, "big")
        client_data = self.client_data("webauthn.get", options["challenge"])
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {"id": b64u(self.credential_id), "rawId": b64u(self.credential_id), "type": "public-key",
                "clientExtensionResults": {}, "authenticatorAttachment": "platform",
                "response": {"clientDataJSON": b64u(client_data), "authenticatorData": b64u(auth_data),
                             "signature": b64u(signature), "userHandle": b64u(self.user_handle)}}


def worker(args):
    """Signs in for `duration` seconds; returns (successes, failures, client CPU seconds)."""
    base, kind, index, duration, states, origin, rp_id = args
    session = requests.Session()
    headers = {"X-Forwarded-For": f"10.9.{index}.1"}
    keys = [SoftAuthenticator(origin, rp_id, *state) for state in states]
    device = {"client_identifier": f"bench-{index}", "name": "bench"}
    done = failed = 0
    counter = index
    start_cpu = time.process_time()
    deadline = time.monotonic() + duration
    while time.monotonic() < deadline:
        counter += 1
        account = counter % ACCOUNTS
        if kind == "password":
            r = session.post(base + "/api/v1/sessions", headers=headers,
                             json={"identifier": f"bench{account}", "password": PASSWORD, "device": device})
        else:
            options = session.post(base + "/api/v1/sessions/passkey/options", headers=headers, json={})
            if options.status_code != 200:
                failed += 1
                continue
            ceremony = options.json()
            # Discoverable sign-in: the client picks the credential (here: the account in turn).
            credential = keys[account].assert_(ceremony["public_key"])
            r = session.post(base + "/api/v1/sessions/passkey", headers=headers,
                             json={"challenge_id": ceremony["challenge_id"], "credential": credential,
                                   "device": device})
        if r.status_code == 201:
            done += 1
        else:
            failed += 1
    return done, failed, time.process_time() - start_cpu


def run(pool, base, kind, workers, duration, states, origin, rp_id):
    started = time.monotonic()
    results = pool.map(worker, [(base, kind, i, duration, states, origin, rp_id) for i in range(workers)])
    elapsed = time.monotonic() - started
    done = sum(r[0] for r in results)
    failed = sum(r[1] for r in results)
    cpu = sum(r[2] for r in results)
    return done / elapsed, failed, cpu / elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--passkey-only", action="store_true", help="skip the password rounds (for profiling)")
    options = parser.parse_args()

    data = tempfile.mkdtemp(prefix="gh-passkey-bench-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    origin = f"http://localhost:{port}"
    hub = subprocess.Popen([options.binary, "serve", "--sign-up", "open", "--device-verification", "off", "--data", data, "--port", str(port), "--public-url", origin,
                            "--trusted-proxy", "127.0.0.1/32", "--log-level", "warning"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                requests.get(base + "/healthz", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.1)
        session = requests.Session()
        states = []
        for index in range(ACCOUNTS):
            forwarded = {"X-Forwarded-For": f"10.3.{index // 200}.{index % 200 + 1}"}
            session.post(base + "/api/v1/accounts", headers=forwarded,
                         json={"username": f"bench{index}", "email": f"bench{index}@example.com",
                               "password": PASSWORD}).raise_for_status()
            signed = session.post(base + "/api/v1/sessions", headers=forwarded,
                                  json={"identifier": f"bench{index}", "password": PASSWORD})
            signed.raise_for_status()
            bearer = {"Authorization": "Bearer " + signed.json()["token"], **forwarded}
            ceremony = session.post(base + "/api/v1/account/passkeys/options", headers=bearer, json={})
            ceremony.raise_for_status()
            ceremony = ceremony.json()
            authenticator = SoftAuthenticator(origin, "localhost")
            added = session.post(base + "/api/v1/account/passkeys", headers=bearer,
                                 json={"challenge_id": ceremony["challenge_id"], "name": "bench key",
                                       "credential": authenticator.register(ceremony["public_key"])})
            assert added.status_code == 201, added.text
            states.append(authenticator.state())

        cores = os.cpu_count()
        print(f"machine: {cores} cores, load {os.getloadavg()[0]:.1f}; {options.workers} client processes, "
              f"{options.duration} s per measurement, {options.rounds} rounds alternating\n")
        password_rates, passkey_rates = [], []
        with multiprocessing.Pool(options.workers) as pool:
            for round_number in range(options.rounds):
                pw = (1.0, 0, 0.0) if options.passkey_only else \
                    run(pool, base, "password", options.workers, options.duration, states, origin, "localhost")
                pk = run(pool, base, "passkey", options.workers, options.duration, states, origin, "localhost")
                password_rates.append(pw[0])
                passkey_rates.append(pk[0])
                print(f"round {round_number + 1}: password {pw[0]:7.1f} sign-ins/s (failed {pw[1]}, client CPU "
                      f"{pw[2]:.2f} cores)   passkey {pk[0]:7.1f} sign-ins/s (failed {pk[1]}, client CPU "
                      f"{pk[2]:.2f} cores)   ratio {pk[0] / pw[0]:.2f}")
                assert pw[1] == 0 and pk[1] == 0, "a sign-in failed"
        pw, pk = statistics.median(password_rates), statistics.median(passkey_rates)
        print(f"\nmedian: password {pw:.1f} /s, passkey {pk:.1f} /s, passkey/password {pk / pw:.2f}")
    finally:
        if options.passkey_only:
            print(f"hub pid was {hub.pid}")
        hub.terminate()
        hub.wait(timeout=10)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
