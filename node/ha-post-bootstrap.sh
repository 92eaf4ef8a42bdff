#!/usr/bin/env bash
# Patroni's post_bootstrap for the high-availability variant (node/lib/patroni.sh): run once, on the member that
# initializes a group, with a connection string to the new server as its argument. Patroni's Citus mode creates
# the citus extension itself; the rest is what node/initdb/ does for the default template.
set -euo pipefail
psql -X -q -v ON_ERROR_STOP=1 "$1" -c 'CREATE EXTENSION IF NOT EXISTS pg_stat_statements'
