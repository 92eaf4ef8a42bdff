# shellcheck shell=bash
# shellcheck disable=SC2034 # HA_* and CITUS_NODE_ROLE are read by entrypoint.sh, settings.sh and backup.sh
# The high-availability variant (docs/high-availability.md): the node runs under Patroni in its Citus mode, which
# initializes or clones the data directory, keeps one primary per node group with the leader key in etcd, fails
# over, rejoins a former primary with pg_rewind, and keeps pg_dist_node on the coordinator pointing at each group's
# primary.
# Reads: RAILWAY_SERVICE_NAME (else NODE_IDENTITY) as the member name, HA_ETCD_HOSTS, HA_SCOPE, HA_PRIVATE_DOMAIN,
# HA_SYNCHRONOUS, POSTGRES_USER/POSTGRES_PASSWORD/POSTGRES_DB, the SETTING_* sizes (memory.sh) and TLS_* (tls.sh).
# Sets: HA_MEMBER, HA_GROUP_NAME, HA_GROUP, HA_MEMBER_SUFFIX, CITUS_NODE_ROLE, HA_ETCD_HOST_LIST;
# writes $(node_config_dir)/patroni.yml.
# Functions whose names start with _ are used only in this file.

readonly HA_REST_PORT=8008
readonly HA_POSTGRES_BIN_DIR=/usr/lib/postgresql/17/bin
readonly HA_SOCKET_DIR=/var/run/postgresql
HA_ENABLED=0

_ha_config_file() {
  printf '%s/patroni.yml\n' "$(node_config_dir)"
}

# A member's service is named <group>-<member>: coordinator-a, coordinator-b, worker1-a, worker1-b, worker3-c ...
# The group is the Citus group (coordinator 0, workerN N); the member suffix is anything after the last dash.
check_ha_settings() {
  [[ ${CITUS_HA:-} == patroni ]] || return 0
  HA_ENABLED=1
  HA_MEMBER=${RAILWAY_SERVICE_NAME:-${NODE_IDENTITY:-}}
  if [[ ! $HA_MEMBER =~ ^(coordinator|worker([1-9][0-9]{0,2}))-([0-9a-z]{1,20})$ ]]; then
    fail 2 '[ha-member-name-invalid]' "service name '$HA_MEMBER' (RAILWAY_SERVICE_NAME, else NODE_IDENTITY) must be <group>-<member>, the group coordinator or workerN (N 1-999) and the member letters or digits: e.g. coordinator-a, worker1-b"
  fi
  HA_GROUP_NAME=${BASH_REMATCH[1]}
  HA_GROUP=${BASH_REMATCH[2]:-0}
  HA_MEMBER_SUFFIX=${BASH_REMATCH[3]}
  if ((HA_GROUP == 0)); then
    CITUS_NODE_ROLE=coordinator
  else
    CITUS_NODE_ROLE=worker
  fi
  HA_SCOPE=${HA_SCOPE:-citus}
  HA_PRIVATE_DOMAIN=${HA_PRIVATE_DOMAIN:-railway.internal}
  HA_SYNCHRONOUS=${HA_SYNCHRONOUS:-quorum}
  if [[ ! $HA_SCOPE =~ ^[0-9a-z][0-9a-z-]{0,40}$ ]]; then
    fail 2 '[ha-scope-invalid]' "HA_SCOPE='$HA_SCOPE' must be lower-case letters, digits or -, the same on every node"
  fi
  if [[ ! $HA_PRIVATE_DOMAIN =~ ^[0-9a-z]([0-9a-z.-]*[0-9a-z])?$ ]]; then
    fail 2 '[ha-domain-invalid]' "HA_PRIVATE_DOMAIN='$HA_PRIVATE_DOMAIN' is not a domain name"
  fi
  case "$HA_SYNCHRONOUS" in
    quorum | off) ;;
    *) fail 2 '[ha-synchronous-invalid]' "HA_SYNCHRONOUS='$HA_SYNCHRONOUS' must be quorum (no acknowledged write lost on failover) or off" ;;
  esac
  if [[ -z ${HA_ETCD_HOSTS:-} ]]; then
    fail 2 '[ha-etcd-missing]' "HA_ETCD_HOSTS is empty; a high-availability node needs the etcd members, e.g. etcd1.railway.internal:2379,etcd2.railway.internal:2379,etcd3.railway.internal:2379 (docs/high-availability.md)"
  fi
  local host hosts=()
  IFS=',' read -r -a hosts <<<"${HA_ETCD_HOSTS// /}"
  for host in "${hosts[@]}"; do
    if [[ ! $host =~ ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?:[0-9]{1,5}$ ]]; then
      fail 2 '[ha-etcd-invalid]' "HA_ETCD_HOSTS='$HA_ETCD_HOSTS': '$host' is not host:port"
    fi
  done
  HA_ETCD_HOST_LIST=$(IFS=','; printf '%s' "${hosts[*]}")
  # One pgBackRest stanza per group: its archive goes on across a failover (same system, new timeline).
  BACKUP_STANZA=${BACKUP_STANZA:-$HA_GROUP_NAME}
}

