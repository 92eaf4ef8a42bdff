# shellcheck shell=bash
# The server and its files belong to the postgres OS user; the wrapper itself starts as root in the image.
# Sets POSTGRES_OS_USER. Reads EUID, NODE_POSTGRES_HOME (tests) and the passwd entry of the postgres user.
# Functions whose names start with _ are used only in this file.

readonly POSTGRES_OS_USER=postgres

postgres_home() {
  if [[ -n ${NODE_POSTGRES_HOME:-} ]]; then
    printf '%s\n' "$NODE_POSTGRES_HOME"
  else
    getent passwd "$POSTGRES_OS_USER" | cut -d: -f6
  fi
}

run_as_postgres() {
  if ((EUID == 0)); then
    setpriv --reuid="$POSTGRES_OS_USER" --regid="$POSTGRES_OS_USER" --init-groups -- "$@"
  else
    "$@"
  fi
}

give_to_postgres() {
  if ((EUID == 0)); then
    chown "$POSTGRES_OS_USER:$POSTGRES_OS_USER" "$@"
  fi
}
