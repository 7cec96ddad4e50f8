#!/usr/bin/env python3
"""Resident memory of a release hub: after start, after 1,000 sign-ins, and after a minute idle.

Usage: python3 Benchmarks/hub_memory_bench.py --binary .build/release/gatehouse
Reads VmRSS from /proc (Linux). Goal (issue 19): at most 40 MiB at rest with the default hashing concurrency.
"""

import argparse
import concurrent.futures
import socket
import subprocess
import tempfile
import time

import requests

PASSWORD = "tangerine-moss-ferry-quartz-8"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--sign-ins", type=int, default=1000)
    options = parser.parse_args()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    hub = subprocess.Popen([options.binary, "serve", "--sign-up", "open", "--device-verification", "off", "--data", tempfile.mkdtemp(prefix="gh-mem-"), "--port", str(port),
                            "--trusted-proxy", "127.0.0.1/32", "--log-level", "warning"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def rss_mib():
        with open(f"/proc/{hub.pid}/status") as status:
            line = next(line for line in status if line.startswith("VmRSS"))
        return int(line.split()[1]) / 1024

    try:
        for _ in range(300):
            try:
                requests.get(base + "/healthz", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.1)
        time.sleep(2)
        at_rest = rss_mib()
        for index in range(32):
            requests.post(base + "/api/v1/accounts",
                          json={"username": f"mem{index}", "email": f"mem{index}@example.com", "password": PASSWORD},
                          headers={"X-Forwarded-For": f"10.9.0.{index + 1}"}).raise_for_status()

        def sign_in(index):
            return requests.post(base + "/api/v1/sessions",
                                 json={"identifier": f"mem{index % 32}", "password": PASSWORD}).status_code

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            statuses = set(pool.map(sign_in, range(options.sign_ins)))
        after = rss_mib()
        time.sleep(65)
        idle = rss_mib()
        print(f"resident memory: {at_rest:.1f} MiB at rest (goal <= 40), {after:.1f} MiB after {options.sign_ins} "
              f"sign-ins (answers {sorted(statuses)}), {idle:.1f} MiB after 65 s idle")
    finally:
        hub.terminate()
        hub.wait(timeout=30)


if __name__ == "__main__":
    main()
