#!/usr/bin/env python3
"""DPoP-bound vs bearer authenticated requests per second on the same hub, in the same run (issue 15, Must show 6).

Usage: python3 Benchmarks/dpop_bench.py --binary .build/debug/gatehouse [--duration 10] [--connections 16]
       [--alg ES256|EdDSA] [--rounds 2]
Starts one hub (benchmark mode, temporary SQLite), signs one account in twice: once plainly (a bearer credential)
and once with a DPoP proof (a credential bound to an ES256 or Ed25519 key). Then, alternating, wrk drives
GET /api/v1/account with the bearer credential, and with the bound one plus a fresh proof per request (proofs are
signed beforehand by this script with the `cryptography` package, each with its own jti, so none is a replay; the
hub checks every one: signature, htm, htu, iat, ath, jti). The ratio is DPoP req/s over bearer req/s; beside it,
the hub's own CPU time per request (from /proc, so other processes' load disturbs it less) gives a second ratio,
bearer CPU per request over DPoP CPU per request. Any non-2xx answer is reported (a replayed proof would be one). Needs wrk (Debian) and cryptography, requests (PyPI).
"""

import argparse
import base64
import hashlib
import json
import os
import re
import socket
import subprocess
import tempfile
import time
import uuid

import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = "tangerine-moss-ferry-quartz-8"


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Key:
    def __init__(self, alg):
        self.alg = alg
        if alg == "ES256":
            self.private = ec.generate_private_key(ec.SECP256R1())
            numbers = self.private.public_key().public_numbers()
            self.jwk = {"kty": "EC", "crv": "P-256", "x": b64(numbers.x.to_bytes(32, "big")),
                        "y": b64(numbers.y.to_bytes(32, "big"))}
        else:
            self.private = ed25519.Ed25519PrivateKey.generate()
            raw = self.private.public_key().public_bytes_raw()
            self.jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64(raw)}
        self.header = b64(json.dumps({"typ": "dpop+jwt", "alg": alg, "jwk": self.jwk}, separators=(",", ":")).encode())

    def proof(self, method, url, token=None):
        claims = {"jti": uuid.uuid4().hex, "htm": method, "htu": url, "iat": int(time.time())}
        if token:
            claims["ath"] = b64(hashlib.sha256(token.encode()).digest())
        signing_input = self.header + "." + b64(json.dumps(claims, separators=(",", ":")).encode())
        if self.alg == "ES256":
            r, s = decode_dss_signature(self.private.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
            signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        else:
            signature = self.private.sign(signing_input.encode())
        return signing_input + "." + b64(signature)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wrk(url, duration, connections, env):
    script = os.path.join(ROOT, "Benchmarks", "dpop.lua")
    output = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", script, url],
                            capture_output=True, text=True, check=True, env={**os.environ, **env}).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    total = int(re.search(r"(\d+) requests in", output).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    scale = {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return rps, float(p99.group(1)) * scale, int(non2xx.group(1)) if non2xx else 0, total


def cpu_seconds(pid):
    """User + system CPU time of a process so far (from /proc), in seconds."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(pid, *args):
    """wrk's figures plus the hub's CPU time per request (less sensitive than req/s to other load on the machine)."""
    before = cpu_seconds(pid)
    result = wrk(*args)
    used = cpu_seconds(pid) - before
    return result + (used / max(result[3], 1) * 1e6,)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "debug", "gatehouse"))
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--alg", default="ES256", choices=["ES256", "EdDSA"])
    parser.add_argument("--rounds", type=int, default=2)
    options = parser.parse_args()
    data = tempfile.mkdtemp(prefix="gh-dpop-bench-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    hub = subprocess.Popen([options.binary, "serve", "--sign-up", "open", "--device-verification", "off", "--data", data, "--port", str(port), "--public-url", base,
                            "--benchmark-mode", "--log-level", "warning"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                requests.get(base + "/healthz", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.1)
        session = requests.Session()
        session.post(base + "/api/v1/accounts", json={"username": "bench", "email": "bench@example.com",
                                                      "password": PASSWORD}).raise_for_status()
        body = {"identifier": "bench", "password": PASSWORD}
        bearer = session.post(base + "/api/v1/sessions", json=body).json()["token"]
        key = Key(options.alg)
        signed_in = session.post(base + "/api/v1/sessions", json=body,
                                 headers={"DPoP": key.proof("POST", base + "/api/v1/sessions")}).json()
        assert signed_in["token_type"] == "DPoP", signed_in
        bound = signed_in["token"]
        path = "/api/v1/account"
        url = base + path
        load = open("/proc/loadavg").read().split()[:3]
        print(f"machine: {os.cpu_count()} cores, load average {' '.join(load)}; wrk -t2 -c{options.connections} "
              f"-d{options.duration}s over loopback; binary {options.binary}; proofs {options.alg}\n")
        folder = tempfile.mkdtemp(prefix="gh-dpop-proofs-")
        ratios = []
        for round_number in range(1, options.rounds + 1):
            plain = measured(hub.pid, url, options.duration, options.connections,
                        {"DPOP_BENCH_MODE": "bearer", "DPOP_BENCH_TOKEN": bearer, "DPOP_BENCH_PATH": path})
            # Enough fresh proofs for the bearer rate over the whole run, plus a margin; signed just before the
            # run so every iat is inside the hub's 60 s window.
            count = int(plain[0] * options.duration * 1.3) + 1000
            began = time.time()
            proofs = [key.proof("GET", url, bound) for _ in range(count)]
            for thread in (1, 2):
                with open(os.path.join(folder, f"proofs-{thread}.txt"), "w") as f:
                    f.write("\n".join(proofs[thread - 1::2]) + "\n")
            signing = time.time() - began
            assert signing + options.duration < 55, "proof signing took too long for the iat window"
            dpop = measured(hub.pid, url, options.duration, options.connections,
                       {"DPOP_BENCH_MODE": "dpop", "DPOP_BENCH_TOKEN": bound, "DPOP_BENCH_PATH": path,
                        "DPOP_BENCH_DIR": folder})
            ratio = dpop[0] / plain[0]
            cpu_ratio = plain[4] / dpop[4]
            ratios.append((ratio, cpu_ratio))
            print(f"round {round_number}")
            print(f"   bearer: {plain[0]:9.0f} req/s   p99 {plain[1]:7.2f} ms   non-2xx {plain[2]}"
                  f"   hub CPU {plain[4]:7.1f} us/request")
            print(f"   DPoP:   {dpop[0]:9.0f} req/s   p99 {dpop[1]:7.2f} ms   non-2xx {dpop[2]} of {dpop[3]}"
                  f"   hub CPU {dpop[4]:7.1f} us/request   ({count} proofs signed in {signing:.1f} s)")
            print(f"   ratio DPoP/bearer: {ratio:.3f} by req/s, {cpu_ratio:.3f} by hub CPU per request   (goal >= 0.8)\n")
        print("ratios (req/s): " + ", ".join(f"{r[0]:.3f}" for r in ratios))
        print("ratios (hub CPU per request): " + ", ".join(f"{r[1]:.3f}" for r in ratios))
    finally:
        hub.terminate()
        hub.wait()


if __name__ == "__main__":
    main()
