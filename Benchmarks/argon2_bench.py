#!/usr/bin/env python3
"""Argon2id speed and memory: Gatehouse side by side with argon2-cffi (libargon2) and libsodium (PyNaCl).

Usage:
    swift build -c release
    python3 Benchmarks/argon2_bench.py [--gatehouse .build/release/gatehouse] [--runs 10] [--rounds 5]
                                       [--memory-hashes 1000]

The gatehouse executable is taken from --gatehouse, else $GATEHOUSE_BIN, else `gatehouse` on PATH.
Each setting is timed in the same run for all three, in alternating rounds: Gatehouse through
`gatehouse argon2 --bench N` (a pooled hasher, as the hub uses), the C libraries through their Python
bindings. The figure is the median of the rounds' median times per hash, in milliseconds. libsodium
computes only one lane, so at p=4 Gatehouse is compared to argon2-cffi alone. Then the peak resident
memory of one `gatehouse argon2 --bench 1000` process at 19 MiB (m=19456, t=2, p=1) is measured.
Run it on an idle machine: `uptime` should show a load well below the core count.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

from argon2 import low_level
import nacl.pwhash

PASSWORD = b"correct horse battery staple"
SALT = b"0123456789abcdef"  # libsodium requires exactly 16 bytes
SETTINGS = [(19456, 2, 1), (65536, 3, 4)]  # (m KiB, t, p)


def gatehouse_median(binary, m, t, p, runs):
    result = subprocess.run(
        [binary, "argon2", SALT.decode(), "-id", "-k", str(m), "-t", str(t), "-p", str(p), "--bench", str(runs)],
        input=PASSWORD, capture_output=True, check=True)
    out = result.stdout.decode()
    match = re.search(r"median ([\d.]+) ms, min ([\d.]+) ms, max ([\d.]+) ms", out)
    if not match:
        sys.exit(f"unexpected gatehouse output: {out}")
    tag = re.search(r"Hash:\s+([0-9a-f]+)", out).group(1)
    return float(match.group(1)), bytes.fromhex(tag)


def python_median(function, runs):
    function()  # warm up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def peak_rss_kib(command, password):
    """Max RSS of one child process, measured in a fresh interpreter so earlier children do not count."""
    probe = ("import resource, subprocess, sys\n"
             "subprocess.run(sys.argv[1:], input=sys.stdin.buffer.read(), stdout=subprocess.DEVNULL, check=True)\n"
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
    result = subprocess.run([sys.executable, "-c", probe, *command], input=password, capture_output=True,
                            check=True)
    return int(result.stdout.decode().strip())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gatehouse", default=os.environ.get("GATEHOUSE_BIN") or shutil.which("gatehouse"))
    parser.add_argument("--runs", type=int, default=10, help="hashes per round and implementation")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds; the figure is their median")
    parser.add_argument("--memory-hashes", type=int, default=1000)
    args = parser.parse_args()
    if not args.gatehouse:
        sys.exit("gatehouse not found: pass --gatehouse or set GATEHOUSE_BIN")

    print(f"load average: {os.getloadavg()[0]:.2f}, cores: {os.cpu_count()}, "
          f"{args.rounds} rounds of {args.runs} hashes each; median ms per hash")
    print(f"{'setting':<22}{'gatehouse':>12}{'argon2-cffi':>14}{'libsodium':>16}"
          f"{'ratio cffi':>12}{'ratio sodium':>14}")
    for m, t, p in SETTINGS:
        reference = low_level.hash_secret_raw(PASSWORD, SALT, t, m, p, 32, low_level.Type.ID)
        # Rounds alternate the implementations so that a change in machine load hits all of them alike.
        ours_rounds, cffi_rounds, sodium_rounds = [], [], []
        for _ in range(args.rounds):
            ours, tag = gatehouse_median(args.gatehouse, m, t, p, args.runs)
            if tag != reference:
                sys.exit(f"gatehouse tag differs from argon2-cffi at m={m} t={t} p={p}")
            ours_rounds.append(ours)
            cffi_rounds.append(python_median(
                lambda: low_level.hash_secret_raw(PASSWORD, SALT, t, m, p, 32, low_level.Type.ID), args.runs))
            if p == 1:
                sodium_rounds.append(python_median(
                    lambda: nacl.pwhash.argon2id.kdf(32, PASSWORD, SALT, opslimit=t, memlimit=m * 1024),
                    args.runs))
        ours, cffi = statistics.median(ours_rounds), statistics.median(cffi_rounds)
        if sodium_rounds:
            sodium = statistics.median(sodium_rounds)
            sodium_text, ratio_sodium = f"{sodium:.2f}", f"{ours / sodium:.2f}"
        else:
            sodium_text, ratio_sodium = "n/a (p=1 only)", "n/a"
        print(f"{f'm={m} t={t} p={p}':<22}{ours:>12.2f}{cffi:>14.2f}{sodium_text:>16}"
              f"{ours / cffi:>12.2f}{ratio_sodium:>14}")

    count = args.memory_hashes
    rss = peak_rss_kib([args.gatehouse, "argon2", SALT.decode(), "-id", "-k", "19456", "-t", "2", "-p", "1",
                        "--bench", str(count)], PASSWORD)
    print(f"peak RSS over {count} consecutive hashes at m=19456 t=2 p=1: {rss / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
