#!/usr/bin/env python3
"""Authenticated GET throughput with metrics and tracing on against the same binary with them off (issue 18, goal
>= 0.95).

Usage: python3 Benchmarks/metrics_bench.py --binary .build/release/gatehouse [--duration 10] [--rounds 3]

Starts three release hubs from the same binary on temporary SQLite folders: one with nothing collected, one with
`--metrics-port` (every request counted and timed per route group, the hashing pool observed), and one with metrics
and traces (`--otlp-endpoint` to a collector stand-in in this script that accepts and drops every export; the hub
traces at most `--trace-rate` requests a second, 10 by default, each with the spans of its store work, batched and
sent over OTLP/HTTP). Each gets an account and a device credential; wrk then runs `GET /api/v1/account` against each
in turn, in an order that rotates every round, for several rounds so that noise from the machine weighs on all.
Prints req/s, p99 and the hub's own CPU per request for each, and the median ratios against "off".
Needs wrk (Debian package) and requests.
"""

import argparse
import http.server
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hub_bench import free_port, wrk  # noqa: E402

PASSWORD = "tangerine-moss-ferry-quartz-8"


class DroppingCollector(http.server.BaseHTTPRequestHandler):
    """Accepts OTLP/HTTP exports and drops them (counts the bytes)."""
    received = 0

    def do_POST(self):  # noqa: N802
        DroppingCollector.received += len(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def process_cpu(pid):
    """User plus system CPU seconds of a process so far (from /proc)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start(binary, extra, env=None):
    data = tempfile.mkdtemp(prefix="gh-metrics-bench-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen([binary, "serve", "--sign-up", "open", "--device-verification", "off", "--data", data, "--port", str(port), "--log-level", "warning",
                                *extra], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, **(env or {})})
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
    collector = http.server.ThreadingHTTPServer(("127.0.0.1", 0), DroppingCollector)
    threading.Thread(target=collector.serve_forever, daemon=True).start()
    metrics_port = free_port()
    off = start(options.binary, [])
    on = start(options.binary, ["--metrics-port", str(metrics_port)])
    traced = start(options.binary, ["--metrics-port", str(free_port())],
                   env={"GATEHOUSE_OTLP_ENDPOINT": f"http://127.0.0.1:{collector.server_address[1]}"})
    hubs = (off, on, traced)
    try:
        print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; wrk -t2 -c{options.connections} "
              f"-d{options.duration}s on GET /api/v1/account\n")
        metrics_ratios, traced_ratios = [], []
        metrics_cpu_ratios, traced_cpu_ratios = [], []
        for round_number in range(options.rounds):
            results, cpu = [None] * 3, [None] * 3
            # The order rotates each round, so that no hub always runs first (after the machine idled) or last.
            for index in [(round_number + k) % 3 for k in range(3)]:
                hub = hubs[index]
                hub_before = process_cpu(hub[0].pid)
                collector_before = resource.getrusage(resource.RUSAGE_SELF)
                result = wrk(hub[2] + "/api/v1/account", options.duration, options.connections,
                             headers=[f"Authorization: Bearer {hub[3]}"])
                collector_after = resource.getrusage(resource.RUSAGE_SELF)
                assert result[2] == 0, "non-2xx answers"
                requests_done = result[0] * options.duration
                results[index] = result
                # The hub's own CPU per request (what other processes' load disturbs least), and the CPU this script
                # spent meanwhile: it is idle but for the collector stand-in's thread.
                cpu[index] = ((process_cpu(hub[0].pid) - hub_before) / requests_done * 1e6,
                              (collector_after.ru_utime + collector_after.ru_stime
                               - collector_before.ru_utime - collector_before.ru_stime))
            without, with_metrics, with_traces = results
            metrics_ratios.append(with_metrics[0] / without[0])
            traced_ratios.append(with_traces[0] / without[0])
            metrics_cpu_ratios.append(cpu[0][0] / cpu[1][0])
            traced_cpu_ratios.append(cpu[0][0] / cpu[2][0])
            print(f"round {round_number + 1}: off {without[0]:8.0f} req/s (p99 {without[1]:.2f} ms)   "
                  f"metrics {with_metrics[0]:8.0f} req/s (p99 {with_metrics[1]:.2f} ms)   "
                  f"metrics+traces {with_traces[0]:8.0f} req/s (p99 {with_traces[1]:.2f} ms)   "
                  f"ratios {metrics_ratios[-1]:.3f} / {traced_ratios[-1]:.3f}")
            print(f"         hub CPU per request: off {cpu[0][0]:.1f} us, metrics {cpu[1][0]:.1f} us, "
                  f"metrics+traces {cpu[2][0]:.1f} us (ratios {metrics_cpu_ratios[-1]:.3f} / "
                  f"{traced_cpu_ratios[-1]:.3f}); collector stand-in CPU during the traced run "
                  f"{cpu[2][1]:.2f} s of {options.duration} s")
        scraped = requests.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text
        counted = [line for line in scraped.splitlines()
                   if line.startswith('gatehouse_http_requests_total{group="api_account",status="2xx"}')]
        print(f"\nmedian ratio, metrics on / off:          {statistics.median(metrics_ratios):.3f}   (goal >= 0.95)")
        print(f"median ratio, metrics and traces on / off: {statistics.median(traced_ratios):.3f}   (goal >= 0.95)")
        print(f"by hub CPU per request, metrics / off:     {statistics.median(metrics_cpu_ratios):.3f}")
        print(f"by hub CPU per request, traces / off:      {statistics.median(traced_cpu_ratios):.3f}")
        print(f"the metrics hub counted: {counted[0] if counted else 'nothing?'}")
        print(f"the collector stand-in received {DroppingCollector.received / 1e6:.1f} MB of spans")
    finally:
        for process, data, _, _ in hubs:
            process.terminate()
            process.wait(timeout=10)
            shutil.rmtree(data, ignore_errors=True)
        collector.shutdown()


if __name__ == "__main__":
    main()
