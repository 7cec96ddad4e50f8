#!/usr/bin/env bash
# The whole test suite: installs what the tests need, starts PostgreSQL, builds, and runs the Swift tests and the
# end-to-end tests (Python: oracles, live HTTP, SMTP, browser). Usage: scripts/test.sh  (or: make test)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"

scripts/install-test-deps.sh

RUN_DIR="$(mktemp -d /tmp/gatehouse-test.XXXXXX)"
chmod 755 "$RUN_DIR"
# A free port, so a PostgreSQL already running on this machine is no obstacle.
PG_PORT="${GATEHOUSE_TEST_PG_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
cleanup() {
    if [ -f "$RUN_DIR/pg/data/postmaster.pid" ]; then
        runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D "$RUN_DIR/pg/data" -m immediate stop >/dev/null 2>&1 || true
    fi
    rm -rf "$RUN_DIR"
}
trap cleanup EXIT

scripts/start-postgres.sh "$RUN_DIR/pg" "$PG_PORT"
export GATEHOUSE_TEST_POSTGRES_URL="postgres://postgres:unused@127.0.0.1:${PG_PORT}/gatehouse_test"
# PostgreSQL cases are required here: without a server they would fail rather than skip.
export GATEHOUSE_REQUIRE_POSTGRES=1

echo "== building"
swift build --build-tests
export GATEHOUSE_BIN="$ROOT/.build/debug/gatehouse"
export GATEHOUSE_WEBAUTHN_VERIFY_BIN="$ROOT/.build/debug/webauthn-verify"

echo "== Swift tests"
swift test --skip-build

echo "== end-to-end tests"
mkdir -p e2e/output
python3 -m pytest -q e2e "$@"
