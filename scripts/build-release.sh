#!/usr/bin/env bash
# Release build of gatehouse, shipped stripped, with its debug symbols kept in a separate file.
#
#   scripts/build-release.sh            -> .build/release/gatehouse (stripped) and .build/release/gatehouse.debug
#
# The stripped binary names its symbol file in a .gnu_debuglink section, so gdb, lldb and perf find
# gatehouse.debug when it lies beside the binary (or under /usr/lib/debug). Keep gatehouse.debug with each
# release to symbolicate crash reports from the field. No -target-cpu / -march flags: the binary runs on any
# x86-64, and Argon2 picks its AVX2 / AVX-512 kernels at run time.
set -euo pipefail
cd "$(dirname "$0")/.."

bin_dir=$(swift build -c release --show-bin-path)
binary="$bin_dir/gatehouse"
debug="$bin_dir/gatehouse.debug"
# A binary stripped by an earlier run must not be taken as up to date: relink it (only the link step runs).
rm -f "$binary" "$debug"
swift build -c release --product gatehouse "$@"

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
