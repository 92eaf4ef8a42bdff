# shellcheck shell=bash
# Node-to-node authentication. Citus connects from node to node as POSTGRES_USER over TCP with
# scram-sha-256; libpq in the server finds the password in the postgres user's ~/.pgpass. Both the file
# and the role's password follow POSTGRES_PASSWORD on every boot, so a changed password takes effect
# everywhere once every node has been redeployed with it.

pgpass_escape() {
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
  printf '*:*:*:%s:%s\n' "$(pgpass_escape "$POSTGRES_USER")" "$(pgpass_escape "$POSTGRES_PASSWORD")" >"$temporary"
  give_to_postgres "$temporary"
  mv -f "$temporary" "$pgpass"
}

sql_identifier() {
  printf '"%s"\n' "${1//\"/\"\"}"
}

sql_literal() {
  printf "'%s'\n" "${1//\'/\'\'}"
}

# The official entrypoint uses POSTGRES_PASSWORD only at initdb. On later boots the role's password is set
# again from it, in single-user mode: no listener is open, nothing is logged, and Citus is not loaded, so
# the change is not propagated to other nodes (each node sets its own).
sync_role_password() {
  if [[ ! -s $PGDATA/PG_VERSION ]]; then
    return 0
  fi
  local statement output line
  statement="ALTER ROLE $(sql_identifier "$POSTGRES_USER") WITH PASSWORD $(sql_literal "$POSTGRES_PASSWORD");"
  output="$(printf '%s\n' "$statement" | run_as_postgres postgres --single -D "$PGDATA" \
    -c "config_file=$NODE_SETTINGS_FILE" -c shared_preload_libraries= -c log_statement=none \
    -c log_min_error_statement=panic -c standard_conforming_strings=on \
    -c password_encryption=scram-sha-256 template1 2>&1)" || true
  line="$(grep -m1 -E '(ERROR|FATAL|PANIC):' <<<"$output" || true)"
  if [[ -z $line ]]; then
    return 0
  fi
  line="${line//"$POSTGRES_PASSWORD"/***}"
  if [[ $line == *"does not exist"* ]]; then
    fail 2 '[postgres-user-missing]' "role $POSTGRES_USER does not exist in $PGDATA; POSTGRES_USER must stay the user the volume was created with"
  fi
  fail 1 '[password-sync-failed]' "could not set the password of role $POSTGRES_USER from POSTGRES_PASSWORD: $line"
}
