#!/usr/bin/env bash
# Entrypoint of the coordinator and worker images: check the environment, prepare the volume, the
# configuration and the credentials, then run the official docker-entrypoint.sh, which runs initdb on an
# empty PGDATA and execs postgres. Steps that need the server (the password sync) run once it accepts
# connections; the wrapper stays PID 1 to pass SIGTERM on as a fast shutdown (lib/server.sh).
# Sourced (by a test), this file only defines its functions; run, it runs main.
set -euo pipefail

NODE_LIB_DIR="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib"
# shellcheck source=lib/messages.sh
source "$NODE_LIB_DIR/messages.sh"
# shellcheck source=lib/quoting.sh
source "$NODE_LIB_DIR/quoting.sh"
# shellcheck source=lib/postgres-user.sh
source "$NODE_LIB_DIR/postgres-user.sh"
# shellcheck source=lib/environment.sh
source "$NODE_LIB_DIR/environment.sh"
# shellcheck source=lib/initialization.sh
source "$NODE_LIB_DIR/initialization.sh"
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
# shellcheck source=lib/server.sh
source "$NODE_LIB_DIR/server.sh"
# shellcheck source=lib/resolver.sh
source "$NODE_LIB_DIR/resolver.sh"
# shellcheck source=lib/backup-ledger.sh
source "$NODE_LIB_DIR/backup-ledger.sh"
# shellcheck source=lib/backup.sh
source "$NODE_LIB_DIR/backup.sh"
# shellcheck source=lib/restore.sh
source "$NODE_LIB_DIR/restore.sh"
# shellcheck source=lib/patroni.sh
source "$NODE_LIB_DIR/patroni.sh"

OFFICIAL_ENTRYPOINT="${NODE_OFFICIAL_ENTRYPOINT:-docker-entrypoint.sh}"

# Every step before start_server only reads the volume or replaces files whole, so a SIGKILL at any point
# leaves a volume the next boot starts from.
main() {
  if [[ ${1:-} == -* ]]; then
    set -- postgres "$@"
  fi
  # Anything but the server (a shell, psql) runs as asked.
  if [[ ${1:-} != postgres ]]; then
    exec "$OFFICIAL_ENTRYPOINT" "$@"
  fi

  check_environment
  start_local_resolver
  if ((HA_ENABLED == 1)); then
    run_ha_member
  fi
  prepare_data_directory
  write_configuration
  run_server "${@:2}"
}

# The high-availability variant: Patroni initializes, clones, starts and fails over the server (lib/patroni.sh); a
# restore runs first (lib/restore.sh).
run_ha_member() {
  PGDATA_WAS_EMPTY=0
  guard_against_cloned_volume
  restore_ha_member
  if ((RESTORE_HANDOVER == 1)); then
    forget_former_group_state
    finish_restore_handover
  fi
  await_ha_group
  write_configuration
  write_ha_config
  start_ha_backups
  run_patroni
}

# A wrong variable stops the node before it touches the volume.
check_environment() {
  check_ha_settings
  check_node_role
  check_credentials
  check_memory_overrides
  check_backup_settings
  check_restore_settings
  unset_client_variables
  check_data_location
}

# Sets PGDATA_WAS_EMPTY.
prepare_data_directory() {
  set_aside_interrupted_initialization
  guard_against_cloned_volume
  restore_if_asked
  begin_initialization_if_empty
}

write_configuration() {
  detect_memory_limit
  compute_memory_settings
  ensure_tls_certificate
  write_node_settings
  write_pgpass
}

# run_server <postgres arguments...>: returns the server's exit status, which becomes the container's.
run_server() {
  say "starting the ${CITUS_NODE_ROLE}: max_connections=${SETTING_MAX_CONNECTIONS} shared_buffers=${SETTING_SHARED_BUFFERS} work_mem=${SETTING_WORK_MEM} (memory limit ${MEMORY_LIMIT_MIB} MiB, ${MEMORY_LIMIT_SOURCE})"
  start_server postgres -c "config_file=$NODE_SETTINGS_FILE" "$@"
  if await_server_ready; then
    finish_boot
  elif ((RESTORING == 1 && SERVER_STOPPING == 0)); then
    refuse_unreached_restore_point
  fi
  await_server_exit
}

# The steps that need the server accepting connections.
finish_boot() {
  finish_restore
  honour_archive_timeout
  confirm_cluster_restore
  start_backups
  finish_initialization
  if ((PGDATA_WAS_EMPTY == 0)); then
    sync_role_password "$SERVER_SOCKET_DIR" "$SERVER_PORT"
  fi
}

# Bash names the caller of this check "source" when the file is sourced, "main" (the top level) when it is run.
is_sourced() {
  [[ ${FUNCNAME[1]} == source ]]
}

if ! is_sourced; then
  main "$@"
fi
