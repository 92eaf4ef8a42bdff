# shellcheck shell=bash
# A DNS cache on the node's loopback (unbound) between PostgreSQL and the platform's resolver. Citus connects
# to the other nodes by name, one lookup per node and connection, and glibc waits 5 s for a lost answer (the
# platform's resolv.conf sets no options) or fails the lookup when two answers in a row are lost, which fails a
# whole citus_add_node. unbound asks again within a few hundred milliseconds, keeps answers for their TTL (at
# most a minute) and, when the platform's resolver does not answer within a second, gives the last answer it had.
# The platform's nameservers stay in resolv.conf after the cache, so a cache that is not running costs nothing:
# glibc's query to a closed port fails at once and it goes on to them.
# Writes unbound's configuration under NODE_RESOLVER_DIR (/run/citus-node) and rewrites NODE_RESOLV_CONF
# (/etc/resolv.conf) in place; starts unbound. Reads LOCAL_DNS_CACHE, EUID and the nameservers in resolv.conf.
# Functions whose names start with _ are used only in this file.

readonly LOCAL_RESOLVER_ADDRESS=127.0.0.1
readonly LOCAL_RESOLVER_MARK='# citus-node: local DNS cache, then the platform resolvers below'

_resolv_conf_file() {
  printf '%s\n' "${NODE_RESOLV_CONF:-/etc/resolv.conf}"
}

_resolver_dir() {
  printf '%s\n' "${NODE_RESOLVER_DIR:-/run/citus-node}"
}

# The platform's nameservers: every nameserver line but the cache's own (a container restart finds it there).
_upstream_nameservers() {
  local file="$1" keyword address rest
  while read -r keyword address rest; do
    if [[ $keyword == nameserver && -n $address && $address != "$LOCAL_RESOLVER_ADDRESS" ]]; then
      printf '%s\n' "$address"
    fi
  done <"$file"
}

# _write_resolver_config <file> <upstream>...
_write_resolver_config() {
  local file="$1" dir upstream
  dir="$(dirname "$file")"
  shift
  {
    printf 'server:\n'
    printf '  interface: %s\n' "$LOCAL_RESOLVER_ADDRESS"
    printf '  port: 53\n'
    printf '  num-threads: 1\n'
    # A second cache on the same address must fail, not share the port.
    printf '  so-reuseport: no\n'
    printf '  do-daemonize: yes\n'
    printf '  pidfile: "%s/unbound.pid"\n' "$dir"
    printf '  directory: "%s"\n' "$dir"
    printf '  chroot: ""\n'
    printf '  use-syslog: no\n'
    printf '  logfile: ""\n'
    printf '  verbosity: 0\n'
    # The private names are unsigned and the platform's resolver is the authority for them: no validation.
    printf '  module-config: "iterator"\n'
    # Docker's embedded resolver listens on 127.0.0.11.
    printf '  do-not-query-localhost: no\n'
    # An answer with TTL 0 would not be kept at all, so none could be given stale either.
    printf '  cache-min-ttl: 1\n'
    printf '  cache-max-ttl: 60\n'
    printf '  cache-max-negative-ttl: 1\n'
    printf '  serve-expired: yes\n'
    printf '  serve-expired-ttl: 86400\n'
    printf '  serve-expired-client-timeout: 1000\n'
    printf '  msg-cache-size: 1m\n'
    printf '  rrset-cache-size: 2m\n'
    printf '  key-cache-size: 64k\n'
    printf '  neg-cache-size: 64k\n'
    printf '  infra-cache-numhosts: 64\n'
    printf '  outgoing-range: 64\n'
    printf '  hide-identity: yes\n'
    printf '  hide-version: yes\n'
    printf 'forward-zone:\n'
    printf '  name: "."\n'
    for upstream in "$@"; do
      printf '  forward-addr: %s\n' "$upstream"
    done
  } >"$file"
}

# The cache first, then the file as the platform wrote it. Rewritten in place: the runtime bind-mounts it.
_point_resolv_conf_at_cache() {
  local file="$1" original
  original="$(grep -vxF -e "$LOCAL_RESOLVER_MARK" -e "nameserver $LOCAL_RESOLVER_ADDRESS" "$file" || true)"
  printf '%s\nnameserver %s\n%s\n' "$LOCAL_RESOLVER_MARK" "$LOCAL_RESOLVER_ADDRESS" "$original" >"$file"
}

# Starts unbound for the nameservers in the file and prints what it did; on failure prints why and returns 1.
_prepare_local_resolver() {
  local conf_file="$1" dir upstreams
  if ((EUID != 0)) || ! command -v unbound >/dev/null || [[ ! -w $conf_file ]]; then
    printf 'no local DNS cache (needs root, unbound and a writable %s)\n' "$conf_file"
    return 1
  fi
  mapfile -t upstreams < <(_upstream_nameservers "$conf_file")
  if ((${#upstreams[@]} == 0)); then
    printf '%s lists no nameserver to forward to\n' "$conf_file"
    return 1
  fi
  dir="$(_resolver_dir)"
  mkdir -p "$dir"
  _write_resolver_config "$dir/unbound.conf" "${upstreams[@]}"
  if [[ -f $dir/unbound.pid ]] && kill -0 "$(cat "$dir/unbound.pid")" 2>/dev/null; then
    kill "$(cat "$dir/unbound.pid")" 2>/dev/null || true
    sleep 0.2
  fi
  if ! unbound -c "$dir/unbound.conf" >&2; then
    printf 'unbound did not start\n'
    return 1
  fi
  printf 'local DNS cache on %s, forwarding to %s\n' "$LOCAL_RESOLVER_ADDRESS" "${upstreams[*]}"
}

start_local_resolver() {
  local conf_file outcome
  case "${LOCAL_DNS_CACHE:-on}" in
    on) ;;
    off)
      say "LOCAL_DNS_CACHE=off: names are looked up through the platform's resolver directly"
      return 0
      ;;
    *) fail 2 '[local-dns-cache-invalid]' "LOCAL_DNS_CACHE='${LOCAL_DNS_CACHE}' must be on or off" ;;
  esac
  conf_file="$(_resolv_conf_file)"
  if ! outcome="$(_prepare_local_resolver "$conf_file")"; then
    warn '[local-dns-cache-unavailable]' "$outcome; names are looked up through the platform's resolver directly"
    return 0
  fi
  _point_resolv_conf_at_cache "$conf_file"
  say "$outcome"
}
