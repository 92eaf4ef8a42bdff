# shellcheck shell=bash
# Node-to-node authentication. Citus connects from node to node as POSTGRES_USER over TCP with
# scram-sha-256; libpq in the server finds the password in the postgres user's ~/.pgpass. Both the file
# and the role's password follow POSTGRES_PASSWORD on every boot, so a changed password takes effect
# everywhere once every node has been redeployed with it.
# Writes the postgres user's ~/.pgpass; sets the role's password over the Unix socket. Reads POSTGRES_USER,
# POSTGRES_PASSWORD, PGDATA and SERVER_STOPPING.
# Functions whose names start with _ are used only in this file.

_pgpass_escape() {
  local value=${1//\\/\\\\}
  printf '%s\n' "${value//:/\\:}"
}

write_pgpass() {
  local home pgpass temporary
  home="$(postgres_home)"
  pgpass=$home/.pgpass
  temporary="$(mktemp "$home/.pgpass.XXXXXX")"
  chmod 0600 "$temporary"
  # Every host, port and database of the private network: the coordinator, the workers and their
  # replacements all share the one superuser password.
  printf '*:*:*:%s:%s\n' "$(_pgpass_escape "$POSTGRES_USER")" "$(_pgpass_escape "$POSTGRES_PASSWORD")" >"$temporary"
  give_to_postgres "$temporary"
  mv -f "$temporary" "$pgpass"
}

_sql_identifier() {
  printf '"%s"\n' "${1//\"/\"\"}"
}

# The official entrypoint uses POSTGRES_PASSWORD only at initdb. On later boots the role's password is set
# again from it once the server is up, over the Unix socket (trust; TCP logins wait for it): the session
# logs no statement and shows none in pg_stat_activity, and Citus does not propagate the change (each node
# sets its own). Never in single-user mode: that is where crash recovery would run, without Citus.
sync_role_password() {
  local socket_dir=$1 port=$2 output line
  output="$(printf '%s\n' \
    "SET log_statement = 'none'; SET log_min_error_statement = 'panic'; SET log_min_duration_statement = -1;" \
    "SET track_activities = off; SET citus.enable_alter_role_propagation = off;" \
    "SET password_encryption = 'scram-sha-256';" \
    "ALTER ROLE $(_sql_identifier "$POSTGRES_USER") WITH PASSWORD $(single_quoted "$POSTGRES_PASSWORD");" |
    run_as_postgres psql -X -q -w -v ON_ERROR_STOP=1 -h "$socket_dir" -p "$port" -U "$POSTGRES_USER" \
      -d template1 2>&1)" && return 0
  if ((SERVER_STOPPING == 1)) || ! server_running; then
    return 0
  fi
  line="$(grep -m1 -E '(ERROR|FATAL|PANIC|error):' <<<"$output" || head -n 1 <<<"$output")"
  line="${line//"$POSTGRES_PASSWORD"/***}"
  if [[ $line == *"role \"$POSTGRES_USER\" does not exist"* ]]; then
    stop_server_and_wait
    fail 2 '[postgres-user-missing]' "role $POSTGRES_USER does not exist in $PGDATA; POSTGRES_USER must stay the user the volume was created with"
  fi
  warn '[password-sync-failed]' "could not set the password of role $POSTGRES_USER from POSTGRES_PASSWORD, so the role keeps its previous password: $line"
}
