# shellcheck shell=bash
# shellcheck disable=SC2034 # the SETTING_* and MEMORY_LIMIT_* variables are read by settings.sh
# Sizes the server from the container's memory limit.
#
# With M = memory limit in MiB (cgroup v2 memory.max, cgroup v1 memory.limit_in_bytes, else MemTotal):
#   max_connections      C  = clamp(M / 20, 40, 400)
#   shared_buffers       SB = M / 4
#   effective_cache_size    = M * 3 / 4                 (planner hint, allocates nothing)
#   maintenance_work_mem MW = clamp(M / 32, 16, 1024)   (used by VACUUM / CREATE INDEX and by each of the
#                                                         3 autovacuum workers, hence reserved 4 times)
#   shared memory        SH = SB + SB / 32 + 32 + C / 4   (buffer descriptors and wal_buffers grow with SB;
#                                                         lock tables, PGPROCs, prepared transactions,
#                                                         Citus and pg_stat_statements; measured upper bound)
#   work_mem             WM = (M - SH - 4 * MW - C * 4) / (2 * C), between 1 MiB and 256 MiB
#                              (4 MiB private memory per backend, two sort/hash operations per query)
# so that SH + 4 * MW + C * (4 + 2 * WM) <= M. POSTGRES_* overrides replace single values; the others are
# derived from them, and the budget is checked again (warning only: the operator's values win).
# Sets MEMORY_LIMIT_MIB, MEMORY_LIMIT_SOURCE and the SETTING_* values. Reads the cgroup files under NODE_CGROUP_ROOT
# (/sys/fs/cgroup), /proc/meminfo, /dev/shm's size and the POSTGRES_* memory overrides.
# Functions whose names start with _ are used only in this file.

readonly BACKEND_PRIVATE_MIB=4
readonly MAINTENANCE_RESERVE_COUNT=4
readonly OPERATIONS_PER_QUERY=2
readonly SMALL_DEV_SHM_MIB=256

_clamp() {
  local value=$1 low=$2 high=$3
  ((value < low)) && value=$low
  ((value > high)) && value=$high
  printf '%s\n' "$value"
}

_host_memory_mib() {
  local total_kb
  total_kb="$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)"
  printf '%s\n' $((total_kb / 1024))
}

# Sets MEMORY_LIMIT_MIB and MEMORY_LIMIT_SOURCE; says so when there is no limit, since several nodes on one
# host would each size themselves for all of its memory.
detect_memory_limit() {
  _read_memory_limit
  if [[ $MEMORY_LIMIT_SOURCE == host* ]]; then
    warn '[no-memory-limit]' "the container has no memory limit, so this node sizes itself for all ${MEMORY_LIMIT_MIB} MiB of the host; with several nodes on one host set a limit per container (docker compose: NODE_MEMORY_LIMIT in .env)"
  fi
}

_read_memory_limit() {
  local root="${NODE_CGROUP_ROOT:-/sys/fs/cgroup}" host value file
  host="$(_host_memory_mib)"
  MEMORY_LIMIT_MIB=$host
  MEMORY_LIMIT_SOURCE="host memory (no cgroup limit)"
  if [[ -r $root/memory.max ]]; then
    read -r value <"$root/memory.max"
    if [[ $value =~ ^[0-9]+$ ]]; then
      MEMORY_LIMIT_MIB=$((value / 1048576))
      MEMORY_LIMIT_SOURCE="cgroup v2 memory.max"
    fi
    return 0
  fi
  for file in "$root/memory/memory.limit_in_bytes" "$root/memory.limit_in_bytes"; do
    if [[ -r $file ]]; then
      read -r value <"$file"
      # cgroup v1 writes a huge number when there is no limit.
      if [[ $value =~ ^[0-9]{1,18}$ ]] && ((value / 1048576 < host)); then
        MEMORY_LIMIT_MIB=$((value / 1048576))
        MEMORY_LIMIT_SOURCE="cgroup v1 memory.limit_in_bytes"
      fi
      return 0
    fi
  done
}

# _size_in_mib <variable name>: a PostgreSQL size with an explicit unit, rounded down to MiB.
_size_in_mib() {
  local name=$1 value=${!1}
  if [[ ! $value =~ ^[1-9][0-9]{0,8}(kB|MB|GB|TB)$ ]]; then
    fail 2 '[invalid-memory-setting]' "$name='$value' is not a size; use a whole number with kB, MB, GB or TB, e.g. 256MB"
  fi
  local number=${value%??}
  case "${value#"$number"}" in
    kB) printf '%s\n' $((number / 1024)) ;;
    MB) printf '%s\n' "$number" ;;
    GB) printf '%s\n' $((number * 1024)) ;;
    TB) printf '%s\n' $((number * 1024 * 1024)) ;;
  esac
}

