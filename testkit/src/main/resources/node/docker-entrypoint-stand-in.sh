#!/usr/bin/env bash
# Test stand-in for the postgres image's docker-entrypoint.sh (which cannot run outside the image): what
# matters to the node wrapper, done the same way. On an empty PGDATA: initdb with POSTGRES_PASSWORD
# (default trust lines included), append "host all all all scram-sha-256" to pg_hba.conf, start a
# socket-only temporary server with the same arguments, create POSTGRES_DB, run the init files, stop.
# Started as root, it re-execs itself as the postgres user first (the real one uses gosu, which sets
# HOME from passwd; here HOME is NODE_POSTGRES_HOME), and finally execs postgres.
# Test-only variables: STANDIN_INITDB_DIR (the /docker-entrypoint-initdb.d of the image).
set -euo pipefail

if [[ ${1:-} != postgres ]]; then
  exec "$@"
fi

if [[ $(id -u) == 0 ]]; then
  mkdir -p "$PGDATA"
  chmod 0700 "$PGDATA"
  find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' +
  exec setpriv --reuid=postgres --regid=postgres --init-groups -- env HOME="${NODE_POSTGRES_HOME:?}" "${BASH_SOURCE[0]}" "$@"
fi
shift

if [[ ! -s $PGDATA/PG_VERSION ]]; then
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of options, as in the official entrypoint
  initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") ${POSTGRES_INITDB_ARGS:-}
  printf '\nhost all all all scram-sha-256\n' >>"$PGDATA/pg_hba.conf"

  socket_dir="$(mktemp -d)"
  pg_ctl -D "$PGDATA" -o "$(printf '%q ' "$@") -c listen_addresses='' -p 5432 -c unix_socket_directories=$socket_dir" -w start
  psql=(psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --no-password --no-psqlrc -h "$socket_dir" -p 5432)
  exists="$("${psql[@]}" --dbname postgres -t -A --set db="$POSTGRES_DB" <<<"SELECT 1 FROM pg_database WHERE datname = :'db'")"
  if [[ -z $exists ]]; then
    "${psql[@]}" --dbname postgres --set db="$POSTGRES_DB" <<<'CREATE DATABASE :"db"'
  fi
  for file in "${STANDIN_INITDB_DIR:-/nonexistent}"/*; do
    case "$file" in
      *.sql) "${psql[@]}" --dbname "$POSTGRES_DB" -f "$file" ;;
      *.sh) env PGHOST="$socket_dir" PGPORT=5432 bash "$file" ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop
  rm -rf "$socket_dir"
fi

exec postgres "$@"
