# shellcheck shell=bash
# Point-in-time restore of this node from its stanza in the bucket, to a named restore point: every node of the
# cluster is given the same BACKUP_RESTORE_POINT (one written on all nodes by citus_create_restore_point), so the
# coordinator's metadata and the workers' shards come back from the same instant. BACKUP_RESTORE_TIME instead picks
# the newest point the registrar made at or before that time, from the notes in the bucket (lib/backup-ledger.sh),
# which also name the backup to start from. The restore runs once per target: a file next to PGDATA records it and
# whether it finished, so later boots with the variable still set start normally. Data already in PGDATA is never
# deleted: it is moved aside first. The node then reports the point in citus_node.restored_to. A restored coordinator
# takes no TCP connection (clients, the registrar) until every worker in its metadata reports the same point, so the
# cluster is never live with shards from another time; the registrar holds the workers to the same rule.
# Sets RESTORING, RESTORE_GATE, RESTORE_POINT, RESTORE_SET and RESTORE_REQUEST; writes citus-node-restore next to
# PGDATA and, while the coordinator waits, its pg_hba.conf. Reads BACKUP_RESTORE_POINT, BACKUP_RESTORE_TIME,
# BACKUP_RESTORE_SET, BUCKET, BACKUP_STANZA, CITUS_NODE_ROLE, PGDATA, POSTGRES_USER, POSTGRES_DB, SERVER_SOCKET_DIR
# and SERVER_PORT.
# Functions whose names start with _ are used only in this file.

RESTORE_POINT=
RESTORE_REQUEST=
RESTORE_SET=
RESTORING=0
RESTORE_GATE=0
# The state a volume's restore is recorded in once its server is at the point (for the coordinator: and every worker
# too). A high-availability group's a member records "handover" until Patroni has the restored data (restore_ha_member).
RESTORE_FINISHED_STATE="done"

_restore_marker() {
  printf '%s/citus-node-restore\n' "$(dirname "$PGDATA")"
}

check_restore_settings() {
  RESTORE_POINT=${BACKUP_RESTORE_POINT:-}
  RESTORE_REQUEST=
  if [[ -n $RESTORE_POINT && -n ${BACKUP_RESTORE_TIME:-} ]]; then
    fail 2 '[restore-target-ambiguous]' "BACKUP_RESTORE_POINT and BACKUP_RESTORE_TIME are both set; set one of them"
  fi
  if [[ -n ${BACKUP_RESTORE_TIME:-} ]]; then
    if ! RESTORE_REQUEST="$(date -u -d "$BACKUP_RESTORE_TIME" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null)"; then
      fail 2 '[restore-time-invalid]' "BACKUP_RESTORE_TIME='$BACKUP_RESTORE_TIME' is not a time (e.g. 2026-12-01T09:30:00Z)"
    fi
  fi
  [[ -n $RESTORE_POINT || -n $RESTORE_REQUEST ]] || return 0
  if ((BACKUP_ENABLED == 0)); then
    fail 2 '[restore-without-bucket]' "a restore target is set but this node has no bucket to restore from (reference the bucket's variables here too; without pgbackrest in the image the line above says so)"
  fi
  if [[ -n $RESTORE_POINT && ! $RESTORE_POINT =~ ^[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}$ ]]; then
    fail 2 '[restore-point-invalid]' "BACKUP_RESTORE_POINT='$RESTORE_POINT' is not a restore point name (letters, digits, . _ : -)"
  fi
}

# The noted restore points of this stanza ("<time> <point> <backup label>", oldest first). An unreadable bucket is
# refused here: its info lists no backups, which would read as "no such point".
_stanza_restore_points() {
  local output code message problem=""
  if ! output="$(run_as_postgres pgbackrest --config="$(backup_config_file)" --stanza="$BACKUP_STANZA" info --output=json 2>&1)"; then
    problem="$(pgbackrest_error "$output")"
  else
    read -r code message <<<"$(stanza_status <<<"$output")"
    stanza_readable "$code" || problem="status $code: $message"
  fi
  if [[ -n $problem ]]; then
    fail 1 '[restore-stanza-unreadable]' "pgBackRest could not read stanza '$BACKUP_STANZA' to find the restore point: $problem; nothing was moved, the next boot tries again"
  fi
  restore_point_ledger <<<"$output"
}

