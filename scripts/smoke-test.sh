#!/usr/bin/env bash
# Smoke test of a running cluster: the registrar reports the expected number of active workers, and the
# README's first distributed table (examples/events.sql) works and spreads over them.
#
# Defaults fit the local cluster (docker compose up): coordinator on 127.0.0.1:5432, registrar on
# 127.0.0.1:8080, password from .env. Point it elsewhere with DATABASE_URL and REGISTRAR_URL.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${POSTGRES_PASSWORD:-}" ] && [ -z "${DATABASE_URL:-}" ] && [ -f "$here/../.env" ]; then
  POSTGRES_PASSWORD=$(sed -n 's/^POSTGRES_PASSWORD=//p' "$here/../.env")
fi
DATABASE_URL=${DATABASE_URL:-postgresql://postgres:${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD or DATABASE_URL}@127.0.0.1:5432/postgres}
REGISTRAR_URL=${REGISTRAR_URL:-http://127.0.0.1:8080}
EXPECTED_WORKERS=${EXPECTED_WORKERS:-2}
TIMEOUT_SECONDS=${TIMEOUT_SECONDS:-180}

fail() {
  echo "smoke-test: FAIL: $*" >&2
  exit 1
}

# psql on this machine, or the one inside the coordinator's container.
run_psql() {
  if command -v psql >/dev/null; then
    psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -X -q "$@"
  else
    docker compose --project-directory "$here/.." exec -T coordinator psql -U postgres -d postgres -v ON_ERROR_STOP=1 -X -q "$@"
  fi
}

active_workers() {
  curl -fsS "$REGISTRAR_URL/metrics" 2>/dev/null | sed -n 's/^citus_registrar_nodes{state="active"} //p'
}

deadline=$((SECONDS + TIMEOUT_SECONDS))
until [ "$(active_workers || true)" = "$EXPECTED_WORKERS" ]; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    fail "after ${TIMEOUT_SECONDS}s the registrar reports '$(active_workers || true)' active workers, expected $EXPECTED_WORKERS (see $REGISTRAR_URL/status)"
  fi
  sleep 2
done
status=$(curl -fsS "$REGISTRAR_URL/status")
case "$status" in
  *'"role":"leader"'*) ;;
  *) fail "the registrar is not acting as leader: $status" ;;
esac
echo "smoke-test: the registrar reports $EXPECTED_WORKERS active workers"

{ echo "SET client_min_messages = warning;"; cat "$here/../examples/events.sql"; } | run_psql >/dev/null
workers=$(run_psql -At -c "SELECT count(DISTINCT (nodename, nodeport)) FROM citus_shards WHERE table_name = 'events'::regclass")
[ "$workers" = "$EXPECTED_WORKERS" ] || fail "events has shards on $workers workers, expected $EXPECTED_WORKERS"
rows=$(run_psql -At -c "SELECT count(*) FROM events")
echo "smoke-test: events holds $rows rows in shards on $workers workers"
echo "smoke-test: OK"
