# shellcheck shell=bash
# Clone guard. Duplicating a service in Railway can copy its volume; two workers on the same data would
# corrupt the cluster. The volume remembers which service created it, in a file next to PGDATA (initdb
# needs PGDATA itself empty).
# Writes citus-node-identity next to PGDATA. Reads RAILWAY_SERVICE_ID or NODE_IDENTITY, PGDATA and PGDATA/PG_VERSION.
# Functions whose names start with _ are used only in this file.

_identity_marker() {
  printf '%s/citus-node-identity\n' "$(dirname "$PGDATA")"
}

# Railway's service id, else NODE_IDENTITY (docker compose sets one per service). Without either the
# marker keeps a generated id, and a copy cannot be told apart from the original.
_current_identity() {
  local marker=$1
  if [[ -n ${RAILWAY_SERVICE_ID:-} ]]; then
    printf '%s\n' "$RAILWAY_SERVICE_ID"
  elif [[ -n ${NODE_IDENTITY:-} ]]; then
    printf '%s\n' "$NODE_IDENTITY"
  elif [[ -s $marker ]]; then
    cat "$marker"
  else
    printf 'generated-%s\n' "$(cat /proc/sys/kernel/random/uuid)"
  fi
}

# Replaced whole (write, then rename), so a SIGKILL never leaves a truncated identity that would refuse the
# service its own volume.
_record_identity() {
  local marker=$1 identity=$2 temporary
  temporary="$(mktemp "$marker.XXXXXX")"
  printf '%s\n' "$identity" >"$temporary"
  mv -f "$temporary" "$marker"
}

guard_against_cloned_volume() {
  local marker identity recorded
  marker="$(_identity_marker)"
  identity="$(_current_identity "$marker")"
  mkdir -p "$(dirname "$marker")"
  if [[ ! -s $PGDATA/PG_VERSION ]]; then
    _record_identity "$marker" "$identity"
    return 0
  fi
  if [[ ! -s $marker ]]; then
    say "adopting the existing data in $PGDATA for service $identity"
    _record_identity "$marker" "$identity"
    return 0
  fi
  recorded="$(<"$marker")"
  if [[ $recorded != "$identity" ]]; then
    fail 1 '[volume-from-another-service]' "the data in $PGDATA was created by service $recorded, not by this service ($identity): the volume was probably copied when a service was duplicated. Nothing was changed. To start this node empty, delete everything on its volume and redeploy; if this really is this service's own data, delete $marker"
  fi
}
