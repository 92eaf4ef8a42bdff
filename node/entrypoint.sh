#!/usr/bin/env bash
# Entrypoint of the coordinator and worker images: check the environment, prepare the volume, the
# configuration and the credentials, then run the official docker-entrypoint.sh, which runs initdb on an
# empty PGDATA and execs postgres; SIGTERM is passed on as PostgreSQL's fast shutdown (see the end).
set -euo pipefail

NODE_LIB_DIR="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib"
# shellcheck source=lib/messages.sh
source "$NODE_LIB_DIR/messages.sh"
# shellcheck source=lib/postgres-user.sh
source "$NODE_LIB_DIR/postgres-user.sh"
# shellcheck source=lib/environment.sh
source "$NODE_LIB_DIR/environment.sh"
# shellcheck source=lib/identity.sh
source "$NODE_LIB_DIR/identity.sh"
# shellcheck source=lib/memory.sh
source "$NODE_LIB_DIR/memory.sh"
# shellcheck source=lib/tls.sh
source "$NODE_LIB_DIR/tls.sh"
# shellcheck source=lib/settings.sh
source "$NODE_LIB_DIR/settings.sh"
# shellcheck source=lib/credentials.sh
source "$NODE_LIB_DIR/credentials.sh"

OFFICIAL_ENTRYPOINT="${NODE_OFFICIAL_ENTRYPOINT:-docker-entrypoint.sh}"

if [[ ${1:-} == -* ]]; then
  set -- postgres "$@"
fi
# Anything but the server (a shell, psql) runs as asked.
if [[ ${1:-} != postgres ]]; then
  exec "$OFFICIAL_ENTRYPOINT" "$@"
fi

check_node_role
check_credentials
check_memory_overrides
unset_client_variables
check_data_location

guard_against_cloned_volume
detect_memory_limit
compute_memory_settings
ensure_tls_certificate
write_node_settings
write_pgpass
sync_role_password

say "starting the ${CITUS_NODE_ROLE}: max_connections=${SETTING_MAX_CONNECTIONS} shared_buffers=${SETTING_SHARED_BUFFERS} work_mem=${SETTING_WORK_MEM} (memory limit ${MEMORY_LIMIT_MIB} MiB, ${MEMORY_LIMIT_SOURCE})"
# Railway (and Docker) stop a container with SIGTERM, which PostgreSQL takes as a "smart" shutdown: it
# waits for every client to disconnect, and the registrar and connection pools never do, so SIGKILL comes
# first. This wrapper therefore stays as PID 1 only to forward SIGTERM as SIGINT, PostgreSQL's fast
# shutdown: sessions are closed, a shutdown checkpoint is written, the server exits.
"$OFFICIAL_ENTRYPOINT" postgres -c "config_file=$NODE_SETTINGS_FILE" "${@:2}" &
server_pid=$!
trap 'kill -INT "$server_pid" 2>/dev/null || true' TERM INT
# wait returns early whenever a trapped signal arrives; keep waiting until the server has really exited.
while kill -0 "$server_pid" 2>/dev/null; do
  wait "$server_pid" || true
done
wait "$server_pid"