# Sets RESTORE_POINT (for BACKUP_RESTORE_TIME) and RESTORE_SET: the backup the point was noted on, unless
# BACKUP_RESTORE_SET names one. pgBackRest alone would start from the newest backup, which may be younger than the
# point; recovery from it could never reach the point.
_resolve_restore_target() {
  local points line
  RESTORE_SET=${BACKUP_RESTORE_SET:-}
  if [[ -n $RESTORE_POINT && -n $RESTORE_SET ]]; then
    return 0
  fi
  write_backup_config
  points="$(_stanza_restore_points)"
  if [[ -n $RESTORE_REQUEST ]]; then
    line="$(awk -v at="$RESTORE_REQUEST" '$1 <= at' <<<"$points" | tail -n 1)"
    if [[ -z $line ]]; then
      fail 1 '[restore-time-before-first-point]' "stanza '$BACKUP_STANZA' has no restore point at or before $RESTORE_REQUEST (the oldest noted: $(head -n 1 <<<"$points" | cut -d' ' -f1-2)); choose a later BACKUP_RESTORE_TIME"
    fi
    RESTORE_POINT="$(cut -d' ' -f2 <<<"$line")"
    say "restore: $RESTORE_REQUEST resolves to restore point '$RESTORE_POINT' made at $(cut -d' ' -f1 <<<"$line")"
  else
    line="$(awk -v point="$RESTORE_POINT" '$2 == point' <<<"$points" | tail -n 1)"
  fi
  if [[ -z $RESTORE_SET && -n $line ]]; then
    RESTORE_SET="$(cut -d' ' -f3 <<<"$line")"
  fi
}

# "<point> <state> <requested time or ->" from the marker, empty without one.
_restore_state() {
  local marker
  marker="$(_restore_marker)"
  if [[ -s $marker ]]; then
    cat "$marker"
  fi
}

# _write_restore_state <point> <state>
_write_restore_state() {
  local marker temporary
  marker="$(_restore_marker)"
  temporary="$(mktemp "$marker.XXXXXX")"
  printf '%s %s %s\n' "$1" "$2" "$(if [[ -n $RESTORE_REQUEST ]]; then echo "$RESTORE_REQUEST"; else echo -; fi)" >"$temporary"
  mv -f "$temporary" "$marker"
}

# The setting that tells the registrar which point this volume was restored to (empty: never restored).
restored_to_setting() {
  local point state
  read -r point state _ <<<"$(_restore_state)"
  if [[ $state == "done" || $state == recovering || $state == promoted || $state == handover ]]; then
    printf 'citus_node.restored_to = %s\n' "$(single_quoted "$point")"
  fi
}

# Before the server starts: restores PGDATA from the bucket when BACKUP_RESTORE_POINT names a point this volume has
# not been restored to. Sets RESTORING=1 while the server must still reach the point.
restore_if_asked() {
  local point state request output set=()
  RESTORING=0
  read -r point state request <<<"$(_restore_state)"
  if [[ -z $RESTORE_POINT && -z $RESTORE_REQUEST ]]; then
    _back_out_unfinished_restore "$point" "$state"
    return 0
  fi
  if [[ -n $RESTORE_REQUEST && $request == "$RESTORE_REQUEST" ]]; then
    RESTORE_POINT=$point # resolved when this restore began
  fi
  if [[ $point != "$RESTORE_POINT" || -z $point ]]; then
    state=new
  fi
  case "$state" in
    done | handover) return 0 ;;
    failed) refuse_unreached_restore_point ;;
    promoted)
      # At the point, but stopped before every worker was seen there.
      RESTORE_GATE=$(_is_coordinator)
      return 0
      ;;
    recovering)
      # Stopped or killed while replaying WAL: the server carries on from where it was.
      RESTORING=1
      RESTORE_GATE=$(_is_coordinator)
      return 0
      ;;
    restoring) _resolve_restore_target ;; # interrupted while copying files: the partial copy is replaced below
    *)
      _resolve_restore_target
      _set_data_aside
      ;;
  esac
  _write_restore_state "$RESTORE_POINT" restoring
  rm -rf "$PGDATA"
  mkdir -p "$PGDATA"
  chmod 0700 "$PGDATA"
  give_to_postgres "$PGDATA"
  write_backup_config
  if [[ -n $RESTORE_SET ]]; then
    set=(--set="$RESTORE_SET")
  fi
  say "restore: restoring stanza '$BACKUP_STANZA' from bucket '$BUCKET' to restore point '$RESTORE_POINT'${RESTORE_SET:+ from backup $RESTORE_SET}"
  if ! output="$(run_as_postgres pgbackrest --config="$(backup_config_file)" --stanza="$BACKUP_STANZA" "${set[@]}" \
    --type=name --target="$RESTORE_POINT" --target-action=promote restore 2>&1)"; then
    fail 1 '[restore-failed]' "pgBackRest could not restore stanza '$BACKUP_STANZA': $(pgbackrest_error "$output"); the next boot tries again"
  fi
  _write_restore_state "$RESTORE_POINT" recovering
  RESTORING=1
  RESTORE_GATE=$(_is_coordinator)
}

