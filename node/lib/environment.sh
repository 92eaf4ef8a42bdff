# shellcheck shell=bash
# Checks the service's variables before anything touches the volume.
# Exports POSTGRES_USER and POSTGRES_DB (their defaults when unset) and PGDATA, and unsets libpq's client variables
# (PG*). Reads CITUS_NODE_ROLE, POSTGRES_PASSWORD, RAILWAY_VOLUME_MOUNT_PATH and RAILWAY_ENVIRONMENT.
# Functions whose names start with _ are used only in this file.

readonly DEFAULT_PGDATA=/var/lib/postgresql/data/pgdata

check_node_role() {
  case "${CITUS_NODE_ROLE:-}" in
    coordinator | worker) ;;
    *) fail 2 '[unknown-node-role]' "CITUS_NODE_ROLE='${CITUS_NODE_ROLE:-}' must be coordinator or worker (the Dockerfile sets it)" ;;
  esac
}

check_credentials() {
  export POSTGRES_USER="${POSTGRES_USER:-postgres}"
  export POSTGRES_DB="${POSTGRES_DB:-$POSTGRES_USER}"
  if [[ -z ${POSTGRES_PASSWORD:-} ]]; then
    fail 2 '[postgres-password-missing]' "POSTGRES_PASSWORD is empty; set it on every node (the nodes authenticate to each other with it)"
  fi
  if [[ $POSTGRES_PASSWORD == *$'\n'* ]]; then
    fail 2 '[postgres-password-invalid]' "POSTGRES_PASSWORD contains a line break; use a single-line password"
  fi
}

# libpq variables the service exposes for its clients (PGHOST, PGPORT, PGUSER, PGPASSWORD, ...) must not
# steer the server: postgres takes its default port from PGPORT, and init scripts would connect elsewhere.
unset_client_variables() {
  local name
  for name in $(compgen -e); do
    if [[ $name == PG* && $name != PGDATA ]]; then
      unset "$name"
    fi
  done
}

# On Railway the volume root holds lost+found, and initdb refuses a non-empty directory.
check_data_location() {
  export PGDATA="${PGDATA:-$DEFAULT_PGDATA}"
  PGDATA="${PGDATA%/}"
  if [[ $PGDATA != /* || $PGDATA == *"'"* ]]; then
    fail 2 '[pgdata-invalid]' "PGDATA=$PGDATA must be an absolute path without quotes; e.g. set PGDATA=$DEFAULT_PGDATA"
  fi
  local volume="${RAILWAY_VOLUME_MOUNT_PATH:-}"
  volume="${volume%/}"
  if [[ -z $volume ]]; then
    if [[ -n ${RAILWAY_ENVIRONMENT:-} ]]; then
      warn '[no-volume]' "no Railway volume is attached, so the data in $PGDATA is lost on every redeploy; attach a volume at $(dirname "$DEFAULT_PGDATA")"
    fi
    return 0
  fi
  if [[ $PGDATA == "$volume" ]]; then
    fail 2 '[pgdata-at-volume-root]' "PGDATA=$PGDATA is the volume root (it holds lost+found); set PGDATA=$volume/pgdata"
  fi
  if [[ $PGDATA != "$volume"/* ]]; then
    fail 2 '[pgdata-outside-volume]' "PGDATA=$PGDATA is not on the volume mounted at $volume, so data would be lost on redeploy; set PGDATA=$volume/pgdata"
  fi
}
