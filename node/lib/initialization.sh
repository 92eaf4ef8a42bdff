# shellcheck shell=bash
# shellcheck disable=SC2034 # PGDATA_WAS_EMPTY is read by entrypoint.sh
# First boot is initdb, a temporary server, the init scripts, then the real server. A SIGKILL anywhere in
# there leaves a PGDATA that looks initialized (PG_VERSION exists) but is not, and the official entrypoint
# would never initialize it again: every later boot would fail. A marker next to PGDATA, written before the
# first boot and removed once the real server accepts connections, tells such a leftover apart; it is set
# aside (renamed, never deleted) and initialization starts over.

initialization_marker() {
  printf '%s/citus-node-initializing\n' "$(dirname "$PGDATA")"
}

set_aside_interrupted_initialization() {
  local marker aside
  marker="$(initialization_marker)"
  [[ -e $marker ]] || return 0
  if [[ -d $PGDATA ]] && [[ -n "$(ls -A "$PGDATA")" ]]; then
    aside="$PGDATA.interrupted-$(date -u +%Y%m%dT%H%M%SZ)"
    mv "$PGDATA" "$aside"
    warn '[initialization-interrupted]' "the first boot was interrupted before the server ever accepted connections; its incomplete data directory was moved to $aside and the node initializes again (delete that directory once you no longer need it)"
  fi
  rm -f "$marker"
}

# Sets PGDATA_WAS_EMPTY for the steps that only apply to existing data.
begin_initialization_if_empty() {
  PGDATA_WAS_EMPTY=0
  if [[ ! -s $PGDATA/PG_VERSION ]]; then
    PGDATA_WAS_EMPTY=1
    : >"$(initialization_marker)"
  fi
}

finish_initialization() {
  rm -f "$(initialization_marker)"
}