# _set_data_aside [what follows]: data already in PGDATA is moved aside, never deleted, before a restore replaces it.
_set_data_aside() {
  local aside
  if [[ -d $PGDATA ]] && [[ -n "$(ls -A "$PGDATA")" ]]; then
    aside="$PGDATA.before-restore-$(date -u +%Y%m%dT%H%M%SZ)"
    mv "$PGDATA" "$aside"
    say "restore: the data directory was moved to $aside (delete it once the restored cluster is right)${1:-}"
  fi
}

# _back_out_unfinished_restore <point> <state>: the restore target was removed before this volume's restore finished
# (refused, or still replaying WAL, or the coordinator still waiting for its workers). Started as it is, the server
# would replay towards a target it no longer has and stop again and again. The restored copy is moved aside and the
# data set aside when the restore began comes back; nothing is deleted. Without such data (the restore was onto a
# lost volume) the node starts empty.
_back_out_unfinished_restore() {
  local point=$1 state=$2 aside before
  case "$state" in
    failed | restoring | recovering | promoted) ;;
    *) return 0 ;;
  esac
  aside="$PGDATA.unfinished-restore-$(date -u +%Y%m%dT%H%M%SZ)"
  if [[ -d $PGDATA ]]; then
    mv "$PGDATA" "$aside"
  fi
  before="$(find "$(dirname "$PGDATA")" -maxdepth 1 -name "$(basename "$PGDATA").before-restore-*" -type d | sort | tail -n 1)"
  local outcome="there was no data from before the restore, so this node starts empty"
  if [[ -n $before ]]; then
    mv "$before" "$PGDATA"
    outcome="the data from before the restore, $before, is back in place"
  fi
  warn '[restore-backed-out]' "the restore to '$point' did not finish ($state) and no restore target is set any more: its copy was moved to $aside; $outcome"
  rm -f "$(_restore_marker)"
}

_is_coordinator() {
  if [[ $CITUS_NODE_ROLE == coordinator ]]; then echo 1; else echo 0; fi
}

# PostgreSQL ended recovery without meeting the point: it is not in the WAL archived after the restored backup.
refuse_unreached_restore_point() {
  _write_restore_state "$RESTORE_POINT" failed
  fail 1 '[restore-point-not-reached]' "stanza '$BACKUP_STANZA' has no restore point '$RESTORE_POINT' after the backup it was restored from; set BACKUP_RESTORE_POINT to a point that exists (or BACKUP_RESTORE_SET to an older backup), or remove the restore variables from every node to go back to the data from before the restore (kept in $(dirname "$PGDATA"))"
}

# Once the server accepts connections (read-only while it replays WAL): waits until it has reached the point and
# been promoted. A server that exits first never found the point.
finish_restore() {
  ((RESTORING == 1)) || return 0
  while server_running && ((SERVER_STOPPING == 0)); do
    if [[ "$(local_query 'select pg_is_in_recovery()')" == f ]]; then
      RESTORING=0
      if ((RESTORE_GATE == 1)); then
        _write_restore_state "$RESTORE_POINT" promoted
        say "restore: stanza '$BACKUP_STANZA' is at restore point '$RESTORE_POINT'; waiting for every worker to be there too"
      else
        _write_restore_state "$RESTORE_POINT" "$RESTORE_FINISHED_STATE"
        say "restore: stanza '$BACKUP_STANZA' is at restore point '$RESTORE_POINT' and accepts writes"
      fi
      return 0
    fi
    sleep 0.2
  done
  ((SERVER_STOPPING == 1)) || refuse_unreached_restore_point
}

