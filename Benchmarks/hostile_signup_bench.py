#!/usr/bin/env python3
"""Hostile sign-ups against a live hub: does one attacker's flood of expensive requests stall everyone else?

Usage: python3 Benchmarks/hostile_signup_bench.py [--binary PATH] [--seconds 20] [--attackers 16]
Builds the release binary (unless --binary is given), starts a hub on a temporary SQLite folder, and prints, in one
run:
  1. GET /healthz p50/p99 at rest, then while 16 threads send hostile sign-ups (a 260-character password of l33t
     characters and a 252-byte e-mail, the case that once cost 74 s of CPU each), each from its own forwarded address
     (a botnet, so the per-address sign-up throttle does not hide the cost);
  2. a legitimate sign-in's latency at rest and during the attack;
  3. how the hostile requests were answered (status counts) and their median time.
Goal: /healthz p99 during the attack within 2x of p99 at rest.
"""

import argparse
import collections
import os
import socket
import statistics
import subprocess
import tempfile
import threading
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = "tangerine-moss-ferry-quartz-8"
HOSTILE_PASSWORD = "4@8({[<3691!|70$5+%2" * 13
HOSTILE_EMAIL = "a" * 240 + "@example.com"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def probe_healthz(base, seconds):
    session = requests.Session()
    times = []
    deadline = time.time() + seconds
    while time.time() < deadline:
        start = time.perf_counter()
        session.get(base + "/healthz", timeout=60).raise_for_status()
        times.append((time.perf_counter() - start) * 1000)
        time.sleep(0.01)
    return times


def sign_in_times(base, count):
    times = []
    for _ in range(count):
        start = time.perf_counter()
        response = requests.post(base + "/api/v1/sessions", json={"identifier": "bench", "password": PASSWORD},
                                 timeout=120)
        assert response.status_code == 201, response.text
        times.append((time.perf_counter() - start) * 1000)
    return times


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=None)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--attackers", type=int, default=16)
    options = parser.parse_args()
    binary = options.binary
    if not binary:
        subprocess.run(["swift", "build", "-c", "release", "--product", "gatehouse"], cwd=ROOT, check=True)
        binary = os.path.join(ROOT, ".build", "release", "gatehouse")
    data = tempfile.mkdtemp(prefix="gh-hostile-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    hub = subprocess.Popen([binary, "serve", "--sign-up", "open", "--device-verification", "off", "--data", data, "--port", str(port), "--trusted-proxy", "127.0.0.1/32",
                            "--log-level", "warning"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        for _ in range(300):
            try:
                requests.get(base + "/healthz", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.1)
        requests.post(base + "/api/v1/accounts", json={"username": "bench", "email": "bench@example.com",
                                                       "password": PASSWORD}).raise_for_status()
        sign_in_times(base, 2)  # warm up
        rest_health = probe_healthz(base, 5)
        rest_sign_in = sign_in_times(base, 5)

        stop = threading.Event()
        statuses = collections.Counter()
        hostile_times = []
        lock = threading.Lock()

        def attacker(index):
            session = requests.Session()
            sent = 0
            while not stop.is_set():
                sent += 1
                address = f"10.{index}.{sent // 250 % 250}.{sent % 250 + 1}"
                start = time.perf_counter()
                try:
                    response = session.post(
                        base + "/api/v1/accounts", timeout=300,
                        headers={"X-Forwarded-For": address},
                        json={"username": f"h{index}x{sent}", "email": HOSTILE_EMAIL, "password": HOSTILE_PASSWORD})
                    code = response.status_code
                except requests.RequestException as error:
                    code = type(error).__name__
                with lock:
                    statuses[code] += 1
                    hostile_times.append((time.perf_counter() - start) * 1000)

        threads = [threading.Thread(target=attacker, args=(i,), daemon=True) for i in range(options.attackers)]
        for thread in threads:
            thread.start()
        time.sleep(1)
        attack_health = probe_healthz(base, options.seconds)
        attack_sign_in = sign_in_times(base, 5)
        stop.set()
        for thread in threads:
            thread.join(timeout=300)

        print(f"machine: {os.cpu_count()} cores; {options.attackers} attacker threads for {options.seconds} s\n")
        print("| measure | at rest | during the attack | ratio |")
        print("|---|---|---|---|")
        for name, rest, attack in (
                ("/healthz p50 (ms)", statistics.median(rest_health), statistics.median(attack_health)),
                ("/healthz p99 (ms)", percentile(rest_health, 0.99), percentile(attack_health, 0.99)),
                ("sign-in median (ms)", statistics.median(rest_sign_in), statistics.median(attack_sign_in))):
            print(f"| {name} | {rest:.2f} | {attack:.2f} | {attack / rest:.2f} |")
        print()
        print(f"hostile sign-ups answered: {dict(statuses)}; median {statistics.median(hostile_times):.1f} ms, "
              f"p99 {percentile(hostile_times, 0.99):.1f} ms")
    finally:
        hub.terminate()
        hub.wait(timeout=30)


if __name__ == "__main__":
    main()
