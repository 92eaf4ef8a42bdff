#!/usr/bin/env bash
# Docker HEALTHCHECK: the TCP listener answers, password authentication works (with the same ~/.pgpass
# the nodes use for each other) and the citus library is loaded. Usage: healthcheck.sh [port]
set -euo pipefail

NODE_LIB_DIR="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib"
# shellcheck source=lib/messages.sh
source "$NODE_LIB_DIR/messages.sh"
# shellcheck source=lib/postgres-user.sh
source "$NODE_LIB_DIR/postgres-user.sh"
# shellcheck source=lib/environment.sh
source "$NODE_LIB_DIR/environment.sh"

port="${1:-5432}"
user="${POSTGRES_USER:-postgres}"
database="${POSTGRES_DB:-$user}"
pgpass="$(postgres_home)/.pgpass"
unset_client_variables

if ! answer="$(PGPASSFILE=$pgpass psql -X -A -t -w \
  "host=127.0.0.1 port=$port user=$user dbname=$database connect_timeout=3" \
  -c "select current_setting('citus.node_conninfo', true) is not null" 2>&1)"; then
  fail 1 '[health-connection-failed]' "cannot log in over TCP on 127.0.0.1:$port as $user with $pgpass: $(head -n 1 <<<"$answer")"
fi
if [[ $answer != t ]]; then
  fail 1 '[health-citus-not-loaded]' "the server on port $port answers but the citus library is not loaded (check shared_preload_libraries)"
fi
