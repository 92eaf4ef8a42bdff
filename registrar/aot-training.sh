#!/bin/sh
# Runs the registrar once for real so that the JVM can write its AOT cache (JDK 25, -XX:AOTCacheOutput=…): a
# throwaway Citus coordinator and worker on loopback, the registrar in --train mode until it has registered the
# worker, then a normal exit. Used by the training stage of registrar/Dockerfile (FROM citusdata/citus, so PostgreSQL
# and Citus are the ones the registrar meets in production); the benchmark runs it the same way with local binaries.
#
# usage: aot-training.sh JAVA [JVM-OPTION…] -jar REGISTRAR-JAR
#   e.g.  aot-training.sh java @registrar/jvm.options -XX:AOTCacheOutput=registrar.aot -jar registrar.jar
#         (the JVM options must be those the cache will run with: registrar/jvm.options, as an argument file)
#   PG_BIN         PostgreSQL's bin directory (default: where `postgres` is on PATH); citus must be installed there
#   TRAINING_PORT  the coordinator's port (default 55432); the worker uses the next one
set -eu

if [ $# -lt 3 ]; then
    echo "usage: $0 JAVA [JVM-OPTION...] -jar REGISTRAR-JAR" >&2
    exit 2
fi
pg_bin=${PG_BIN:-$(dirname "$(command -v postgres || echo /nonexistent/postgres)")}
if [ ! -x "$pg_bin/postgres" ]; then
    echo "aot-training: no PostgreSQL server in '$pg_bin' (set PG_BIN)" >&2
    exit 2
fi
coordinator_port=${TRAINING_PORT:-55432}
worker_port=$((coordinator_port + 1))
work=$(mktemp -d)

as_postgres() {
    # initdb and postgres refuse to run as root; the training stage runs as root.
    if [ "$(id -u)" = 0 ]; then
        setpriv --reuid=postgres --regid=postgres --init-groups "$@"
    else
        "$@"
    fi
}

stop_servers() {
    for node in coordinator worker; do
        if [ -f "$work/$node/postmaster.pid" ]; then
            as_postgres "$pg_bin/pg_ctl" -D "$work/$node" -m immediate -w stop > /dev/null 2>&1 || true
        fi
    done
    rm -rf "$work"
}
trap stop_servers EXIT
trap 'exit 1' INT TERM

# A throwaway password: these servers live for a few seconds inside the build.
password="aot-training-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
printf '%s\n' "$password" > "$work/password"
printf '127.0.0.1:*:*:postgres:%s\n' "$password" > "$work/pgpass"
chmod 600 "$work/pgpass"
if [ "$(id -u)" = 0 ]; then chown -R postgres: "$work"; fi

start_node() { # name port
    as_postgres "$pg_bin/initdb" -D "$work/$1" -U postgres --pwfile="$work/password" -A scram-sha-256 \
        --no-sync > "$work/$1-initdb.log" 2>&1 || { cat "$work/$1-initdb.log" >&2; exit 1; }
    # PGPASSFILE: the coordinator's Citus connects to the worker with the password; HOME: libpq must not look for
    # client certificates in root's home.
    HOME=$work PGPASSFILE="$work/pgpass" as_postgres "$pg_bin/pg_ctl" -D "$work/$1" -l "$work/$1.log" -w \
        -o "-c port=$2 -c listen_addresses=127.0.0.1 -c unix_socket_directories=$work \
            -c shared_preload_libraries=citus -c shared_buffers=16MB -c fsync=off -c max_connections=40" \
        start > /dev/null || { cat "$work/$1.log" >&2; exit 1; }
    PGPASSWORD=$password "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$2" -U postgres -d postgres \
        -c "CREATE EXTENSION IF NOT EXISTS citus" > /dev/null
}
start_node coordinator "$coordinator_port"
start_node worker "$worker_port"

# The coordinator's name comes from a JVM hosts file (the registrar refuses localhost as coordinator name, and the
# 80 default worker names must fail at once instead of asking the build's DNS).
echo "127.0.0.1 coordinator.aot-training.internal" > "$work/hosts"
java=$1
shift
env POSTGRES_PASSWORD="$password" COORDINATOR_HOST=coordinator.aot-training.internal \
    COORDINATOR_PORT="$coordinator_port" WORKER_HOSTS="127.0.0.1:$worker_port" SCAN_INTERVAL=100ms PORT=0 \
    LOG_FORMAT=json "$java" "-Djdk.net.hosts.file=$work/hosts" "$@" --train