check_memory_overrides() {
  if [[ -n ${POSTGRES_MAX_CONNECTIONS:-} && ! $POSTGRES_MAX_CONNECTIONS =~ ^[1-9][0-9]{0,4}$ ]]; then
    fail 2 '[invalid-max-connections]' "POSTGRES_MAX_CONNECTIONS='$POSTGRES_MAX_CONNECTIONS' must be a whole number between 1 and 99999"
  fi
  local name
  for name in POSTGRES_SHARED_BUFFERS POSTGRES_EFFECTIVE_CACHE_SIZE POSTGRES_WORK_MEM POSTGRES_MAINTENANCE_WORK_MEM; do
    if [[ -n ${!name:-} ]]; then
      _size_in_mib "$name" >/dev/null
    fi
  done
}

# /dev/shm holds parallel queries' dynamic shared memory; it is 64 MB on Railway unless
# RAILWAY_SHM_SIZE_BYTES is set, and a parallel hash join that outgrows it fails the query.
_dev_shm_mib() {
  local blocks block_size
  read -r blocks block_size < <(stat -f -c '%b %S' /dev/shm)
  printf '%s\n' $((blocks * block_size / 1048576))
}

# Sets the SETTING_* variables written by settings.sh.
compute_memory_settings() {
  local m=$MEMORY_LIMIT_MIB
  local connections shared_buffers maintenance shared_memory work_mem_kb budget_kb
  connections="${POSTGRES_MAX_CONNECTIONS:-$(_clamp $((m / 20)) 40 400)}"
  shared_buffers=$((m / 4))
  [[ -n ${POSTGRES_SHARED_BUFFERS:-} ]] && shared_buffers="$(_size_in_mib POSTGRES_SHARED_BUFFERS)"
  maintenance="$(_clamp $((m / 32)) 16 1024)"
  [[ -n ${POSTGRES_MAINTENANCE_WORK_MEM:-} ]] && maintenance="$(_size_in_mib POSTGRES_MAINTENANCE_WORK_MEM)"
  shared_memory=$((shared_buffers + shared_buffers / 32 + 32 + connections / 4))
  budget_kb=$(((m - shared_memory - MAINTENANCE_RESERVE_COUNT * maintenance - connections * BACKEND_PRIVATE_MIB) * 1024))
  work_mem_kb="$(_clamp $((budget_kb / (OPERATIONS_PER_QUERY * connections))) 1024 262144)"

  SETTING_MAX_CONNECTIONS=$connections
  SETTING_SHARED_BUFFERS="${POSTGRES_SHARED_BUFFERS:-${shared_buffers}MB}"
  SETTING_EFFECTIVE_CACHE_SIZE="${POSTGRES_EFFECTIVE_CACHE_SIZE:-$((m * 3 / 4))MB}"
  SETTING_MAINTENANCE_WORK_MEM="${POSTGRES_MAINTENANCE_WORK_MEM:-${maintenance}MB}"
  SETTING_WORK_MEM="${POSTGRES_WORK_MEM:-${work_mem_kb}kB}"
  if [[ -n ${POSTGRES_WORK_MEM:-} ]]; then
    work_mem_kb=$(($(_size_in_mib POSTGRES_WORK_MEM) * 1024))
  fi

  local needed=$((shared_memory + MAINTENANCE_RESERVE_COUNT * maintenance + connections * BACKEND_PRIVATE_MIB + OPERATIONS_PER_QUERY * connections * work_mem_kb / 1024))
  if ((needed > m)); then
    warn '[memory-overcommitted]' "these settings can use about ${needed} MiB but the memory limit is ${m} MiB (${MEMORY_LIMIT_SOURCE}); lower POSTGRES_MAX_CONNECTIONS, POSTGRES_SHARED_BUFFERS or POSTGRES_WORK_MEM, or raise the limit"
  fi

  local shm
  shm="$(_dev_shm_mib)"
  if ((shm < SMALL_DEV_SHM_MIB)); then
    SETTING_MAX_PARALLEL_WORKERS_PER_GATHER=0
    SETTING_MAX_PARALLEL_MAINTENANCE_WORKERS=0
    warn '[dev-shm-small]' "/dev/shm is ${shm} MiB, too small for parallel queries, so they are off (Citus still runs shards in parallel); set RAILWAY_SHM_SIZE_BYTES=268435456 or more to enable them"
  else
    SETTING_MAX_PARALLEL_WORKERS_PER_GATHER=2
    SETTING_MAX_PARALLEL_MAINTENANCE_WORKERS=2
  fi
}
