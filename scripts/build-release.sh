#!/usr/bin/env bash
# Release build of gatehouse, shipped stripped, with its debug symbols kept in a separate file.
#
#   scripts/build-release.sh            -> .build/release/gatehouse (stripped) and .build/release/gatehouse.debug
#
# The stripped binary names its symbol file in a .gnu_debuglink section, so gdb, lldb and perf find
# gatehouse.debug when it lies beside the binary (or under /usr/lib/debug). Keep gatehouse.debug with each
# release to symbolicate crash reports from the field. No -target-cpu / -march flags: the binary runs on any
# x86-64, and Argon2 picks its AVX2 / AVX-512 kernels at run time.
#
# Start-up code is placed together: every function gets a section of its own (Swift and C), and lld puts the
# functions named in scripts/startup.order (those a hub runs from start to rest, written by
# scripts/startup-order.py) first in .text, and scripts/startup.ld places just before them the start-up code that
# has no symbol (compiler-made thunks, named by object and section). The kernel maps 64 KiB of the file around
# each page fault, so scattered start-up code would make most of the 27 MiB of code resident; placed together it fills about 3 MiB.
# Names and sections the link no longer has are skipped, so a stale order file costs memory, never correctness.
# -disable-incremental-llvm-codegen: the compiler keeps an object whose LLVM IR is unchanged, and section
# placement is not part of the IR, so objects from a plain `swift build -c release` would be kept as they are.
set -euo pipefail
cd "$(dirname "$0")/.."

bin_dir=$(swift build -c release --show-bin-path)
binary="$bin_dir/gatehouse"
debug="$bin_dir/gatehouse.debug"
# A binary stripped by an earlier run must not be taken as up to date: relink it (only the link step runs).
rm -f "$binary" "$debug"
order_file="$PWD/scripts/startup.order"
# Start-up code without a symbol (compiler-made thunks) is named by object and section in this script.
script_file="$PWD/scripts/startup.ld"
swift build -c release --product gatehouse \
    -Xswiftc -use-ld=lld -Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections \
    -Xswiftc -Xfrontend -Xswiftc -disable-incremental-llvm-codegen \
    -Xlinker --symbol-ordering-file="$order_file" -Xlinker --no-warn-symbol-ordering \
    -Xlinker --script="$script_file" "$@"

size() { stat -c %s "$1"; }
before=$(size "$binary")
objcopy --only-keep-debug "$binary" "$debug"
strip --strip-all "$binary"
# The link names the file only (no directory), so it is found beside the binary wherever both are installed.
(cd "$bin_dir" && objcopy --add-gnu-debuglink=gatehouse.debug gatehouse)
after=$(size "$binary")

awk -v b="$before" -v a="$after" -v d="$(size "$debug")" -v f="$debug" 'BEGIN {
    printf "gatehouse: %d bytes unstripped -> %d bytes stripped (%.1f MiB -> %.1f MiB); symbols: %s (%.1f MiB)\n",
        b, a, b / 1048576, a / 1048576, f, d / 1048576 }'
