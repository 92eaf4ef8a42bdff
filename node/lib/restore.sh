# shellcheck shell=bash
# Point-in-time restore of this node from its stanza in the bucket, to a named restore point: every node of the
# cluster is given the same BACKUP_RESTORE_POINT (one written on all nodes by citus_create_restore_point), so the
# coordinator's metadata and the workers' shards come back from the same instant. The restore runs once per point:
# a file next to PGDATA records the point and whether it finished, so later boots with the variable still set start
# normally. Data already in PGDATA is never deleted: it is moved aside first.

RESTORE_POINT=
RESTORING=0

restore_marker() {
  printf '%s/citus-node-restore\n' "$(dirname "$PGDATA")"
}

check_restore_settings() {
  RESTORE_POINT=${BACKUP_RESTORE_POINT:-}
  [[ -n $RESTORE_POINT ]] || return 0
  if ((BACKUP_ENABLED == 0)); then
    fail 2 '[restore-without-bucket]' "BACKUP_RESTORE_POINT is set but this node has no bucket to restore from (reference the bucket's variables here too; without pgbackrest in the image the line above says so)"
  fi
  if [[ ! $RESTORE_POINT =~ ^[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}$ ]]; then
    fail 2 '[restore-point-invalid]' "BACKUP_RESTORE_POINT='$RESTORE_POINT' is not a restore point name (letters, digits, . _ : -)"
  fi
}

# "<point> <state>" from the marker, empty without one.
restore_state() {
  local marker
  marker="$(restore_marker)"
  if [[ -s $marker ]]; then
    cat "$marker"
  fi
}

write_restore_state() {
  local marker temporary
  marker="$(restore_marker)"
  temporary="$(mktemp "$marker.XXXXXX")"
  printf '%s %s\n' "$1" "$2" >"$temporary"
  mv -f "$temporary" "$marker"
}

# Before the server starts: restores PGDATA from the bucket when BACKUP_RESTORE_POINT names a point this volume has
# not been restored to. Sets RESTORING=1 while the server must still reach the point.
restore_if_asked() {
  local state aside output set=()
  RESTORING=0
  [[ -n $RESTORE_POINT ]] || return 0
  state="$(restore_state)"
  case "$state" in
    "$RESTORE_POINT done") return 0 ;;
    "$RESTORE_POINT failed") refuse_unreached_restore_point ;;
    "$RESTORE_POINT recovering")
      # Stopped or killed while replaying WAL: the server carries on from where it was.
      RESTORING=1
      return 0
      ;;
    "$RESTORE_POINT restoring") ;; # interrupted while copying files: the partial copy is replaced below
    *)
      if [[ -d $PGDATA ]] && [[ -n "$(ls -A "$PGDATA")" ]]; then
        aside="$PGDATA.before-restore-$(date -u +%Y%m%dT%H%M%SZ)"
        mv "$PGDATA" "$aside"
        say "restore: the data directory was moved to $aside (delete it once the restored cluster is right)"
      fi
      ;;
  esac
  write_restore_state "$RESTORE_POINT" restoring
  rm -rf "$PGDATA"
  mkdir -p "$PGDATA"
  chmod 0700 "$PGDATA"
  give_to_postgres "$PGDATA"
  write_backup_config
  if [[ -n ${BACKUP_RESTORE_SET:-} ]]; then
    set=(--set="$BACKUP_RESTORE_SET")
  fi
  say "restore: restoring stanza '$BACKUP_STANZA' from bucket '$BUCKET' to restore point '$RESTORE_POINT'"
  if ! output="$(run_as_postgres pgbackrest --config="$(backup_config_file)" --stanza="$BACKUP_STANZA" "${set[@]}" \
    --type=name --target="$RESTORE_POINT" --target-action=promote restore 2>&1)"; then
    fail 1 '[restore-failed]' "pgBackRest could not restore stanza '$BACKUP_STANZA': $(pgbackrest_error "$output"); the next boot tries again"
  fi
  write_restore_state "$RESTORE_POINT" recovering
  RESTORING=1
}

# PostgreSQL ended recovery without meeting the point: it is not in the WAL archived after the restored backup.
refuse_unreached_restore_point() {
  write_restore_state "$RESTORE_POINT" failed
  fail 1 '[restore-point-not-reached]' "stanza '$BACKUP_STANZA' has no restore point '$RESTORE_POINT' after the backup it was restored from; set BACKUP_RESTORE_POINT to a point that exists (or BACKUP_RESTORE_SET to an older backup); data from before the restore stays in $(dirname "$PGDATA")"
}

# Once the server accepts connections (read-only while it replays WAL): waits until it has reached the point and
# been promoted. A server that exits first never found the point.
finish_restore() {
  ((RESTORING == 1)) || return 0
  while server_running && ((SERVER_STOPPING == 0)); do
    if [[ "$(run_as_postgres psql -X -A -t -q -h "$SERVER_SOCKET_DIR" -p "$SERVER_PORT" -U "$POSTGRES_USER" \
      -d "$POSTGRES_DB" -c 'select pg_is_in_recovery()' 2>/dev/null)" == f ]]; then
      write_restore_state "$RESTORE_POINT" "done"
      RESTORING=0
      say "restore: stanza '$BACKUP_STANZA' is at restore point '$RESTORE_POINT' and accepts writes"
      return 0
    fi
    sleep 0.2
  done
  ((SERVER_STOPPING == 1)) || refuse_unreached_restore_point
}
