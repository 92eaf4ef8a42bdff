# shellcheck shell=bash
# shellcheck disable=SC2034 # SERVER_SOCKET_DIR and SERVER_PORT are read by entrypoint.sh
# The server's lifetime under the wrapper. The wrapper starts the official entrypoint in the background (it
# becomes the postmaster, same PID, through gosu's exec), waits for it to accept connections, does the
# steps that need a running server, and stays PID 1 to turn the runtime's SIGTERM into a fast shutdown.
# Nothing runs against PGDATA before the real server does: crash recovery after a SIGKILL always replays
# WAL with the real settings (Citus preloaded, so prepared transactions fit).
# Sets SERVER_PID, SERVER_STOPPING, SERVER_SOCKET_DIR and SERVER_PORT. Reads OFFICIAL_ENTRYPOINT, PGDATA,
# PGDATA/postmaster.pid and POSTGRES_USER.
# Functions whose names start with _ are used only in this file.

SERVER_PID=
SERVER_STOPPING=0

# start_server <postgres arguments...>: sets SERVER_PID.
start_server() {
  "$OFFICIAL_ENTRYPOINT" "$@" &
  SERVER_PID=$!
  trap _stop_server TERM INT
}

# PostgreSQL takes SIGTERM as a "smart" shutdown, which waits for every client to disconnect; the registrar
# and connection pools never do, so the runtime's SIGKILL would come first. SIGINT is the fast shutdown:
# sessions are closed, a shutdown checkpoint is written, the server exits.
_stop_server() {
  SERVER_STOPPING=1
  # A first boot stopped after its real server came up is a finished one (clients may have written data), even if
  # the wrapper had not yet seen it ready; its postmaster.pid is gone once it has stopped, so decide now.
  if real_server_started; then
    finish_initialization
  fi
  kill -INT "$SERVER_PID" 2>/dev/null || true
}

server_running() {
  kill -0 "$SERVER_PID" 2>/dev/null
}

# Waits until the server accepts connections; false if it exits (or is being stopped) first. Sets
# SERVER_SOCKET_DIR and SERVER_PORT from postmaster.pid once it names our server as ready. After a crash
# the file is stale until the new server replaces it, and in a container the new server often gets the
# same PID as the old one, so pg_isready on the socket has the last word: it answers only once recovery
# is over.
await_server_ready() {
  local pid_file=$PGDATA/postmaster.pid lines=()
  while server_running && ((SERVER_STOPPING == 0)); do
    if [[ -r $pid_file ]] && mapfile -t lines <"$pid_file" 2>/dev/null \
      && [[ ${lines[0]:-} == "$SERVER_PID" && ${lines[7]:-} == ready* && -n ${lines[4]:-} ]] \
      && pg_isready -q -h "${lines[4]}" -p "${lines[3]}" -U "$POSTGRES_USER" -d template1; then
      SERVER_PORT=${lines[3]}
      SERVER_SOCKET_DIR=${lines[4]}
      return 0
    fi
    sleep 0.1
  done
  return 1
}

# Waits for the server's exit and returns its status. wait returns early whenever a trapped signal
# arrives, so keep waiting until the server has really exited.
await_server_exit() {
  local status=0
  while server_running; do
    wait "$SERVER_PID" || true
  done
  wait "$SERVER_PID" || status=$?
  return "$status"
}

# Before a refusal found once the server is up: the server stops first, so the refusal is the last line the
# operator sees.
stop_server_and_wait() {
  _stop_server
  await_server_exit || true
}