local_query() {
  run_as_postgres psql -X -A -t -q -h "$SERVER_SOCKET_DIR" -p "$SERVER_PORT" -U "$POSTGRES_USER" -d "$POSTGRES_DB" \
    -c "$1" 2>/dev/null
}

# _restore_point_of <host> <port>: the worker's citus_node.restored_to ("-" when never restored; "recovering" while it
# still replays WAL and takes no writes), or fails.
_restore_point_of() {
  local home
  home="$(postgres_home)"
  # The postgres user's own HOME: libpq looks for client certificates there, and root's is not readable to it.
  HOME=$home PGPASSFILE=$home/.pgpass run_as_postgres psql -X -A -t -q -w \
    "host=$1 port=$2 user=$POSTGRES_USER dbname=$POSTGRES_DB connect_timeout=5" \
    -c "select case when pg_is_in_recovery() then 'recovering'
             else coalesce(nullif(current_setting('citus_node.restored_to', true), ''), '-') end" 2>&1
}

# The workers a restored coordinator waits for, "<host> <port>" each, from its restored metadata. In the
# high-availability variant each worker group's a member restores (the metadata names whichever member was primary
# at the point).
_restored_workers() {
  if ((HA_ENABLED == 1)); then
    local_query "select distinct groupid from pg_dist_node where groupid <> 0 and isactive order by 1" |
      while read -r group; do
        [[ -n $group ]] && printf 'worker%s-a.%s 5432\n' "$group" "$HA_PRIVATE_DOMAIN"
      done
  else
    local_query "select nodename || ' ' || nodeport from pg_dist_node where groupid <> 0 and isactive and noderole = 'primary' order by nodeid"
  fi
}

# A restored coordinator: waits until every active worker in its metadata reports the coordinator's restore point,
# then opens to TCP connections. Each worker's state is said when it changes (unreachable while it restores, or at
# another point: restored alone, to another point, or not at all).
confirm_cluster_restore() {
  local workers line host port answer problems said=""
  ((RESTORE_GATE == 1)) || return 0
  while server_running && ((SERVER_STOPPING == 0)); do
    workers="$(_restored_workers)" || workers=""
    problems=""
    while read -r host port; do
      [[ -n $host ]] || continue
      if ! answer="$(_restore_point_of "$host" "$port")"; then
        problems+="worker $host:$port is not reachable yet ($(head -n 1 <<<"$answer")); "
      elif [[ $answer == recovering ]]; then
        problems+="worker $host:$port is still replaying WAL; "
      elif [[ $answer != "$RESTORE_POINT" ]]; then
        problems+="worker $host:$port reports restore point '${answer/#-/none}'; "
      fi
    done <<<"$workers"
    if [[ -z $problems ]]; then
      _write_restore_state "$RESTORE_POINT" "$RESTORE_FINISHED_STATE"
      RESTORE_GATE=0
      write_hba_file "$(node_config_dir)/pg_hba.conf"
      local_query 'select pg_reload_conf()' >/dev/null
      say "restore: every worker is at restore point '$RESTORE_POINT'; the cluster accepts connections"
      return 0
    fi
    if [[ $problems != "$said" ]]; then
      warn '[restore-waiting-for-workers]' "${problems}this coordinator was restored to '$RESTORE_POINT' and takes no TCP connection until every worker is there too: set BACKUP_RESTORE_POINT=$RESTORE_POINT on each (or restore the coordinator to the workers' point)"
      said=$problems
    fi
    sleep 0.5
  done
}

