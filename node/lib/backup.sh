# shellcheck shell=bash
# shellcheck disable=SC2034 # BACKUP_* settings are read by settings.sh and entrypoint.sh
# Continuous WAL archiving to an S3-compatible bucket with pgBackRest, one stanza per node (named after its
# service, or its NODE_IDENTITY where there is no service name: docker compose; in the high-availability variant one
# per group, named after the group: lib/patroni.sh). Off unless the bucket's variables
# are set: the names are those a Railway Bucket gives its services (BUCKET, ACCESS_KEY_ID, SECRET_ACCESS_KEY,
# REGION, ENDPOINT); a node with some but not all of them refuses to start. The bucket's credentials go into a file
# only the postgres user can read, never onto a command line.
# Sets BACKUP_ENABLED, BACKUP_STANZA and the other BACKUP_* settings, and writes $NODE_CONFIG_DIR/pgbackrest.conf and
# archive-first-boot.conf. Reads BUCKET, ACCESS_KEY_ID, SECRET_ACCESS_KEY, REGION, ENDPOINT, the BACKUP_* variables,
# RAILWAY_SERVICE_NAME / NODE_IDENTITY, PGDATA, POSTGRES_USER, POSTGRES_DB, SERVER_SOCKET_DIR, SERVER_PORT and
# HA_ENABLED (patroni.sh).
# Functions whose names start with _ are used only in this file.

readonly BACKUP_VARIABLES=(BUCKET ACCESS_KEY_ID SECRET_ACCESS_KEY REGION ENDPOINT)
readonly BACKUP_REPOSITORY_PATH=/pgbackrest

BACKUP_ENABLED=0
# On a first boot the official entrypoint's temporary server (initdb scripts) must not archive: its segments cannot
# reach the bucket before the stanza exists, and with an unreachable bucket its shutdown outlasts pg_ctl's wait and
# the boot fails. It runs with archive_mode off, from this file (included after the archive settings); the last init
# script (node/initdb/990-citus-node-archive.sh) empties it, so the real server starts archiving. Other boots: empty.
BACKUP_FIRST_BOOT_ARCHIVE_FILE=
BACKUP_STANZA_ERROR=

backup_config_file() {
  printf '%s/pgbackrest.conf\n' "$(node_config_dir)"
}

