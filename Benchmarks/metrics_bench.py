#!/usr/bin/env python3
"""Authenticated GET throughput with metrics on against the same binary with them off (issue 18, goal >= 0.95).

Usage: python3 Benchmarks/metrics_bench.py --binary .build/release/gatehouse [--duration 10] [--rounds 3]

Starts two release hubs from the same binary on temporary SQLite folders: one with `--metrics-port` (every request
counted and timed per route group, the hashing pool observed), one without (no /metrics, nothing collected). Each
gets an account and a device credential; wrk then runs `GET /api/v1/account` against each in turn, alternating for
several rounds so that noise from the machine weighs on both. Prints req/s and p99 per round and the median ratio.
Needs wrk (Debian package) and requests.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hub_bench import free_port, wrk  # noqa: E402

PASSWORD = "tangerine-moss-ferry-quartz-8"


def start(binary, extra):
    data = tempfile.mkdtemp(prefix="gh-metrics-bench-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen([binary, "serve", "--sign-up", "open", "--data", data, "--port", str(port), "--log-level", "warning",
                                *extra], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            requests.get(base + "/healthz", timeout=1)
            break
        except requests.RequestException:
            time.sleep(0.1)
    session = requests.Session()
    session.post(base + "/api/v1/accounts", json={"username": "bench", "email": "bench@example.com",
                                                  "password": PASSWORD}).raise_for_status()
    token = session.post(base + "/api/v1/sessions", json={"identifier": "bench", "password": PASSWORD}).json()["token"]
    return process, data, base, token


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    metrics_port = free_port()
    on = start(options.binary, ["--metrics-port", str(metrics_port)])
    off = start(options.binary, [])
    try:
        print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; wrk -t2 -c{options.connections} "
              f"-d{options.duration}s on GET /api/v1/account\n")
        ratios = []
        for round_number in range(options.rounds):
            without = wrk(off[2] + "/api/v1/account", options.duration, options.connections,
                          headers=[f"Authorization: Bearer {off[3]}"])
            with_metrics = wrk(on[2] + "/api/v1/account", options.duration, options.connections,
                               headers=[f"Authorization: Bearer {on[3]}"])
            assert without[2] == 0 and with_metrics[2] == 0, "non-2xx answers"
            ratios.append(with_metrics[0] / without[0])
            print(f"round {round_number + 1}: metrics off {without[0]:9.0f} req/s (p99 {without[1]:.2f} ms)   "
                  f"metrics on {with_metrics[0]:9.0f} req/s (p99 {with_metrics[1]:.2f} ms)   ratio {ratios[-1]:.3f}")
        scraped = requests.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text
        counted = [line for line in scraped.splitlines()
                   if line.startswith('gatehouse_http_requests_total{group="api_account",status="2xx"}')]
        print(f"\nmedian ratio (on / off): {statistics.median(ratios):.3f}   (goal >= 0.95)")
        print(f"the metrics hub counted: {counted[0] if counted else 'nothing?'}")
    finally:
        for process, data, _, _ in (on, off):
            process.terminate()
            process.wait(timeout=10)
            shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
