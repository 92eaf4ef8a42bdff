#!/bin/sh
# Debian packages the images add to the Citus image, at pinned upstream versions (the Debian revision may move:
# security updates keep the version and bump "+debNNuN"). citusdata/citus:13.2.0 is Debian bookworm; a base rebuilt
# on trixie gets trixie's build of the same programs. Usage: install-packages.sh node|pooler|patroni|etcd|haproxy
#   node:
#   unbound     the local DNS cache in front of the platform's resolver (node/lib/resolver.sh)
#   pgbackrest  WAL archiving to the bucket (node/lib/backup.sh); PostgreSQL 17 needs 2.52 or newer. Bookworm's
#               own is 2.45, so there it is PGDG's build. A pin that can no longer be installed never fails the
#               build: the newest pgbackrest >= 2.52 apt offers instead, or none (nodes then log backup-unavailable).
#   pooler:
#   pgbouncer   the pooled DATABASE_URL (pooler/entrypoint.sh); protocol-level prepared statements need 1.21 or
#               newer. Bookworm's own is 1.18, so there it is PGDG's build; the same fallback, but a pooler without
#               PgBouncer has no purpose, so none at all fails the build.
#   The high-availability variant (docs/high-availability.md); there, too, no program at all fails the build:
#   patroni     failover of each node group, in its Citus mode (node/lib/patroni.sh), with python3-etcd for its etcd
#               client; quorum synchronous replication needs 4.0 or newer. Bookworm's own is 3.0.2: PGDG's build there.
#   etcd        etcd-server and etcdctl, the store Patroni keeps its leader keys in (ha/etcd/entrypoint.sh).
#   haproxy     the stable endpoint in front of the coordinator group's primary (ha/endpoint/entrypoint.sh).
set -eu
export DEBIAN_FRONTEND=noninteractive
readonly image="${1:-node}"
readonly pgbackrest_minimum=2.52
readonly pgbouncer_minimum=1.21
readonly patroni_minimum=4.0
readonly etcd_minimum=3.4
readonly haproxy_minimum=2.4
readonly pgdg_list=/etc/apt/sources.list.d/pgdg.list
readonly pgdg_archive_list=/etc/apt/sources.list.d/pgdg-archive.list

# For the build log; the nodes' own messages at run time are node/lib/messages.sh's.
build_warning() {
  echo "node/install-packages.sh: warning: $*" >&2
}

# PGDG's main index drops a version once a newer one is out; its archive repository keeps every version, signed
# with the same key, so the archive is added with the keyring the base image's PGDG source already uses.
# Not exercised by ImageBackupTest where PGDG is out of reach (it then tests a trixie base's path only).
add_pgdg_archive() {
  keyring="$(sed -n 's/.*signed-by=\([^] ]*\).*/\1/p' "$pgdg_list" 2>/dev/null | head -n 1)"
  if [ -z "$keyring" ] || [ ! -r "$keyring" ]; then
    build_warning "no signed-by keyring in $pgdg_list; PGDG's archive repository is not added"
    return 0
  fi
  echo "deb [ signed-by=$keyring ] http://apt-archive.postgresql.org/pub/repos/apt $1-pgdg-archive main" \
    >"$pgdg_archive_list"
}

# install_at_least <package> <pin> <minimum>: the pinned version, else the newest apt offers if it is at least the
# minimum; returns 1 (with a warning) when neither can be installed.
install_at_least() {
  package=$1 pin=$2 minimum=$3
  if ! apt-get install -y --no-install-recommends "$package=$pin"; then
    newest="$(apt-cache policy "$package" | sed -n 's/^ *Candidate: //p')"
    if [ -z "$newest" ] || [ "$newest" = '(none)' ] || ! dpkg --compare-versions "$newest" ge "$minimum"; then
      build_warning "$package=$pin cannot be installed and apt offers no $package $minimum or newer (newest: ${newest:-none})"
      return 1
    fi
    build_warning "$package=$pin cannot be installed; installing $package=$newest, the newest apt offers"
    apt-get install -y --no-install-recommends "$package=$newest"
  fi
}

install_pgbackrest() {
  if ! install_at_least pgbackrest "$1" "$pgbackrest_minimum"; then
    build_warning "this image has NO pgBackRest; its nodes log backup-unavailable and archive no WAL"
    return 0
  fi
  # An installed binary that does not run would fail every archive attempt; better to fail the build.
  pgbackrest version
}

codename="$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release)"
case "$codename" in
  bookworm)
    unbound_version='1.17.1-2+deb12u*'
    pgbackrest_version='2.59.1-1.pgdg12+1'
    pgbouncer_version='1.25.1-1.pgdg12+1'
    patroni_version='4.0.7-*'
    etcd_version='3.4.23-*'
    haproxy_version='2.6.12-1+deb12u*'
    add_pgdg_archive "$codename"
    ;;
  trixie)
    unbound_version='1.26.2-0+deb13u*'
    pgbackrest_version='2.55.1-1*'
    pgbouncer_version='1.24.1-1+deb13u*'
    patroni_version='4.0.7-3*'
    etcd_version='3.5.16-4*'
    haproxy_version='3.0.11-1+deb13u*'
    ;;
  *)
    echo "node/install-packages.sh: no pinned versions for Debian $codename" >&2
    exit 1
    ;;
esac
if ! apt-get update; then
  # An unreachable source is only a warning to apt; a source it refuses (key, index) fails the update.
  [ -f "$pgdg_archive_list" ] || exit 1
  build_warning "apt-get update failed; retrying without PGDG's archive repository"
  rm -f "$pgdg_archive_list"
  apt-get update
fi
case "$image" in
  node)
    apt-get install -y --no-install-recommends "unbound=$unbound_version"
    install_pgbackrest "$pgbackrest_version"
    ;;
  pooler)
    install_at_least pgbouncer "$pgbouncer_version" "$pgbouncer_minimum"
    # Only the binary: the package's own service and configuration are not used.
    pgbouncer --version
    ;;
  patroni)
    install_at_least patroni "$patroni_version" "$patroni_minimum"
    apt-get install -y --no-install-recommends python3-etcd
    patroni --version
    ;;
  etcd)
    install_at_least etcd-server "$etcd_version" "$etcd_minimum"
    # etcdctl: the health check, and the operator's tool (docs/operations.md).
    install_at_least etcd-client "$etcd_version" "$etcd_minimum"
    etcd --version
    ;;
  haproxy)
    install_at_least haproxy "$haproxy_version" "$haproxy_minimum"
    haproxy -v
    ;;
  *)
    echo "node/install-packages.sh: unknown image '$image' (node, pooler, patroni, etcd or haproxy)" >&2
    exit 1
    ;;
esac
# The image keeps the base's package sources as they were.
rm -f "$pgdg_archive_list"
rm -rf /var/lib/apt/lists/*