# Reads and checks the backup variables; sets BACKUP_ENABLED and the BACKUP_* settings.
check_backup_settings() {
  local name present=() missing=()
  for name in "${BACKUP_VARIABLES[@]}"; do
    if [[ -n ${!name:-} ]]; then
      present+=("$name")
    else
      missing+=("$name")
    fi
  done
  BACKUP_ENABLED=0
  if ((${#present[@]} == 0)); then
    return 0
  fi
  if ((${#missing[@]} > 0)); then
    fail 2 '[backup-settings-incomplete]' "${missing[*]} empty while ${present[*]} set; reference all of the bucket's variables (${BACKUP_VARIABLES[*]}) on this service, or none of them to run without backups"
  fi
  for name in "${BACKUP_VARIABLES[@]}" BACKUP_ENCRYPTION_PASSPHRASE; do
    if [[ ${!name:-} == *$'\n'* ]]; then
      fail 2 '[backup-setting-line-break]' "$name contains a line break"
    fi
  done
  if [[ $ENDPOINT =~ ^https://([A-Za-z0-9.-]+)(:([0-9]{1,5}))?/?$ ]]; then
    BACKUP_S3_HOST=${BASH_REMATCH[1]}
    BACKUP_S3_PORT=${BASH_REMATCH[3]:-443}
  else
    fail 2 '[backup-endpoint-invalid]' "ENDPOINT='$ENDPOINT' must be https://<host> or https://<host>:<port> (pgBackRest reaches S3 over TLS only)"
  fi
  BACKUP_STANZA=${BACKUP_STANZA:-${RAILWAY_SERVICE_NAME:-${NODE_IDENTITY:-}}}
  if [[ ! $BACKUP_STANZA =~ ^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$ ]]; then
    fail 2 '[backup-stanza-invalid]' "BACKUP_STANZA='$BACKUP_STANZA' (default: the service name, else NODE_IDENTITY) must be letters, digits, - or _; each node needs its own"
  fi
  BACKUP_S3_URI_STYLE=${BACKUP_S3_URI_STYLE:-host}
  if [[ $BACKUP_S3_URI_STYLE != host && $BACKUP_S3_URI_STYLE != path ]]; then
    fail 2 '[backup-uri-style-invalid]' "BACKUP_S3_URI_STYLE='$BACKUP_S3_URI_STYLE' must be host (bucket in the host name) or path"
  fi
  BACKUP_RETENTION_FULL=${BACKUP_RETENTION_FULL:-2}
  if [[ ! $BACKUP_RETENTION_FULL =~ ^[1-9][0-9]?$ ]]; then
    fail 2 '[backup-retention-invalid]' "BACKUP_RETENTION_FULL='$BACKUP_RETENTION_FULL' must be a whole number of full backups to keep, 1 to 99"
  fi
  # How long pgBackRest waits on the bucket per request. pgBackRest retries a failed request for about nine times
  # that in all (91 s at 10 s), so an archive push and the registrar's looks at the stanza are also cut off after
  # _backup_call_timeout: an outage then shows as a failed archive attempt (pg_stat_archiver, wal-archive-failing)
  # within that time instead of minutes later. Calls in the background or at boot keep pgBackRest's own reason.
  BACKUP_IO_TIMEOUT=${BACKUP_IO_TIMEOUT:-10}
  if [[ ! $BACKUP_IO_TIMEOUT =~ ^[1-9][0-9]{0,2}$ ]]; then
    fail 2 '[backup-io-timeout-invalid]' "BACKUP_IO_TIMEOUT='$BACKUP_IO_TIMEOUT' must be whole seconds, 1 to 999"
  fi
  if [[ -n ${BACKUP_CA_FILE:-} && ! -r $BACKUP_CA_FILE ]]; then
    fail 2 '[backup-ca-file-missing]' "BACKUP_CA_FILE='$BACKUP_CA_FILE' is not a readable file"
  fi
  if ! command -v pgbackrest >/dev/null; then
    warn '[backup-unavailable]' "the bucket's variables are set but this image has no pgbackrest; WAL is not archived"
    return 0
  fi
  BACKUP_ENABLED=1
}

# Seconds an archive push or a look at the stanza may take in all, retries included: two requests' worth. A backup is
# not bounded: it takes as long as the data needs.
_backup_call_timeout() {
  printf '%s\n' "$((BACKUP_IO_TIMEOUT * 2))"
}

# write_backup_config [socket-dir port]: the server's socket once it is known (stanza-create and backups
# connect to it; archiving does not).
write_backup_config() {
  local file tmp
  file="$(backup_config_file)"
  tmp="$file.new"
  mkdir -p "$(dirname "$file")"
  (
    umask 077
    {
      printf '[global]\n'
      printf 'repo1-type=s3\n'
      printf 'repo1-s3-endpoint=%s\n' "$BACKUP_S3_HOST"
      printf 'repo1-storage-port=%s\n' "$BACKUP_S3_PORT"
      printf 'repo1-s3-bucket=%s\n' "$BUCKET"
      printf 'repo1-s3-region=%s\n' "$REGION"
      printf 'repo1-s3-key=%s\n' "$ACCESS_KEY_ID"
      printf 'repo1-s3-key-secret=%s\n' "$SECRET_ACCESS_KEY"
      printf 'repo1-s3-uri-style=%s\n' "$BACKUP_S3_URI_STYLE"
      printf 'repo1-path=%s\n' "$BACKUP_REPOSITORY_PATH"
      printf 'repo1-retention-full=%s\n' "$BACKUP_RETENTION_FULL"
      if [[ -n ${BACKUP_CA_FILE:-} ]]; then
        printf 'repo1-storage-ca-file=%s\n' "$BACKUP_CA_FILE"
      fi
      if [[ -n ${BACKUP_ENCRYPTION_PASSPHRASE:-} ]]; then
        printf 'repo1-cipher-type=aes-256-cbc\n'
        printf 'repo1-cipher-pass=%s\n' "$BACKUP_ENCRYPTION_PASSPHRASE"
      fi
      printf 'io-timeout=%s\n' "$BACKUP_IO_TIMEOUT"
      if ((HA_ENABLED == 1)); then
        # pgBackRest's wait for a backup's WAL refuses to run with archive_mode = always (backup_settings). Nothing
        # is lost without it: the registrar notes a point on a backup only once the point's WAL, later than the
        # backup's, is archived, and a group's primary archives oldest first.
        printf 'archive-check=n\n'
      fi
      printf 'compress-type=zst\n'
      printf 'start-fast=y\n'
      printf 'log-level-console=warn\n'
      printf 'log-level-stderr=off\n'
      printf 'log-level-file=off\n'
      printf 'lock-path=/tmp/pgbackrest-%s\n' "$BACKUP_STANZA"
      printf '\n[%s]\n' "$BACKUP_STANZA"
      printf 'pg1-path=%s\n' "$PGDATA"
      printf 'pg1-user=%s\n' "$POSTGRES_USER"
      printf 'pg1-database=%s\n' "$POSTGRES_DB"
      if (($# == 2)); then
        printf 'pg1-socket-path=%s\n' "$1"
        printf 'pg1-port=%s\n' "$2"
      fi
    } >"$tmp"
  )
  give_to_postgres "$tmp"
  mv -f "$tmp" "$file"
}

# The archive settings for the node's postgresql.conf (empty without backups). archive_timeout bounds how much
# committed work can be missing from the bucket on a quiet node: a minute.
backup_settings() {
  if ((BACKUP_ENABLED == 0)); then
    return 0
  fi
  printf '\n# WAL archiving to the bucket (pgBackRest stanza %s); see node/lib/backup.sh.\n' "$BACKUP_STANZA"
  # In the high-availability variant every member archives what it has ("always": a standby archives the WAL it
  # receives). A primary that cannot archive and is then lost leaves its last segments only on its standby, which
  # with "on" would never push them: the group's archive would have a gap no restore can cross. pgBackRest accepts a
  # segment pushed twice with the same contents.
  if ((HA_ENABLED == 1)); then
    printf 'archive_mode = always\n'
  else
    printf 'archive_mode = on\n'
  fi
  # timeout's own exit status (124) is an ordinary failure to PostgreSQL, which keeps the segment and tries again.
  printf 'archive_command = %s\n' "$(single_quoted "timeout --kill-after=5 $(_backup_call_timeout) pgbackrest --config=$(backup_config_file) --stanza=$BACKUP_STANZA archive-push %p")"
  printf "archive_timeout = '60s'\n"
  printf 'include_if_exists %s\n' "$(single_quoted "$BACKUP_FIRST_BOOT_ARCHIVE_FILE")"
  # How the registrar reaches this node's backups (node/backup-command.sh, run through COPY ... FROM PROGRAM).
  printf 'citus_node.backup_command = %s\n' "$(single_quoted "$(printf '%q ' "$(dirname "$NODE_LIB_DIR")/backup-command.sh" \
    "$(backup_config_file)" "$BACKUP_STANZA" "$PGDATA")")"
}

# write_first_boot_archive_file <0|1>: archive_mode off for a first boot's temporary server, or nothing. Owned by the
# postgres user, which runs the init script that empties it (the directory is root's).
write_first_boot_archive_file() {
  ((BACKUP_ENABLED == 1)) || return 0
  BACKUP_FIRST_BOOT_ARCHIVE_FILE="$(node_config_dir)/archive-first-boot.conf"
  export BACKUP_FIRST_BOOT_ARCHIVE_FILE
  if (($1 == 1)); then
    printf "archive_mode = off  # first boot's temporary server; emptied by the last init script\n" >"$BACKUP_FIRST_BOOT_ARCHIVE_FILE"
  else
    : >"$BACKUP_FIRST_BOOT_ARCHIVE_FILE"
  fi
  give_to_postgres "$BACKUP_FIRST_BOOT_ARCHIVE_FILE"
}

# Creates the node's stanza in the bucket (idempotent); false with BACKUP_STANZA_ERROR set when it could not.
# Until the stanza exists, archiving fails and WAL waits in pg_wal.
create_backup_stanza() {
  local output
  if output="$(run_as_postgres pgbackrest --config="$(backup_config_file)" --stanza="$BACKUP_STANZA" stanza-create 2>&1)"; then
    say "backups: stanza '$BACKUP_STANZA' ready in bucket '$BUCKET' at $ENDPOINT; WAL is archived continuously"
    return 0
  fi
  BACKUP_STANZA_ERROR="$(pgbackrest_error "$output")"
  return 1
}

# True once the stanza exists and can be read.
backup_stanza_exists() {
  local output code
  output="$(run_as_postgres timeout --kill-after=5 "$(_backup_call_timeout)" pgbackrest --config="$(backup_config_file)" \
    --stanza="$BACKUP_STANZA" info --output=json 2>&1)" || return 1
  read -r code _ <<<"$(stanza_status <<<"$output")"
  stanza_readable "$code"
}

# Says why the stanza could not be set up, and what happens meanwhile.
warn_stanza_unready() {
  warn '[backup-bucket-unreachable]' "stanza '$BACKUP_STANZA' could not be set up in bucket '$BUCKET' at $ENDPOINT: $BACKUP_STANZA_ERROR; WAL is kept in pg_wal until archiving succeeds"
}

# In the background, so an unreachable bucket never holds up the node.
start_backups() {
  if ((BACKUP_ENABLED == 1)); then
    write_backup_config "$SERVER_SOCKET_DIR" "$SERVER_PORT"
    { create_backup_stanza || warn_stanza_unready; } &
  fi
}

# PostgreSQL's checkpointer plans its next wake-up without archive_timeout while the server is in recovery (crash
# recovery after a kill, a restore), and then sleeps up to checkpoint_timeout (5 min) past the end of recovery: a
# quiet node's last writes would wait that long to reach the bucket (seen with PostgreSQL 17: no segment switch for 5
# minutes after a restore or a kill -9, one within archive_timeout after this). A reload wakes it to plan again.
honour_archive_timeout() {
  ((BACKUP_ENABLED == 1)) || return 0
  [[ "$(local_query 'select pg_is_in_recovery()')" == f ]] || return 0
  local_query 'select pg_reload_conf()' >/dev/null || true
}
