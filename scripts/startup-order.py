#!/usr/bin/env python3
"""Write the link order file that places the code a hub runs at start next to each other.

Why: the kernel maps 64 KiB of the executable around every page fault in it, so a start-up that calls a few
functions in each 64 KiB of the 27 MiB `.text` makes most of it resident. Placed together, the same functions
fill a few MiB. `scripts/build-release.sh` links with the file this script writes (`scripts/startup.order`).

How, in two steps:
1. Coverage. A release build instrumented with SanitizerCoverage (one guard per function, recorded by the
   AddressSanitizer runtime) starts a hub on a fresh SQLite folder, answers `/healthz`, rests, and is stopped;
   the runtime writes the address of every function that ran, named from the instrumented binary's symbols and
   written one per line in address order (which keeps each module's functions together).
2. Page faults. Coverage misses functions (the instrumented build inlines and outlines differently, and leaves
   out some compiler-made helpers: witness-table and metadata accessors, value witnesses), so the shipped
   binary is then linked with the file (`scripts/build-release.sh`, a relink of a few seconds), started the same
   way under `perf record -e page-faults -d`, and every function whose code faulted outside the ordered block is
   appended; this repeats until no new function faults (each round finds the first function run in each
   64 KiB window still touched).

A name the final link no longer has is skipped by the linker, so an older file still works; regenerate it when
start-up changes:

    python3 scripts/startup-order.py                # both steps; builds into .build-order/ first (~12 min)
    python3 scripts/startup-order.py --binary B     # step 1 with an instrumented binary B, then step 2
    python3 scripts/startup-order.py --refine-only  # step 2 only, on the current scripts/startup.order
"""

import argparse
import bisect
import glob
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORDER_FILE = os.path.join(ROOT, "scripts", "startup.order")
SANCOV_MAGIC = 0xC0BFFFFFFFFFFF64
HEX = re.compile("[0-9a-f]+")


def build_instrumented(scratch):
    flags = ["-Xswiftc", "-sanitize=address", "-Xswiftc", "-sanitize-coverage=func,trace-pc-guard",
             "-Xcc", "-fsanitize=address", "-Xcc", "-fsanitize-coverage=func,trace-pc-guard"]
    subprocess.run(["swift", "build", "-c", "release", "--product", "gatehouse", "--scratch-path", scratch] + flags,
                   cwd=ROOT, check=True)
    return os.path.join(scratch, "release", "gatehouse")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def hub_command(binary, port):
    """The hub as hub_memory_bench.py starts it."""
    return [binary, "serve", "--sign-up", "open", "--device-verification", "off",
            "--data", tempfile.mkdtemp(prefix="gh-order-"), "--port", str(port),
            "--trusted-proxy", "127.0.0.1/32", "--log-level", "warning"]


