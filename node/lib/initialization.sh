# shellcheck shell=bash
# shellcheck disable=SC2034 # PGDATA_WAS_EMPTY is read by entrypoint.sh
# First boot is initdb, a temporary server, the init scripts, then the real server. A SIGKILL anywhere in
# there leaves a PGDATA that looks initialized (PG_VERSION exists) but is not, and the official entrypoint
# would never initialize it again: every later boot would fail. A marker next to PGDATA, written before the
# first boot and removed once the real server accepts connections, tells such a leftover apart; it is set
# aside (renamed, never deleted) and initialization starts over. A kill can also come after the real server
# accepted its first clients but before the marker was removed: real_server_started tells that apart.
# Sets PGDATA_WAS_EMPTY; writes and removes citus-node-initializing next to PGDATA and moves an interrupted PGDATA
# aside. Reads PGDATA, PGDATA/PG_VERSION and PGDATA/postmaster.pid.
# Functions whose names start with _ are used only in this file.

_initialization_marker() {
  printf '%s/citus-node-initializing\n' "$(dirname "$PGDATA")"
}

# The official entrypoint's temporary server listens on no TCP address; the real server writes its listen
# address into postmaster.pid (sixth line) before it accepts a connection. A postmaster.pid left with one
# means initialization had finished and clients may have written data, however soon the kill came.
real_server_started() {
  local lines=()
  [[ -r $PGDATA/postmaster.pid ]] && mapfile -t lines <"$PGDATA/postmaster.pid" && [[ -n ${lines[5]:-} ]]
}

set_aside_interrupted_initialization() {
  local marker aside
  marker="$(_initialization_marker)"
  [[ -e $marker ]] || return 0
  if real_server_started; then
    rm -f "$marker"
    return 0
  fi
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
    : >"$(_initialization_marker)"
  fi
}

finish_initialization() {
  rm -f "$(_initialization_marker)"
}
