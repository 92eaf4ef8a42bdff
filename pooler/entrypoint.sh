#!/usr/bin/env bash
# Entrypoint of the pooler image: PgBouncer in front of the coordinator, the pooled DATABASE_URL. Transaction pooling
# (a whole BEGIN … COMMIT, Citus's two-phase commits included, runs on one coordinator backend; session state does
# not survive between transactions), TLS on both sides, SCRAM with the cluster's own password (no second password),
# protocol-level prepared statements. The pool is sized from the coordinator's CPUs and max_connections, read at start.
# Sourced (by a test), this file only defines its functions; run, it runs main.
set -euo pipefail

readonly POOLER_DIR=/etc/citus-pooler
readonly POOLER_OS_USER=postgres
# Read from the coordinator at start (read_coordinator).
COORDINATOR_MAX_CONNECTIONS=
USER_SCRAM_SECRET=
# The coordinator's CPU allowance as its own server sees it: cgroup v2 cpu.max ("150000/100000", "max/100000"),
# cgroup v1 cpu.cfs_quota_us/cpu.cfs_period_us ("-1/100000" without a quota), the CPUs it may run on (cpuset, "0-1"),
# and /proc/cpuinfo's count; "-" where a file is missing.
COORDINATOR_CPU_MAX=
COORDINATOR_CPU_CFS=
COORDINATOR_CPUSET=
COORDINATOR_CPUINFO=
# Set by coordinator_cpus: the allowance in thousandths of a CPU, and where it comes from.
CPU_MILLIS=
CPU_SOURCE=
# Set by pool_size: the pool's size and why.
POOL_SIZE=
POOL_REASON=
# Connections per CPU of the coordinator, and the smallest pool (docs/benchmark.md has the figures behind them).
readonly POOL_PER_CPU=4
readonly POOL_FLOOR=8

say() {
  printf 'citus-pooler: %s\n' "$1"
}

# fail <exit-status> '[id]' <text>: 2 means bad configuration (TROUBLESHOOTING.md documents every id).
fail() {
  printf 'citus-pooler: error %s: %s\n' "$2" "$3" >&2
  exit "$1"
}