_ha_member_host() {
  printf '%s.%s\n' "$1" "$HA_PRIVATE_DOMAIN"
}

# The values Patroni keeps the same on every member of a group (they live in etcd, written by the member that
# initializes the group; later changes: patronictl edit-config). The group's standby must allow at least the
# primary's max_connections, so a standby of the same size is assumed.
_ha_group_parameters() {
  cat <<YAML
        max_connections: ${SETTING_MAX_CONNECTIONS}
        max_prepared_transactions: $((SETTING_MAX_CONNECTIONS * 2))
        max_worker_processes: 48
        max_wal_senders: 32
        max_replication_slots: 32
        max_locks_per_transaction: 64
        wal_level: logical
        wal_log_hints: 'on'
        wal_keep_size: 512MB
        hot_standby: 'on'
YAML
}

# Only a group's "a" member may initialize a group. Patroni's Citus mode gives every member a bootstrap section, so
# any other member gets one whose only method refuses (node/ha-refuse-initialization.sh): with an empty volume and no
# group in etcd (etcd lost, or cleared by a restore) it says so and stops instead of starting a second, empty group;
# it clones once the group has a primary.
_ha_bootstrap_section() {
  if [[ $HA_MEMBER_SUFFIX != a ]]; then
    cat <<YAML
bootstrap:
  method: citus_node_clone_only
  citus_node_clone_only:
    command: $(dirname "$NODE_LIB_DIR")/ha-refuse-initialization.sh $HA_MEMBER $HA_GROUP_NAME
    no_params: true
YAML
    return 0
  fi
  cat <<YAML
bootstrap:
  dcs:
    # A lost primary's leader key expires ttl after its last refresh (every loop_wait): 18-20 s after the primary is
    # lost (ttl 20 is Patroni's smallest). The standby watches the key and promotes at once; a worker's new primary
    # tells the coordinator in its next cycle, up to loop_wait later, and only then does pg_dist_node name it (writes
    # to the group wait for that in a switchover too, so loop_wait is short).
    # loop_wait + 2 * retry_timeout must not exceed ttl.
    ttl: 20
    loop_wait: 2
    retry_timeout: 5
    maximum_lag_on_failover: 1048576
    synchronous_mode: $(_ha_synchronous_mode)
    synchronous_node_count: 1
    synchronous_mode_strict: false
    failsafe_mode: true
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
$(_ha_group_parameters)
  initdb:
    - encoding: UTF8
  post_bootstrap: $(dirname "$NODE_LIB_DIR")/ha-post-bootstrap.sh
YAML
}

