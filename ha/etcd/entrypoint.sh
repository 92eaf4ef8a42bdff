#!/usr/bin/env bash
# Entrypoint of the etcd image: one member of a static three-member cluster, named after its service (etcd1, etcd2,
# etcd3), its peers found by their private names. The data directory is on the service's volume: a member that
# lost it cannot rejoin under its old identity (docs/operations.md, "etcd").
# Usage: entrypoint.sh            run the member
#        entrypoint.sh health     exit 0 when this member answers and the cluster has a leader
set -euo pipefail

readonly ETCD_DATA_ROOT=/var/lib/etcd

say() {
  printf 'citus-etcd: %s\n' "$1"
}

# fail <exit-status> '[id]' <text>: 2 means bad configuration (TROUBLESHOOTING.md documents every id).
fail() {
  printf 'citus-etcd: error %s: %s\n' "$2" "$3" >&2
  exit "$1"
}

check_settings() {
  ETCD_MEMBER=${RAILWAY_SERVICE_NAME:-${NODE_IDENTITY:-}}
  HA_ETCD_MEMBERS=${HA_ETCD_MEMBERS:-etcd1,etcd2,etcd3}
  HA_PRIVATE_DOMAIN=${HA_PRIVATE_DOMAIN:-railway.internal}
  HA_SCOPE=${HA_SCOPE:-citus}
  # existing: this member was removed and added again with etcdctl member add (docs/operations.md), so it joins the
  # running cluster instead of founding one.
  HA_ETCD_CLUSTER_STATE=${HA_ETCD_CLUSTER_STATE:-new}
  if [[ $HA_ETCD_CLUSTER_STATE != new && $HA_ETCD_CLUSTER_STATE != existing ]]; then
    fail 2 '[etcd-members-invalid]' "HA_ETCD_CLUSTER_STATE='$HA_ETCD_CLUSTER_STATE' must be new or existing"
  fi
  local member found=0 members=()
  IFS=',' read -r -a members <<<"${HA_ETCD_MEMBERS// /}"
  for member in "${members[@]}"; do
    if [[ ! $member =~ ^[0-9a-z]([0-9a-z-]*[0-9a-z])?$ ]]; then
      fail 2 '[etcd-members-invalid]' "HA_ETCD_MEMBERS='$HA_ETCD_MEMBERS': '$member' is not a service name"
    fi
    [[ $member == "$ETCD_MEMBER" ]] && found=1
  done
  if ((found == 0)); then
    fail 2 '[etcd-member-unknown]' "this service is '$ETCD_MEMBER' (RAILWAY_SERVICE_NAME, else NODE_IDENTITY), which is not one of HA_ETCD_MEMBERS='$HA_ETCD_MEMBERS'"
  fi
  if [[ ! $HA_PRIVATE_DOMAIN =~ ^[0-9a-z]([0-9a-z.-]*[0-9a-z])?$ ]]; then
    fail 2 '[etcd-members-invalid]' "HA_PRIVATE_DOMAIN='$HA_PRIVATE_DOMAIN' is not a domain name"
  fi
  ETCD_INITIAL_CLUSTER=""
  for member in "${members[@]}"; do
    ETCD_INITIAL_CLUSTER+="${ETCD_INITIAL_CLUSTER:+,}$member=http://$member.$HA_PRIVATE_DOMAIN:2380"
  done
}

# '::' takes IPv4 too where the container has IPv6.
listen_host() {
  if [[ -s /proc/net/if_inet6 ]]; then
    printf '[::]\n'
  else
    printf '0.0.0.0\n'
  fi
}

run_member() {
  check_settings
  local data=$ETCD_DATA_ROOT/$ETCD_MEMBER host listen
  host=$ETCD_MEMBER.$HA_PRIVATE_DOMAIN
  listen="$(listen_host)"
  mkdir -p "$data"
  chown -R etcd:etcd "$ETCD_DATA_ROOT"
  chmod 0700 "$data"
  if [[ -d $data/member ]]; then
    say "member $ETCD_MEMBER starting from its data in $data"
  else
    say "member $ETCD_MEMBER joining the $HA_ETCD_CLUSTER_STATE cluster $ETCD_INITIAL_CLUSTER"
  fi
  exec gosu etcd etcd --name "$ETCD_MEMBER" --data-dir "$data" \
    --listen-client-urls "http://$listen:2379" --advertise-client-urls "http://$host:2379" \
    --listen-peer-urls "http://$listen:2380" --initial-advertise-peer-urls "http://$host:2380" \
    --initial-cluster "$ETCD_INITIAL_CLUSTER" --initial-cluster-token "$HA_SCOPE-etcd" --initial-cluster-state "$HA_ETCD_CLUSTER_STATE" \
    --auto-compaction-retention 1 --log-level warn
}

health() {
  ETCDCTL_API=3 etcdctl --endpoints=http://127.0.0.1:2379 --command-timeout=3s endpoint health >/dev/null 2>&1
}

case "${1:-}" in
  health) health ;;
  "") run_member ;;
  *) exec "$@" ;;
esac
