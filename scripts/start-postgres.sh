#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 server: scripts/start-postgres.sh DIR PORT. Creates database gatehouse_test.
# PostgreSQL refuses to run as root, so it runs as the 'postgres' user (created if missing).
set -euo pipefail
DIR="$1"
PORT="$2"
PGBIN=/usr/lib/postgresql/15/bin
id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
mkdir -p "$DIR"
chown postgres "$DIR"
chmod 700 "$DIR"
runuser -u postgres -- "$PGBIN/initdb" -D "$DIR/data" -A trust -U postgres --no-sync >/dev/null
if ! runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w \
    -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=600" start >/dev/null; then
    cat "$DIR/server.log" >&2
    exit 1
fi
runuser -u postgres -- "$PGBIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres gatehouse_test
echo "== PostgreSQL ready on 127.0.0.1:$PORT"
