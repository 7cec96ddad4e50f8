#!/usr/bin/env python3
"""Breach index benchmark: size and lookup time of `gatehouse passwords import` on a synthetic corpus.

Usage:
    GATEHOUSE_BIN=.build/release/gatehouse python3 Benchmarks/breach_index_bench.py \
        [--count 100000000] [--lookups 100000] [--workdir DIR] [--keep]

What it does, in one run:
1. Generates COUNT random SHA-1 hashes in the Pwned Passwords text format (`HASH:COUNT` lines, sorted by hash,
   like the real corpus) in a temporary directory under WORKDIR (default: the system temp dir). 100 million
   lines are about 4.4 GB; the script checks the free space first and refuses if it would not fit.
2. Imports it with `gatehouse passwords import` and reports the wall time, the index size against the text
   size, and bytes per hash.
3. Times LOOKUPS lookups (half present, half absent) with `gatehouse passwords lookup --stats`, which times each
   lookup in-process and reports the median and 99th percentile.
4. Reference, same queries, same run: a binary search over the sorted text file through mmap in Python (what you
   would do without an index), timed per lookup in-process; both answer sets are checked against the truth.
5. Deletes the generated corpus and index (unless --keep).
"""

import argparse
import mmap
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

LINE_ESTIMATE = 44  # 40 hex + ':' + count digits + newline, on average


def generate(path, count, rng, sample_every):
    """Writes `count` random hashes, sorted, bucket by bucket on their top 16 bits. Returns a sample of them."""
    buckets = 1 << 16
    base, extra = divmod(count, buckets)
    sample = []
    counts = [str(rng.randint(1, 50)) for _ in range(4096)] + [str(rng.randint(51, 100000)) for _ in range(256)]
    with open(path, "w", buffering=16 << 20) as out:
        for bucket in range(buckets):
            n = base + (1 if bucket < extra else 0)
            prefix = f"{bucket:04X}"
            raw = rng.randbytes(18 * n).hex().upper()
            suffixes = sorted(raw[i:i + 36] for i in range(0, 36 * n, 36))
            hashes = [prefix + s for s in suffixes]
            out.write("".join(f"{h}:{counts[rng.randrange(len(counts))]}\n" for h in hashes))
            if hashes and bucket % sample_every == 0:
                sample.extend(rng.sample(hashes, min(2, len(hashes))))
            if bucket % 4096 == 0:
                print(f"  generated {bucket * 100 // buckets}%", file=sys.stderr, flush=True)
    return sample


class TextBinarySearch:
    """Binary search for a 40-hex hash in a sorted HASH:COUNT text file, through mmap."""

    def __init__(self, path):
        self.file = open(path, "rb")
        self.map = mmap.mmap(self.file.fileno(), 0, access=mmap.ACCESS_READ)

    def contains(self, hex_hash):
        key = hex_hash.encode()
        data = self.map
        low, high = 0, len(data)
        while low < high:
            middle = (low + high) // 2
            start = data.rfind(b"\n", 0, middle) + 1
            end = data.find(b"\n", start)
            if end < 0:
                end = len(data)
            line_key = data[start:start + 40]
            if line_key == key:
                return True
            if line_key < key:
                low = end + 1
            else:
                high = start
        return False


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000_000)
    parser.add_argument("--lookups", type=int, default=100_000)
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    binary = os.environ.get("GATEHOUSE_BIN") or shutil.which("gatehouse")
    if not binary:
        sys.exit("set GATEHOUSE_BIN to the gatehouse executable")
    workdir = tempfile.mkdtemp(prefix="breach-bench-", dir=args.workdir)
    needed = args.count * (LINE_ESTIMATE + 8 + 8 + 8) + (1 << 30)  # text + partitions + index + slack
    free = shutil.disk_usage(workdir).free
    print(f"disk: {free / 1e9:.1f} GB free in {os.path.dirname(workdir)}, need about {needed / 1e9:.1f} GB")
    if free < needed:
        shutil.rmtree(workdir)
        sys.exit("not enough disk for this --count; choose a smaller one and say so")

    rng = random.Random(args.seed)
    corpus = os.path.join(workdir, "pwned-synthetic.txt")
    index = os.path.join(workdir, "pwned-synthetic.idx")
    try:
        started = time.monotonic()
        sample = generate(corpus, args.count, rng, sample_every=1)
        print(f"generated {args.count:,} hashes in {time.monotonic() - started:.0f} s")

        started = time.monotonic()
        subprocess.run([binary, "passwords", "import", corpus, "--index", index], check=True,
                       stderr=subprocess.DEVNULL)
        import_seconds = time.monotonic() - started
        text_bytes = os.path.getsize(corpus)
        index_bytes = os.path.getsize(index)

        half = args.lookups // 2
        present = rng.sample(sample, min(half, len(sample)))
        half = len(present)
        absent = [rng.randbytes(20).hex().upper() for _ in range(args.lookups - half)]
        queries = present + absent
        rng.shuffle(queries)
        truth = set(present)

        result = subprocess.run([binary, "passwords", "lookup", "--index", index, "--stats"],
                                input="\n".join(queries) + "\n", capture_output=True, text=True, check=True)
        ours = {line.split()[0]: line.split()[1] == "true" for line in result.stdout.splitlines()}
        stats = __import__("json").loads(result.stderr.strip().splitlines()[-1])
        wrong_ours = sum(ours[q] != (q in truth) for q in queries)

        searcher = TextBinarySearch(corpus)
        timings = []
        wrong_reference = 0
        for query in queries:
            t0 = time.perf_counter_ns()
            found = searcher.contains(query)
            timings.append(time.perf_counter_ns() - t0)
            wrong_reference += found != (query in truth)

        ref_median, ref_p99 = statistics.median(timings), percentile(timings, 0.99)
        print()
        print(f"corpus: {args.count:,} hashes; text {text_bytes / 1e9:.2f} GB; "
              f"index {index_bytes / 1e9:.3f} GB ({index_bytes / args.count:.3f} bytes/hash, "
              f"{index_bytes / text_bytes:.1%} of the text)")
        print(f"import: {import_seconds:.0f} s ({args.count / import_seconds / 1e6:.2f} M hashes/s)")
        print(f"lookups: {args.lookups:,} (half present, half absent); wrong answers: ours {wrong_ours}, "
              f"reference {wrong_reference}")
        print(f"{'':28}{'median':>12}{'p99':>12}")
        print(f"{'gatehouse index (mmap)':28}{stats['median_ns'] / 1000:>10.2f}us{stats['p99_ns'] / 1000:>10.2f}us")
        print(f"{'text binary search (py)':28}{ref_median / 1000:>10.2f}us{ref_p99 / 1000:>10.2f}us")
        print(f"{'ratio (reference / ours)':28}{ref_median / max(1, stats['median_ns']):>11.1f}x"
              f"{ref_p99 / max(1, stats['p99_ns']):>11.1f}x")
        if wrong_ours or wrong_reference:
            sys.exit("wrong answers")
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
