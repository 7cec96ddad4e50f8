#!/usr/bin/env python3
"""Argon2id speed and memory: each Gatehouse kernel side by side with libsodium (PyNaCl) and argon2-cffi.

Usage:
    swift build -c release --product argon2-bench
    python3 Benchmarks/argon2_bench.py [--bench .build/release/argon2-bench] [--runs 10] [--rounds 5]
                                       [--memory-hashes 1000] [--gatehouse .build/release/gatehouse]

The driver is `argon2-bench` (a product depending on the Argon2 module alone; --bench, else $ARGON2_BENCH_BIN,
else .build/release/argon2-bench). In one run the script prints:
  * which kernels this CPU runs and which one run-time dispatch picks, and a check of the binary: AVX/AVX-512
    registers may appear only in the C kernels (built with per-function target attributes), so the binary was
    built without -target-cpu / -march and runs on any x86-64;
  * Argon2id m=19456 t=2 p=1 for every kernel the CPU offers and for the dispatch choice, beside libsodium
    (nacl.pwhash.argon2id) and argon2-cffi, as ratios (goal: <= 0.6 of libsodium);
  * m=65536 t=3 p=4 for the same, against argon2-cffi with parallelism 4 (goal: <= 0.35 of cffi; libsodium
    computes one lane only);
  * the memory-traffic floor (argon2-bench floor: the same block accesses with XOR in place of G);
  * the lazily filled pool: first-hash latency, resident memory, release (argon2-bench memory);
  * the peak RSS of one process hashing --memory-hashes times at m=19456 t=2 p=1.
With --gatehouse (or $GATEHOUSE_BIN) the full executable is timed too (`gatehouse argon2 --bench N`, dispatch
choice), as a row of its own, and the peak RSS is measured with it rather than with argon2-bench.
Each setting is timed in alternating rounds (every implementation once per round, so a change in machine load
hits all alike); a figure is the median over rounds of each round's median ms per hash. The driver's pooled
hasher is warmed by one hash first. Every tag is checked against argon2-cffi before it is timed.
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
SALT = b"0123456789abcdef"  # libsodium requires exactly 16 bytes; the driver uses the same password and salt
SETTINGS = [(19456, 2, 1), (65536, 3, 4)]  # (m KiB, t, p)
GOALS = {(19456, 2, 1): ("libsodium", 0.6), (65536, 3, 4): ("argon2-cffi", 0.35)}


def driver(binary, args, kernel=None):
    env = {k: v for k, v in os.environ.items() if k != "GATEHOUSE_ARGON2_KERNEL"}
    if kernel:
        env["GATEHOUSE_ARGON2_KERNEL"] = kernel
    result = subprocess.run([binary, *args], env=env, capture_output=True, check=True)
    return result.stdout.decode()


def gatehouse_median(binary, kernel, m, t, p, runs):
    out = driver(binary, ["time", "-k", str(m), "-t", str(t), "-p", str(p), "--runs", str(runs)], kernel)
    match = re.search(r"kernel (\w+): \d+ hashes: median ([\d.]+) ms", out)
    if not match:
        sys.exit(f"unexpected argon2-bench output: {out}")
    tag = re.search(r"tag ([0-9a-f]+)", out).group(1)
    return match.group(1), float(match.group(2)), bytes.fromhex(tag)


def cli_median(binary, m, t, p, runs):
    env = {k: v for k, v in os.environ.items() if k != "GATEHOUSE_ARGON2_KERNEL"}
    result = subprocess.run(
        [binary, "argon2", SALT.decode(), "-id", "-k", str(m), "-t", str(t), "-p", str(p), "--bench", str(runs)],
        input=PASSWORD, capture_output=True, check=True, env=env)
    out = result.stdout.decode()
    match = re.search(r"median ([\d.]+) ms", out)
    if not match:
        sys.exit(f"unexpected gatehouse output: {out}")
    return "cli", float(match.group(1)), bytes.fromhex(re.search(r"Hash:\s+([0-9a-f]+)", out).group(1))


def python_median(function, runs):
    function()  # warm up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def peak_rss_kib(command):
    """Max RSS of one child process, measured in a fresh interpreter so earlier children do not count."""
    probe = ("import resource, subprocess, sys\n"
             "subprocess.run(sys.argv[1:], input=b'pw', stdout=subprocess.DEVNULL, check=True)\n"
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
    result = subprocess.run([sys.executable, "-c", probe, *command], capture_output=True, check=True)
    return int(result.stdout.decode().strip())


def vector_register_check(binary):
    """Instructions naming %ymm / %zmm registers, per function. Only the C kernels may have any."""
    if not shutil.which("objdump"):
        return "objdump not found: binary check skipped"
    listing = subprocess.run(["objdump", "-d", "--no-show-raw-insn", binary], capture_output=True,
                             check=True).stdout.decode(errors="replace")
    counts, function = {}, None
    for line in listing.splitlines():
        header = re.match(r"^[0-9a-f]+ <(.+)>:$", line)
        if header:
            function = header.group(1)
        elif function and ("%ymm" in line or "%zmm" in line):
            counts[function] = counts.get(function, 0) + 1
    kernels = {name: n for name, n in counts.items() if name.startswith("gh_argon2_fill_block_")}
    others = {name: n for name, n in counts.items() if name not in kernels}
    text = ", ".join(f"{name} {n}" for name, n in sorted(kernels.items())) or "none"
    if others:
        return (f"WARNING: AVX registers outside the kernels, the binary may need a newer CPU than x86-64: "
                f"{sorted(others.items())[:5]}")
    return (f"ymm/zmm instructions only in the run-time-dispatched C kernels ({text}); everything else is "
            f"baseline x86-64, so no -target-cpu / -march was used")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench", default=os.environ.get("ARGON2_BENCH_BIN") or ".build/release/argon2-bench")
    parser.add_argument("--runs", type=int, default=10, help="hashes per round and implementation")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds; the figure is their median")
    parser.add_argument("--memory-hashes", type=int, default=1000)
    parser.add_argument("--gatehouse", default=os.environ.get("GATEHOUSE_BIN"),
                        help="also time the full gatehouse executable")
    args = parser.parse_args()
    if not os.path.exists(args.bench):
        sys.exit(f"{args.bench} not found: swift build -c release --product argon2-bench, or pass --bench")

    kernels_out = driver(args.bench, ["kernels"])
    kernels = re.search(r"available: (.*)", kernels_out).group(1).split()
    dispatch = re.search(r"dispatch: (\w+)", kernels_out).group(1)
    print(f"load average: {os.getloadavg()[0]:.2f}, cores: {os.cpu_count()}, "
          f"{args.rounds} rounds of {args.runs} hashes each; median ms per hash")
    print(f"kernels this CPU runs: {' '.join(kernels)}; run-time dispatch picks: {dispatch}")
    if sys.platform.startswith("linux") and os.uname().machine == "x86_64":
        print(f"binary: {vector_register_check(args.bench)}")

    for m, t, p in SETTINGS:
        reference = low_level.hash_secret_raw(PASSWORD, SALT, t, m, p, 32, low_level.Type.ID)
        rows = [(k, k) for k in kernels] + [(f"dispatch ({dispatch})", None)]
        if args.gatehouse:
            rows.append(("gatehouse CLI", "cli"))
        ours = {label: [] for label, _ in rows}
        cffi_rounds, sodium_rounds = [], []
        for _ in range(args.rounds):
            for label, kernel in rows:
                if kernel == "cli":
                    used, ms, tag = cli_median(args.gatehouse, m, t, p, args.runs)
                else:
                    used, ms, tag = gatehouse_median(args.bench, kernel, m, t, p, args.runs)
                if tag != reference:
                    sys.exit(f"kernel {used}: tag differs from argon2-cffi at m={m} t={t} p={p}")
                ours[label].append(ms)
            cffi_rounds.append(python_median(
                lambda: low_level.hash_secret_raw(PASSWORD, SALT, t, m, p, 32, low_level.Type.ID), args.runs))
            if p == 1:
                sodium_rounds.append(python_median(
                    lambda: nacl.pwhash.argon2id.kdf(32, PASSWORD, SALT, opslimit=t, memlimit=m * 1024),
                    args.runs))
        cffi = statistics.median(cffi_rounds)
        sodium = statistics.median(sodium_rounds) if sodium_rounds else None
        goal_name, goal = GOALS[(m, t, p)]
        print(f"\nArgon2id m={m} t={t} p={p}: argon2-cffi {cffi:.2f} ms"
              + (f", libsodium {sodium:.2f} ms" if sodium else ", libsodium n/a (one lane only)")
              + f"; goal <= {goal} of {goal_name}")
        print(f"  {'gatehouse kernel':<22}{'ms':>9}{'ratio cffi':>12}{'ratio sodium':>14}{'goal':>7}")
        for label, _ in rows:
            ms = statistics.median(ours[label])
            ratio_goal = ms / (sodium if goal_name == "libsodium" else cffi)
            sodium_ratio = f"{ms / sodium:.2f}" if sodium else "n/a"
            print(f"  {label:<22}{ms:>9.2f}{ms / cffi:>12.2f}{sodium_ratio:>14}"
                  f"{'met' if ratio_goal <= goal else 'missed':>7}")

    floors = []
    for _ in range(3):
        out = driver(args.bench, ["floor", "-k", "19456", "-t", "2", "--runs", "5"])
        floors.append(float(re.search(r"median ([\d.]+) ms", out).group(1)))
    print(f"\nmemory-traffic floor at m=19456 t=2 (one thread, same accesses, XOR for G): "
          f"{statistics.median(floors):.2f} ms")
    print(driver(args.bench, ["memory", "-k", "19456", "-t", "2", "--threads", "2"]).rstrip())

    count = args.memory_hashes
    if args.gatehouse:
        command, name = ([args.gatehouse, "argon2", SALT.decode(), "-id", "-k", "19456", "-t", "2", "-p", "1",
                          "--bench", str(count)], "gatehouse argon2")
    else:
        command, name = [args.bench, "time", "-k", "19456", "-t", "2", "-p", "1", "--runs", str(count)], "argon2-bench"
    rss = peak_rss_kib(command)
    print(f"peak RSS over {count} consecutive hashes at m=19456 t=2 p=1 ({name}): {rss / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
