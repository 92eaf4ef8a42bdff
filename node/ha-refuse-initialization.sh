#!/usr/bin/env bash
# The only bootstrap method of a high-availability member other than a group's "a" member (node/lib/patroni.sh):
# Patroni calls it when the group has no primary and no record in etcd, and the member's volume is empty. Such a
# member clones a primary; it never initializes a group, which would start a second, empty one beside the group's
# data (on the a member, or in the bucket). Failing makes Patroni give up its attempt and stop; the container
# restarts and the member waits again. Arguments: the member and its group.
set -uo pipefail
NODE_LIB_DIR="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib"
# shellcheck source=lib/messages.sh
source "$NODE_LIB_DIR/messages.sh"
fail 1 '[ha-standby-cannot-initialize]' "$1 found no primary of group $2 and no record of it in etcd; only $2-a starts a group, so $1 initializes nothing and waits to clone $2's primary (start $2-a, or if etcd lost its data, see docs/high-availability.md). Nothing was changed."
