#!/usr/bin/env bash
# What the registrar asks of a node's backups, through SQL (COPY ... FROM PROGRAM, so it runs as the server's OS
# user with the server's files): the node names this script, its pgBackRest configuration and stanza in the setting
# citus_node.backup_command (node/lib/backup.sh). It always prints one line of JSON and exits 0, so the caller reads
# the outcome instead of COPY's "program failed".
#   backup-command.sh <config> <stanza> <pgdata> backup full|diff|incr
#   backup-command.sh <config> <stanza> <pgdata> info              pgBackRest's info for the stanza
#   backup-command.sh <config> <stanza> <pgdata> record-point <name> <time>
#                                                                  notes a restore point on the newest backup
#   backup-command.sh <config> <stanza> <pgdata> disk              the volume's size and free space, pg_wal's size
set -uo pipefail

NODE_LIB_DIR="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib"
OUTPUT=
# shellcheck source=lib/backup-ledger.sh
source "$NODE_LIB_DIR/backup-ledger.sh"

json_string() {
  local text=$1
  text=${text//\\/\\\\}
  text=${text//\"/\\\"}
  text=${text//$'\t'/ }
  text=${text//$'\r'/ }
  text=${text//$'\n'/ }
  printf '"%s"' "$text"
}

answer_error() {
  printf '{"ok":false,"error":%s}\n' "$(json_string "$1")"
}

# stanza_pgbackrest <arguments...>: runs pgBackRest for this stanza; sets OUTPUT, or answers its error and returns 1.
# Every call but a backup is cut off after twice the configured io-timeout (node/lib/backup.sh), so an unreachable
# bucket costs the registrar's round seconds, not minutes.
stanza_pgbackrest() {
  local bound=() io_timeout
  if [[ $1 != --type=* ]]; then
    io_timeout="$(sed -n 's/^io-timeout=\([0-9]*\)$/\1/p' "$CONFIG" | head -n 1)"
    bound=(timeout --kill-after=5 "$((${io_timeout:-60} * 2))")
  fi
  if ! OUTPUT="$("${bound[@]}" pgbackrest --config="$CONFIG" --stanza="$STANZA" "$@" 2>&1)"; then
    answer_error "$(pgbackrest_error "$OUTPUT")"
    return 1
  fi
}

take_backup() {
  local type=$1 started
  case "$type" in
    full | diff | incr) ;;
    *)
      answer_error "backup type '$type' must be full, diff or incr"
      return 0
      ;;
  esac
  started=$(date +%s)
  stanza_pgbackrest --type="$type" backup || return 0
  printf '{"ok":true,"type":"%s","seconds":%d}\n' "$type" "$(($(date +%s) - started))"
}

# A stanza that cannot be read (the bucket down, a wrong key) is an error, never an empty list of backups: the
# registrar would otherwise take a full backup because a read failed. A stanza not created yet is an answer.
show_info() {
  local code message
  stanza_pgbackrest info --output=json || return 0
  read -r code message <<<"$(stanza_status <<<"$OUTPUT")"
  if ! stanza_readable "$code" && [[ $code != 1 && $code != 3 ]]; then
    answer_error "[backup-bucket-unreadable] pgBackRest could not read stanza '$STANZA' (status $code): $message"
    return 0
  fi
  printf '{"ok":true,"info":%s}\n' "$(tr -d '\n' <<<"$OUTPUT")"
}

record_point() {
  local name=$1 time=$2 label code message
  if [[ ! $name =~ ^[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}$ || ! $time =~ ^[0-9T:Z.+-]{1,40}$ ]]; then
    answer_error "restore point '$name' at '$time' is not a restore point name and time"
    return 0
  fi
  stanza_pgbackrest info --output=json || return 0
  read -r code message <<<"$(stanza_status <<<"$OUTPUT")"
  if ! stanza_readable "$code"; then
    answer_error "[backup-bucket-unreadable] pgBackRest could not read stanza '$STANZA' (status $code): $message"
    return 0
  fi
  label="$(grep -oE '"label":"[0-9]{8}-[0-9]{6}F[_0-9DI-]*"' <<<"$OUTPUT" | tail -n 1 | cut -d'"' -f4)"
  if [[ -z $label ]]; then
    answer_error "stanza '$STANZA' has no backup yet to note restore point '$name' on"
    return 0
  fi
  stanza_pgbackrest --set="$label" --annotation="$name=$time" annotate || return 0
  printf '{"ok":true,"backup":%s}\n' "$(json_string "$label")"
}

show_disk() {
  local sizes wal
  sizes="$(df -B1 --output=size,avail "$PGDATA_DIR" | tail -n 1)" || {
    answer_error "cannot read the size of the volume holding $PGDATA_DIR"
    return 0
  }
  wal="$(du -s -B1 "$PGDATA_DIR/pg_wal" 2>/dev/null | cut -f1)"
  read -r volume free <<<"$sizes"
  printf '{"ok":true,"volumeBytes":%d,"freeBytes":%d,"walBytes":%d}\n' "$volume" "$free" "${wal:-0}"
}

main() {
  if (($# < 4)); then
    answer_error "usage: backup-command.sh <config> <stanza> <pgdata> backup|info|record-point|disk ..."
    return 0
  fi
  CONFIG=$1
  STANZA=$2
  PGDATA_DIR=$3
  shift 3
  case "$1" in
    backup) take_backup "${2:-}" ;;
    info) show_info ;;
    record-point) record_point "${2:-}" "${3:-}" ;;
    disk) show_disk ;;
    *) answer_error "unknown action '$1'" ;;
  esac
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  main "$@"
fi
