#!/usr/bin/env bash
# Lint without building: package hygiene (scripts/check-imports.py) and swift-format (.swift-format).
# Usage: scripts/lint.sh  (or: make lint). `make format` formats every Swift file in place.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== package hygiene"
python3 scripts/check-imports.py

# Every Swift file is formatted with the committed .swift-format, and `swift format lint --strict` keeps it so: any
# finding fails. `make format` (scripts/lint.sh --format) formats in place. Generated files live in .build.
FORMATTED=(Sources Tests Plugins Benchmarks Package.swift)
if [ "${1:-}" = "--format" ]; then
    swift format format --in-place --recursive --parallel "${FORMATTED[@]}"
    exit 0
fi

echo "== swift-format (strict): ${FORMATTED[*]}"
swift format lint --strict --recursive --parallel "${FORMATTED[@]}"
echo "swift-format: no findings"
