#!/usr/bin/env python3
"""Cross-instance revocation latency on PostgreSQL: LISTEN/NOTIFY against the 250 ms poll, in the same run.

Usage: python3 Benchmarks/revocation_latency_bench.py --postgres postgres://USER:PASS@HOST:PORT/DB [--trials 50]
       [--binary .build/release/gatehouse]

Creates a scratch database on that server (dropped at the end), and starts three `gatehouse serve` instances on it
sharing one keyring:
  A  where the revocation is made;
  B  with LISTEN/NOTIFY (the default);
  C  with GATEHOUSE_REVOCATION_NOTIFY=off (the 250 ms poll only, as every instance did before).
Each trial signs a fresh device in on A, has B and C accept its credential (so both hold it in their caches), revokes
it on A (DELETE /api/v1/devices/{id}), and measures from A's answer to the first refusal (401) on B and on C, each
polled by its own thread over a kept-alive connection. Prints median and p99 (nearest rank) per instance.
Needs psql and requests (PyPI).
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from urllib.parse import unquote, urlparse

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hub_bench import ROOT, free_port  # noqa: E402

PASSWORD = "juniper-kettle-orchard-27"


def psql(url, sql):
    parts = urlparse(url)
    env = dict(os.environ, PGHOST=parts.hostname, PGPORT=str(parts.port or 5432), PGUSER=unquote(parts.username or ""),
               PGDATABASE=parts.path.lstrip("/"))
    if parts.password:
        env["PGPASSWORD"] = unquote(parts.password)
    return subprocess.run(["psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql], env=env, check=True,
                          capture_output=True, text=True).stdout.strip()


def start_hub(binary, data, database, env=None, keyring=None):
    """A `gatehouse serve` on a free port; returns (process, base URL) once /healthz answers."""
    port = free_port()
    # Each trial signs a fresh client in: device verification (a mailed code for never-seen clients) is not what
    # this measures, so it is off.
    run_env = dict(os.environ, GATEHOUSE_DATABASE_URL=database, GATEHOUSE_DEVICE_VERIFICATION="off", **(env or {}))
    if keyring:
        run_env["GATEHOUSE_KEYRING"] = keyring
    log = open(os.path.join(data, "hub.log"), "ab")
    process = subprocess.Popen([binary, "serve", "--data", data, "--port", str(port), "--log-level", "warning"],
                               stdout=log, stderr=subprocess.STDOUT, env=run_env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if requests.get(base + "/healthz", timeout=1).status_code == 200:
                return process, base
        except requests.RequestException:
            pass
        if process.poll() is not None:
            raise RuntimeError("hub exited: " + open(os.path.join(data, "hub.log")).read())
        time.sleep(0.1)
    raise RuntimeError("hub did not start")


def first_refusal(session, base, token, start_event, result, key, limit=5.0):
    """Polls GET /account until it is refused; stores the perf_counter time of the first refusal."""
    headers = {"Authorization": f"Bearer {token}"}
    start_event.wait()
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        status = session.get(base + "/api/v1/account", headers=headers, timeout=5).status_code
        if status != 200:
            result[key] = (time.perf_counter(), status)
            return
    result[key] = (None, None)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default=os.environ.get("GATEHOUSE_TEST_POSTGRES_URL"),
                        help="an existing server's URL (a scratch database is made on it)")
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--binary", default=None)
    options = parser.parse_args()
    if not options.postgres:
        parser.error("--postgres (or GATEHOUSE_TEST_POSTGRES_URL) is required")
    binary = options.binary
    if not binary:
        subprocess.run(["swift", "build", "-c", "release", "--product", "gatehouse"], cwd=ROOT, check=True)
        binary = os.path.join(ROOT, ".build", "release", "gatehouse")

    name = "gh_revbench_" + uuid.uuid4().hex[:10]
    psql(options.postgres, f"CREATE DATABASE {name}")
    database = urlparse(options.postgres)._replace(path="/" + name).geturl()
    processes = []
    try:
        data_a, data_b, data_c = (tempfile.mkdtemp(prefix=f"gh-revbench-{n}-") for n in "abc")
        process, hub_a = start_hub(binary, data_a, database)
        processes.append(process)
        keyring = os.path.join(data_a, "keys", "keyring.json")
        process, hub_b = start_hub(binary, data_b, database, keyring=keyring)
        processes.append(process)
        process, hub_c = start_hub(binary, data_c, database, env={"GATEHOUSE_REVOCATION_NOTIFY": "off"},
                                   keyring=keyring)
        processes.append(process)

        session_a = requests.Session()
        session_a.post(hub_a + "/api/v1/accounts", json={"username": "bench", "email": "bench@example.com",
                                                         "password": PASSWORD}).raise_for_status()
        session_b, session_c = requests.Session(), requests.Session()
        time.sleep(1.0)  # every instance's feed positioned and listening
        delays = {"notify": [], "poll": []}
        for trial in range(options.trials):
            signed = session_a.post(hub_a + "/api/v1/sessions", json={
                "identifier": "bench", "password": PASSWORD,
                "device": {"client_identifier": f"bench-{trial}", "name": f"bench-{trial}", "product": "bench",
                           "version": "1", "platform": "Linux"}})
            signed.raise_for_status()
            token = signed.json()["token"]
            auth = {"Authorization": f"Bearer {token}"}
            for session, base in ((session_b, hub_b), (session_c, hub_c)):
                assert session.get(base + "/api/v1/account", headers=auth, timeout=5).status_code == 200
            device_id = next(d["id"] for d in session_a.get(hub_a + "/api/v1/devices", headers=auth).json()
                             if d["current"])
            go = threading.Event()
            result = {}
            pollers = [threading.Thread(target=first_refusal, args=(session_b, hub_b, token, go, result, "notify")),
                       threading.Thread(target=first_refusal, args=(session_c, hub_c, token, go, result, "poll"))]
            for poller in pollers:
                poller.start()
            answered = session_a.delete(hub_a + f"/api/v1/devices/{device_id}", headers=auth)
            answered_at = time.perf_counter()
            assert answered.status_code in (200, 204), answered.text
            go.set()
            for poller in pollers:
                poller.join()
            for key in delays:
                refused_at, status = result[key]
                assert refused_at is not None, f"trial {trial}: instance {key} never refused the credential"
                assert status == 401, f"trial {trial}: instance {key} answered {status}"
                delays[key].append(max(0.0, refused_at - answered_at) * 1000)
            time.sleep(0.05)

        print(f"cross-instance revocation latency on PostgreSQL, {options.trials} trials "
              f"(from A's answer to B's first refusal; ms)")
        for key, label in (("notify", "LISTEN/NOTIFY (B)"), ("poll", "250 ms poll only (C)")):
            values = sorted(delays[key])
            p99 = values[max(0, -(-len(values) * 99 // 100) - 1)]
            p90 = values[max(0, -(-len(values) * 90 // 100) - 1)]
            print(f"  {label:22s} median {statistics.median(values):7.1f}   p90 {p90:7.1f}   p99 {p99:7.1f}   "
                  f"min {values[0]:6.1f}   max {values[-1]:7.1f}   slowest: {', '.join(f'{v:.0f}' for v in values[-5:])}")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        psql(options.postgres, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    main()