def run_hub(binary, out_dir):
    """Starts the instrumented hub, lets it rest, stops it; returns the .sancov files."""
    port = free_port()
    env = dict(os.environ, ASAN_OPTIONS=f"coverage=1:coverage_dir={out_dir}:detect_leaks=0:handle_segv=0")
    hub = subprocess.Popen(hub_command(binary, port), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_and_stop(hub, port)
    return glob.glob(os.path.join(out_dir, "gatehouse.*.sancov"))


def wait_and_stop(hub, port):
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit("the hub did not answer /healthz")
        time.sleep(3)
    finally:
        hub.send_signal(signal.SIGTERM)
        hub.wait(timeout=60)


def read_offsets(path):
    with open(path, "rb") as f:
        data = f.read()
    (magic,) = struct.unpack_from("<Q", data, 0)
    if magic != SANCOV_MAGIC:
        raise SystemExit(f"{path}: not a 64-bit .sancov file")
    return [pc for (pc,) in struct.iter_unpack("<Q", data[8:])]


def function_symbols(binary):
    """(address, size, name) of every defined function, local ones included, sorted by address."""
    out = subprocess.run(["llvm-nm", "--defined-only", "--numeric-sort", "--print-size", binary],
                         check=True, capture_output=True, text=True).stdout
    symbols = []
    for line in out.splitlines():
        parts = line.split(None, 3)
        if len(parts) == 4 and parts[2] in ("t", "T", "W", "w") and HEX.fullmatch(parts[0] + parts[1]):
            symbols.append((int(parts[0], 16), int(parts[1], 16), parts[3]))
    return symbols


def link_map(path):
    """Input sections of the executable code from an lld map: sorted (address, size, object file, section)."""
    pattern = re.compile(r"^\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+\d+\s{9}(\S.*):\((\.text[^)]*)\)$")
    sections = []
    with open(path) as f:
        for line in f:
            m = pattern.match(line)
            if m:
                sections.append((int(m.group(1), 16), int(m.group(2), 16), m.group(3), m.group(4)))
    sections.sort()
    return sections


def faulting_addresses(binary):
    """Addresses (as in the ELF file) of the code that took a page fault while `binary` started and rested."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="gh-faults-") as scratch:
        data = os.path.join(scratch, "perf.data")
        hub = subprocess.Popen(["perf", "record", "-q", "-e", "page-faults", "-c", "1", "-d", "-o", data, "--"]
                               + hub_command(binary, port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_and_stop(hub, port)
        script = subprocess.run(["perf", "script", "-i", data, "--show-mmap-events", "-F", "ip,addr"],
                                check=True, capture_output=True, text=True).stdout
    base, code = None, []
    mmap = re.compile(r"PERF_RECORD_MMAP2 .*\[(0x[0-9a-f]+)\((0x[0-9a-f]+)\) @ (0x[0-9a-f]+|0) .*\]: (\S+) (\S+)$")
    for line in script.splitlines():
        m = mmap.search(line)
        if m:
            if os.path.realpath(m.group(5)) == os.path.realpath(binary):
                start, length, offset = (int(m.group(i), 16) for i in (1, 2, 3))
                if offset == 0:
                    base = start
                if "x" in m.group(4):
                    code.append((start, start + length))
            continue
        parts = line.split()
        if len(parts) == 2 and HEX.fullmatch(parts[0]) and HEX.fullmatch(parts[1]):
            address, ip = int(parts[0], 16), int(parts[1], 16)
            # An instruction fetch: the faulting address is the instruction's own.
            if address == ip and base is not None and any(lo <= address < hi for lo, hi in code):
                yield address - base


def script_entry(obj, section):
    """A linker-script input description for one section of one object, independent of the build folder."""
    return f"*/{os.path.basename(os.path.dirname(obj))}/{os.path.basename(obj)}({section})"


def write_script(path, entries):
    with open(path, "w") as f:
        f.write("/* Written by scripts/startup-order.py: start-up code that has no symbol to order (compiler-made\n"
                "   thunks, sections .text..L__unnamed_N), placed just before .text, next to the ordered functions. */\n"
                "SECTIONS {\n  .text.gatehouse_startup : {\n")
        for entry in entries:
            f.write(f"    {entry}\n")
        f.write("  }\n} INSERT BEFORE .text;\n")


def refine(order_path, rounds):
    """Step 2: relink with the order, and add the code that still faults, until nothing new faults."""
    names = open(order_path).read().split()
    script_path = os.path.join(os.path.dirname(order_path), "startup.ld")
    entries = []
    if os.path.exists(script_path):
        entries = [line.strip() for line in open(script_path) if line.strip().startswith("*/")]
    bin_dir = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout.strip()
    map_path = os.path.join(bin_dir, "gatehouse.map")
    for round_number in range(1, rounds + 1):
        write_script(script_path, entries)
        subprocess.run([os.path.join(ROOT, "scripts", "build-release.sh"), "-Xlinker", f"-Map={map_path}"],
                       cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        sections = link_map(map_path)
        starts = [section[0] for section in sections]
        symbols = function_symbols(os.path.join(bin_dir, "gatehouse.debug"))
        symbol_starts = [symbol[0] for symbol in symbols]
        known_names, known_entries = set(names), set(entries)
        new_names, new_entries = [], []
        for address in faulting_addresses(os.path.join(bin_dir, "gatehouse")):
            index = bisect.bisect_right(starts, address) - 1
            if index < 0 or not starts[index] <= address < starts[index] + sections[index][1]:
                continue
            _, _, obj, section = sections[index]
            if section.startswith(".text..L"):
                entry = script_entry(obj, section)
                if entry not in known_entries:
                    known_entries.add(entry)
                    new_entries.append(entry)
                continue
            symbol = symbols[bisect.bisect_right(symbol_starts, address) - 1][2]
            if symbol not in known_names:
                known_names.add(symbol)
                new_names.append(symbol)
        print(f"round {round_number}: {len(new_names)} functions and {len(new_entries)} unnamed sections faulted "
              "outside the ordered code", file=sys.stderr)
        if not new_names and not new_entries:
            break
        names += new_names
        entries += new_entries
        with open(order_path, "w") as f:
            f.write("\n".join(names) + "\n")
    write_script(script_path, entries)
    # The shipped binary is linked with the final files.
    subprocess.run([os.path.join(ROOT, "scripts", "build-release.sh")], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", help="an instrumented gatehouse (default: build one into .build-order/)")
    parser.add_argument("--out", default=ORDER_FILE)
    parser.add_argument("--refine-only", action="store_true", help="skip step 1")
    parser.add_argument("--rounds", type=int, default=40, help="at most this many page-fault rounds")
    options = parser.parse_args()
    if options.refine_only:
        refine(options.out, options.rounds)
        return
    binary = options.binary or build_instrumented(os.path.join(ROOT, ".build-order"))
    with tempfile.TemporaryDirectory(prefix="gh-sancov-") as out_dir:
        files = run_hub(binary, out_dir)
        if not files:
            raise SystemExit("the instrumented hub wrote no coverage (was it built with -sanitize-coverage?)")
        offsets = sorted({pc for path in files for pc in read_offsets(path)})
    symbols = function_symbols(binary)
    starts = [address for address, _, _ in symbols]
    names, unnamed = {}, 0
    for pc in offsets:
        index = bisect.bisect_right(starts, pc) - 1
        if index < 0 or not (symbols[index][0] <= pc < symbols[index][0] + max(symbols[index][1], 1)):
            unnamed += 1
            continue
        address, _, name = symbols[index]
        # Sanitizer and profiling runtime functions are not in the final link.
        if name.startswith(("__asan", "__sanitizer", "__sancov", "asan.", "sancov.")):
            continue
        names.setdefault(address, name)
    ordered = [names[address] for address in sorted(names)]
    with open(options.out, "w") as f:
        f.write("\n".join(ordered) + "\n")
    print(f"{len(offsets)} functions ran at start; {len(ordered)} named into {os.path.relpath(options.out, ROOT)}"
          f" ({unnamed} addresses outside any symbol)", file=sys.stderr)
    # A full run starts the unnamed sections afresh too, so none from older code stays listed.
    script_path = os.path.join(os.path.dirname(options.out), "startup.ld")
    if os.path.exists(script_path):
        os.remove(script_path)
    refine(options.out, options.rounds)


if __name__ == "__main__":
    main()