check_settings() {
  POSTGRES_USER=${POSTGRES_USER:-postgres}
  POSTGRES_DB=${POSTGRES_DB:-postgres}
  COORDINATOR_HOST=${COORDINATOR_HOST:-coordinator.railway.internal}
  COORDINATOR_PORT=${COORDINATOR_PORT:-5432}
  POOLER_PORT=${POOLER_PORT:-6432}
  POOLER_MAX_CLIENTS=${POOLER_MAX_CLIENTS:-1000}
  POOLER_RESERVED_CONNECTIONS=${POOLER_RESERVED_CONNECTIONS:-10}
  POOLER_POOL_SIZE=${POOLER_POOL_SIZE:-}
  if [[ -z ${POSTGRES_PASSWORD:-} ]]; then
    fail 2 '[pooler-password-missing]' "POSTGRES_PASSWORD is empty; reference the coordinator's (\${{coordinator.POSTGRES_PASSWORD}})"
  fi
  if [[ $POSTGRES_PASSWORD == *[\"$'\n']* || $POSTGRES_USER == *[\"$'\n']* ]]; then
    fail 2 '[pooler-password-invalid]' "POSTGRES_USER or POSTGRES_PASSWORD contains a double quote or a line break"
  fi
  local name
  for name in COORDINATOR_PORT POOLER_PORT POOLER_MAX_CLIENTS POOLER_RESERVED_CONNECTIONS; do
    if [[ ! ${!name} =~ ^[0-9]{1,5}$ ]] || ((${!name} > 65535)); then
      fail 2 '[pooler-setting-invalid]' "$name='${!name}' must be a whole number"
    fi
  done
  if [[ -n $POOLER_POOL_SIZE ]] && { [[ ! $POOLER_POOL_SIZE =~ ^[0-9]{1,5}$ ]] || ((10#$POOLER_POOL_SIZE < 1)); }; then
    fail 2 '[pooler-setting-invalid]' "POOLER_POOL_SIZE='$POOLER_POOL_SIZE' must be a whole number from 1 up, or empty to size the pool from the coordinator's CPUs"
  fi
  if [[ ! $COORDINATOR_HOST =~ ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$ ]]; then
    fail 2 '[pooler-setting-invalid]' "COORDINATOR_HOST='$COORDINATOR_HOST' is not a host name"
  fi
}

# What the pooler asks the coordinator at start: the connections it may use, the coordinator's CPU allowance (the
# cluster's user is a superuser, so the server reads its own cgroup files), and the user's SCRAM secret, last.
# pg_read_file(…, true) gives null for a file this kernel does not have.
readonly COORDINATOR_QUERY="select current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int,
  coalesce(nullif(replace(btrim(pg_read_file('/sys/fs/cgroup/cpu.max', true), E' \\n'), ' ', '/'), ''), '-'),
  coalesce(btrim(pg_read_file('/sys/fs/cgroup/cpu/cpu.cfs_quota_us', true), E' \\n') || '/'
           || btrim(pg_read_file('/sys/fs/cgroup/cpu/cpu.cfs_period_us', true), E' \\n'), '-'),
  coalesce(nullif(btrim(coalesce(pg_read_file('/sys/fs/cgroup/cpuset.cpus.effective', true),
                                 pg_read_file('/sys/fs/cgroup/cpuset/cpuset.effective_cpus', true)), E' \\n'), ''), '-'),
  (select count(*) from regexp_matches(coalesce(pg_read_file('/proc/cpuinfo', true), ''), '^processor\\M', 'gn')),
  rolpassword from pg_authid where rolname = current_user"

# Sets COORDINATOR_MAX_CONNECTIONS, the COORDINATOR_CPU… fields and USER_SCRAM_SECRET: asked of the coordinator over
# TLS, as any client would, until it answers. With the user's own SCRAM secret (not the password) PgBouncer checks a
# client's login without deriving a key (4096 rounds of PBKDF2 per login with a plain password: a thousand clients
# logging in at once then time out on a small machine), and logs in to the coordinator with the client's proof (SCRAM
# pass-through).
read_coordinator() {
  local answer said=""
  until answer="$(PGPASSWORD=$POSTGRES_PASSWORD PGCONNECT_TIMEOUT=5 psql -X -A -t -q -F ' ' \
    "host=$COORDINATOR_HOST port=$COORDINATOR_PORT user=$POSTGRES_USER dbname=$POSTGRES_DB sslmode=require" \
    -c "$COORDINATOR_QUERY" 2>&1)"; do
    if [[ $answer != "$said" ]]; then
      printf 'citus-pooler: warning [pooler-coordinator-unreachable]: %s:%s does not answer yet (%s); trying again every 2 s\n' \
        "$COORDINATOR_HOST" "$COORDINATOR_PORT" "$(head -n 1 <<<"$answer")" >&2
      said=$answer
    fi
    sleep 2
  done
  # Never printed: the secret is as good as a password to anyone who can log in with SCRAM pass-through.
  if [[ ! $answer =~ ^[0-9]+\ [^[:space:]]+\ [^[:space:]]+\ [^[:space:]]+\ [0-9]+\ SCRAM-SHA-256\$[^[:space:]\"]+$ ]]; then
    fail 1 '[pooler-password-not-scram]' "the coordinator does not keep $POSTGRES_USER's password as a SCRAM-SHA-256 secret; redeploy the coordinator (every boot sets it so) and then the pooler"
  fi
  read -r COORDINATOR_MAX_CONNECTIONS COORDINATOR_CPU_MAX COORDINATOR_CPU_CFS COORDINATOR_CPUSET COORDINATOR_CPUINFO \
    USER_SCRAM_SECRET <<<"$answer"
}

# Sets CPU_MILLIS (thousandths of a CPU, empty when nothing tells) and CPU_SOURCE from the COORDINATOR_CPU… fields: a
# CPU quota (cgroup v2, else v1) where there is one, but never more than the CPUs the coordinator may run on (its
# cpuset, else the CPUs /proc/cpuinfo lists).
coordinator_cpus() {
  local count=0 part quota period
  CPU_MILLIS=
  CPU_SOURCE=
  if [[ $COORDINATOR_CPUSET =~ ^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$ ]]; then
    for part in ${COORDINATOR_CPUSET//,/ }; do
      if [[ $part == *-* ]]; then
        count=$((count + 10#${part#*-} - 10#${part%-*} + 1))
      else
        count=$((count + 1))
      fi
    done
    CPU_MILLIS=$((count * 1000))
    CPU_SOURCE="cpuset $COORDINATOR_CPUSET"
  elif [[ $COORDINATOR_CPUINFO =~ ^[0-9]+$ ]] && ((COORDINATOR_CPUINFO > 0)); then
    CPU_MILLIS=$((COORDINATOR_CPUINFO * 1000))
    CPU_SOURCE="/proc/cpuinfo"
  fi
  for part in "cgroup v2 cpu.max $COORDINATOR_CPU_MAX" "cgroup v1 cpu.cfs_quota_us $COORDINATOR_CPU_CFS"; do
    if [[ ${part##* } =~ ^([0-9]+)/([0-9]+)$ ]] && ((BASH_REMATCH[1] > 0 && BASH_REMATCH[2] > 0)); then
      quota=${BASH_REMATCH[1]} period=${BASH_REMATCH[2]}
      if [[ -z $CPU_MILLIS ]] || ((quota * 1000 / period <= CPU_MILLIS)); then
        CPU_MILLIS=$((quota * 1000 / period))
        ((CPU_MILLIS < 1)) && CPU_MILLIS=1
        CPU_SOURCE="${part% *} quota $quota/$period"
      fi
      break
    fi
  done
}

# Sets POOL_SIZE and POOL_REASON. POOL_PER_CPU connections per CPU of the coordinator, at least POOL_FLOOR, or
# POOLER_POOL_SIZE when set; never more than the coordinator's connections less those kept for whatever must connect
# directly (the registrar, migrations, LISTEN, a psql), so "too many clients" cannot come from the pool.
pool_size() {
  local cap=$((COORDINATOR_MAX_CONNECTIONS - POOLER_RESERVED_CONNECTIONS)) cpus fraction
  ((cap < 2)) && cap=2
  local limit="its max_connections less $POOLER_RESERVED_CONNECTIONS kept for direct connections: $cap"
  coordinator_cpus
  if [[ -n $POOLER_POOL_SIZE ]]; then
    POOL_SIZE=$((10#$POOLER_POOL_SIZE))
    POOL_REASON="POOLER_POOL_SIZE=$POOL_SIZE"
    if ((POOL_SIZE > cap)); then
      printf 'citus-pooler: warning [pooler-pool-size-capped]: POOLER_POOL_SIZE=%s is more than the coordinator can give the pool (%s); the pool is %s\n' \
        "$POOL_SIZE" "$limit" "$cap" >&2
      POOL_SIZE=$cap
      POOL_REASON="POOLER_POOL_SIZE=$POOLER_POOL_SIZE, capped at $limit"
    fi
    return 0
  fi
  if [[ -z $CPU_MILLIS ]]; then
    POOL_SIZE=$cap
    POOL_REASON="the coordinator's CPUs unknown, so $limit"
    return 0
  fi
  cpus=$((CPU_MILLIS / 1000))
  if ((CPU_MILLIS % 1000)); then
    printf -v fraction '%03d' $((CPU_MILLIS % 1000))
    while [[ $fraction == *0 ]]; do fraction=${fraction%0}; done
    cpus+=".$fraction"
  fi
  POOL_SIZE=$(((POOL_PER_CPU * CPU_MILLIS + 999) / 1000))
  POOL_REASON="$POOL_PER_CPU per CPU of the coordinator's $cpus ($CPU_SOURCE)"
  if ((POOL_SIZE < POOL_FLOOR)); then
    POOL_SIZE=$POOL_FLOOR
    POOL_REASON+=", raised to the floor of $POOL_FLOOR"
  fi
  if ((POOL_SIZE > cap)); then
    POOL_SIZE=$cap
    POOL_REASON+=", capped at $limit"
  fi
}

# A self-signed pair for the clients' TLS, made once per container (clients cannot verify it, as with the nodes).
ensure_tls_certificate() {
  [[ -s $POOLER_DIR/server.crt && -s $POOLER_DIR/server.key ]] && return 0
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=citus-pooler" \
    -keyout "$POOLER_DIR/server.key" -out "$POOLER_DIR/server.crt" >/dev/null 2>&1 ||
    fail 1 '[pooler-tls-failed]' "openssl could not create a self-signed certificate in $POOLER_DIR"
}

write_configuration() {
  local size=$1
  mkdir -p "$POOLER_DIR"
  chmod 0700 "$POOLER_DIR"
  ensure_tls_certificate
  # The cluster's user with its SCRAM secret as the coordinator keeps it.
  printf '"%s" "%s"\n' "$POSTGRES_USER" "$USER_SCRAM_SECRET" >"$POOLER_DIR/userlist.txt"
  cat >"$POOLER_DIR/pgbouncer.ini" <<INI
; Generated by citus-pooler on every start; edits are lost. See pooler/entrypoint.sh.
[databases]
* = host=$COORDINATOR_HOST port=$COORDINATOR_PORT

[pgbouncer]
listen_addr = *
listen_port = $POOLER_PORT
unix_socket_dir =
pool_mode = transaction
max_client_conn = $POOLER_MAX_CLIENTS
default_pool_size = $size
max_db_connections = $size
reserve_pool_size = 0
max_prepared_statements = 200
auth_type = scram-sha-256
auth_file = $POOLER_DIR/userlist.txt
client_tls_sslmode = require
client_tls_cert_file = $POOLER_DIR/server.crt
client_tls_key_file = $POOLER_DIR/server.key
server_tls_sslmode = require
; Nothing is verified in require mode (the nodes' certificates are self-signed), but PgBouncer's TLS set-up fails
; without a CA file to load.
client_tls_ca_file = $POOLER_DIR/server.crt
server_tls_ca_file = $POOLER_DIR/server.crt
; pgjdbc sends it at every login; it changes nothing a pooled session would keep.
ignore_startup_parameters = extra_float_digits
server_check_query = select 1
log_connections = 0
log_disconnections = 0
log_pooler_errors = 1
stats_period = 300
INI
  chown -R "$POOLER_OS_USER:$POOLER_OS_USER" "$POOLER_DIR"
  chmod 0600 "$POOLER_DIR"/*
}

# The image's healthcheck: a TLS login through the pool and a statement on the coordinator.
health() {
  check_settings
  PGPASSWORD=$POSTGRES_PASSWORD PGCONNECT_TIMEOUT=3 psql -X -A -t -q \
    "host=127.0.0.1 port=$POOLER_PORT user=$POSTGRES_USER dbname=$POSTGRES_DB sslmode=require" -c 'select 1' >/dev/null
}

main() {
  if [[ ${1:-} == health ]]; then
    health
    return
  fi
  check_settings
  read_coordinator
  pool_size
  write_configuration "$POOL_SIZE"
  say "pooling $POOLER_MAX_CLIENTS clients into $POOL_SIZE connections to $COORDINATOR_HOST:$COORDINATOR_PORT ($POOL_REASON), transaction mode, port $POOLER_PORT"
  # PgBouncer refuses to run as root; SIGTERM and SIGINT reach it directly (it is PID 1 after exec).
  exec setpriv --reuid="$POOLER_OS_USER" --regid="$POOLER_OS_USER" --init-groups -- pgbouncer "$POOLER_DIR/pgbouncer.ini"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  main "$@"
fi