# write_ha_config: the member's Patroni configuration; only the postgres user can read it (it holds the password).
write_ha_config() {
  local file temporary host
  file="$(_ha_config_file)"
  host="$(_ha_member_host "$HA_MEMBER")"
  temporary="$(mktemp "$file.XXXXXX")"
  cat >"$temporary" <<YAML
# Generated by citus-node on every boot (node/lib/patroni.sh); edits are lost. Group-wide values: patronictl edit-config.
scope: $HA_SCOPE
namespace: /service/
name: $HA_MEMBER
citus:
  group: $HA_GROUP
  database: $(_double_quoted "$POSTGRES_DB")
restapi:
  listen: $(_ha_listen_address):$HA_REST_PORT
  connect_address: $host:$HA_REST_PORT
  authentication:
    username: $(_double_quoted "$POSTGRES_USER")
    password: $(_double_quoted "$POSTGRES_PASSWORD")
ctl:
  authentication:
    username: $(_double_quoted "$POSTGRES_USER")
    password: $(_double_quoted "$POSTGRES_PASSWORD")
etcd3:
  hosts: $HA_ETCD_HOST_LIST
$(_ha_bootstrap_section)
postgresql:
  listen: '*:5432'
  connect_address: $host:5432
  data_dir: $PGDATA
  bin_dir: $HA_POSTGRES_BIN_DIR
  pgpass: /tmp/patroni-pgpass
  use_unix_socket: true
  custom_conf: $NODE_SETTINGS_FILE
  authentication:
    superuser:
      username: $(_double_quoted "$POSTGRES_USER")
      password: $(_double_quoted "$POSTGRES_PASSWORD")
    replication:
      username: $(_double_quoted "$POSTGRES_USER")
      password: $(_double_quoted "$POSTGRES_PASSWORD")
      sslmode: require
    rewind:
      username: $(_double_quoted "$POSTGRES_USER")
      password: $(_double_quoted "$POSTGRES_PASSWORD")
      sslmode: require
  parameters:
    shared_preload_libraries: citus,pg_stat_statements
    hba_file: $(node_config_dir)/pg_hba.conf
    # A statement that needs a new connection to a worker whose primary is gone gives up after this (Citus's default
    # is 30 s), so clients see the error and retry once the standby has been promoted.
    citus.node_connection_timeout: 2s
  basebackup:
    - checkpoint: fast
tags:
  nofailover: false
  noloadbalance: false
  clonefrom: false
YAML
  chmod 0600 "$temporary"
  give_to_postgres "$temporary"
  mv -f "$temporary" "$file"
}

_ha_synchronous_mode() {
  if [[ $HA_SYNCHRONOUS == quorum ]]; then
    printf 'quorum\n'
  else
    printf 'off\n'
  fi
}

# IPv6 where the container has it (Railway's private network was IPv6-only before October 2025): '::' takes IPv4
# too. Without IPv6, IPv4 only.
_ha_listen_address() {
  if [[ -s /proc/net/if_inet6 ]]; then
    printf '[::]\n'
  else
    printf '0.0.0.0\n'
  fi
}

