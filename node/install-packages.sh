#!/bin/sh
# Debian packages the node images add to the Citus image, at pinned upstream versions (the Debian revision may
# move: security updates keep the version and bump "+debNNuN"). citusdata/citus:13.2.0 is Debian bookworm; a
# base rebuilt on trixie gets trixie's build of the same programs.
#   unbound   the local DNS cache in front of the platform's resolver (node/lib/resolver.sh)
set -eu
codename="$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release)"
case "$codename" in
  bookworm) packages='unbound=1.17.1-2+deb12u*' ;;
  trixie) packages='unbound=1.26.2-0+deb13u*' ;;
  *)
    echo "node/install-packages.sh: no pinned versions for Debian $codename" >&2
    exit 1
    ;;
esac
apt-get update
# shellcheck disable=SC2086 # one word per package
apt-get install -y --no-install-recommends $packages
rm -rf /var/lib/apt/lists/*