# The high-availability variant (docs/high-availability.md#restore). Patroni would drop a recovery target (it manages
# recovery itself), so the group's a member restores as any node does, with PostgreSQL started directly from the
# restored data directory (its postgresql.conf, written by Patroni, includes the node's settings) until it is at the
# point and, for the coordinator, every worker group's a member is too; then it records "handover" and the caller
# clears etcd's record of the group and starts Patroni on the restored data. Every other member sets its data aside
# and, once the a member is at the point, starts Patroni with an empty volume: it clones the restored primary.
# Sets RESTORE_HANDOVER=1 when the caller must clear etcd's record of the group before starting Patroni. Uses
# ha_member_leads (patroni.sh).
RESTORE_HANDOVER=0

restore_ha_member() {
  local point state _request
  read -r point state _request <<<"$(_restore_state)"
  RESTORE_HANDOVER=0
  # A restore that finished but was not handed over yet is completed whatever the variables say now.
  if [[ $state != handover ]]; then
    if [[ $HA_MEMBER_SUFFIX == a ]]; then
      RESTORE_FINISHED_STATE=handover
      restore_if_asked
      if ((RESTORING == 1 || RESTORE_GATE == 1)); then
        _run_restore_server
      fi
    else
      _clone_restored_primary
    fi
    read -r point state _request <<<"$(_restore_state)"
  fi
  if [[ $state == handover ]]; then
    RESTORE_POINT=$point
    RESTORE_HANDOVER=1
  fi
}

# Once etcd no longer holds the group's former record: the restore is done.
finish_restore_handover() {
  ((RESTORE_HANDOVER == 1)) || return 0
  _write_restore_state "$RESTORE_POINT" "done"
  RESTORE_HANDOVER=0
}

# Replays to the point with no standby: Patroni's synchronous_standby_names, restored with its postgresql.conf, would
# hold every commit. Returns once the point is reached (and the workers are there), or exits the node.
_run_restore_server() {
  write_configuration
  start_server postgres -c synchronous_standby_names=
  if await_server_ready; then
    finish_restore
    confirm_cluster_restore
  elif ((RESTORING == 1 && SERVER_STOPPING == 0)); then
    refuse_unreached_restore_point
  fi
  if ((SERVER_STOPPING == 1)); then
    await_server_exit || true
    exit 0
  fi
  stop_server_and_wait
}

# A member other than a: its data from before is set aside (never deleted) and it waits until the group's a member
# reports the restore point; Patroni, started afterwards on the empty volume, clones the restored primary.
_clone_restored_primary() {
  local point state request primary answer said=""
  read -r point state request <<<"$(_restore_state)"
  if [[ -z $RESTORE_POINT && -z $RESTORE_REQUEST ]]; then
    _back_out_unfinished_restore "$point" "$state"
    return 0
  fi
  if [[ -n $RESTORE_REQUEST && $request == "$RESTORE_REQUEST" ]]; then
    RESTORE_POINT=$point
  fi
  if [[ $point == "$RESTORE_POINT" && -n $point && $state == "done" ]]; then
    return 0
  fi
  if [[ $point != "$RESTORE_POINT" || -z $point || $state != restoring ]]; then
    [[ -n $RESTORE_POINT ]] || _resolve_restore_target
    _set_data_aside "; this member clones the group's restored primary"
    _write_restore_state "$RESTORE_POINT" restoring
  fi
  primary="$HA_GROUP_NAME-a.$HA_PRIVATE_DOMAIN"
  write_pgpass
  # Both: at the point, and leading under Patroni. Before its handover the a member runs PostgreSQL directly while
  # etcd may still hold the group's old record; Patroni started then would follow that record.
  while true; do
    if answer="$(_restore_point_of "$primary" 5432)" && [[ $answer == "$RESTORE_POINT" ]]; then
      if ha_member_leads "$HA_GROUP_NAME-a"; then
        break
      fi
      answer="at the point, not yet leading the group under Patroni"
    fi
    if [[ $answer != "$said" ]]; then
      warn '[restore-waiting-for-group-primary]' "$primary is not at restore point '$RESTORE_POINT' yet ($(head -n 1 <<<"$answer")); $HA_MEMBER clones it once it is (set the same restore variables on $HA_GROUP_NAME-a)"
      said=$answer
    fi
    sleep 2
  done
  _write_restore_state "$RESTORE_POINT" "done"
  say "restore: $primary is at restore point '$RESTORE_POINT'; $HA_MEMBER clones it"
}