_double_quoted() {
  local value=${1//\\/\\\\}
  printf '"%s"\n' "${value//\"/\\\"}"
}

# Only a group's "a" member may initialize a group; any other member waits until the group exists and then clones
# its primary, so a standby given a group that does not exist never starts a second, empty group of its own.
await_ha_group() {
  [[ $HA_MEMBER_SUFFIX == a ]] && return 0
  [[ -s $PGDATA/PG_VERSION ]] && return 0
  local state said=0 waited=0
  while true; do
    state="$(_ha_group_initialized)"
    [[ $state == yes ]] && return 0
    if ((said == 0 && waited >= 30)); then
      if [[ $state == no ]]; then
        warn '[ha-group-not-found]' "group $HA_GROUP_NAME (Citus group $HA_GROUP) has no initialized primary in etcd scope $HA_SCOPE; $HA_MEMBER joins it as a standby once $HA_GROUP_NAME-a has started it (only an -a member starts a group). Nothing was changed."
      else
        warn '[ha-etcd-unreachable]' "none of the etcd members $HA_ETCD_HOST_LIST answers; $HA_MEMBER waits for them"
      fi
      said=1
    fi
    sleep 2
    waited=$((waited + 2))
  done
}

# The group's stanza is created by whichever member is its primary (pgBackRest creates a stanza only from a primary);
# in the background, retried until it exists, so an unreachable bucket never holds up the member. Patroni's
# PostgreSQL listens on the default socket. Archiving itself is PostgreSQL's (archive_mode on archives on the primary
# only); after a failover the new primary goes on in the same stanza on its new timeline.
start_ha_backups() {
  ((BACKUP_ENABLED == 1)) || return 0
  write_backup_config "$HA_SOCKET_DIR" 5432
  _ha_keep_stanza &
}

_ha_keep_stanza() {
  local role said=""
  while true; do
    role="$(run_as_postgres psql -X -A -t -q -h "$HA_SOCKET_DIR" -p 5432 -U "$POSTGRES_USER" -d "$POSTGRES_DB" \
      -c 'select pg_is_in_recovery()' 2>/dev/null)" || role=""
    if [[ $role == f ]]; then
      if create_backup_stanza; then
        return 0
      fi
      if [[ $BACKUP_STANZA_ERROR != "$said" ]]; then
        warn_stanza_unready
        said=$BACKUP_STANZA_ERROR
      fi
    elif [[ $role == t ]] && backup_stanza_exists; then
      return 0
    fi
    sleep 15
  done
}

# The etcd v3 JSON API through Python's standard library (the image has python3 for Patroni; no etcdctl in it).
# _ha_etcd <range|delete> <key>: range prints yes or no (the key exists), delete deletes it; unknown or a failure
# when no etcd member answers.
_ha_etcd() {
  python3 - "$HA_ETCD_HOST_LIST" "$1" "$2" <<'PY'
import base64, json, sys, urllib.request
hosts, action, key = sys.argv[1].split(','), sys.argv[2], sys.argv[3]
body = json.dumps({"key": base64.b64encode(key.encode()).decode()}).encode()
path = "/v3/kv/range" if action == "range" else "/v3/kv/deleterange"
for host in hosts:
    try:
        with urllib.request.urlopen(urllib.request.Request(f"http://{host}{path}", body), timeout=3) as answer:
            found = json.load(answer)
            if action == "range":
                kvs = found.get("kvs") or []
                print("yes" if kvs else "no")
                if kvs:
                    print(base64.b64decode(kvs[0].get("value", "")).decode(errors="replace"))
            sys.exit(0)
    except Exception:
        continue
print("unknown")
sys.exit(1)
PY
}

# ha_member_leads <member>: true when that member's Patroni answers GET /primary with 200: it runs and holds its
# group's leader key.
ha_member_leads() {
  python3 - "$(_ha_member_host "$1")" "$HA_REST_PORT" <<'PY'
import sys, urllib.request
try:
    with urllib.request.urlopen(f"http://{sys.argv[1]}:{sys.argv[2]}/primary", timeout=3) as answer:
        sys.exit(0 if answer.status == 200 else 1)
except Exception:
    sys.exit(1)
PY
}

_ha_group_key() {
  printf '/service/%s/%s/%s\n' "$HA_SCOPE" "$HA_GROUP" "$1"
}

# The group's initialize key in etcd: set once a member has initialized the group's data. Prints yes, no or unknown
# (etcd unreachable).
_ha_group_initialized() {
  _ha_etcd range "$(_ha_group_key initialize)" | head -n 1
}

# After a restore, the group's a member takes the restored data to Patroni as a new start of the group: etcd's
# record of the group from before (its initialize key with the same system identifier, its timeline history, its
# synchronous standby and last positions) is removed, so that Patroni takes over the data directory as it is
# instead of following or rewinding it to a member that still has the old data. Only once no member holds the
# group's leader key: a member still leading must be stopped (given the same restore variables) first.
forget_former_group_state() {
  local answer leader said="" key
  while true; do
    answer="$(_ha_etcd range "$(_ha_group_key leader)")" || answer=unknown
    if [[ $(head -n 1 <<<"$answer") == no ]]; then
      break
    fi
    leader="$(sed -n 2p <<<"$answer")"
    if [[ $answer != "$said" ]]; then
      if [[ $(head -n 1 <<<"$answer") == unknown ]]; then
        warn '[ha-restore-etcd-unreachable]' "none of the etcd members $HA_ETCD_HOST_LIST answers; $HA_MEMBER waits for them before it hands the restored data to Patroni"
      else
        warn '[ha-restore-waiting-for-leader]' "$leader still leads group $HA_GROUP_NAME with the data from before the restore; $HA_MEMBER hands the restored data to Patroni once no member leads the group: set the same restore variables on $leader too (it then sets its data aside and clones the restored primary). Nothing was changed."
      fi
      said=$answer
    fi
    sleep 2
  done
  for key in initialize history sync status failsafe; do
    _ha_etcd delete "$(_ha_group_key "$key")" >/dev/null || fail 1 '[ha-restore-etcd-failed]' "etcd stopped answering while $HA_MEMBER cleared group $HA_GROUP_NAME's record from before the restore; the next boot does it again"
  done
  say "restore: etcd's record of group $HA_GROUP_NAME from before the restore is cleared; Patroni takes over the restored data"
}

# Patroni becomes PID 1 (it reaps children and passes SIGTERM on as a fast shutdown of PostgreSQL).
run_patroni() {
  say "starting $HA_MEMBER under Patroni: Citus group $HA_GROUP ($HA_GROUP_NAME), etcd $HA_ETCD_HOST_LIST, max_connections=${SETTING_MAX_CONNECTIONS} shared_buffers=${SETTING_SHARED_BUFFERS} (memory limit ${MEMORY_LIMIT_MIB} MiB, ${MEMORY_LIMIT_SOURCE})"
  exec gosu postgres patroni "$(_ha_config_file)"
}
