# Shared helpers for idsync's server scripts. Sourced, not run.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="${IDSYNC_VENV:-$REPO_ROOT/.venv}"

die() { echo "$(basename "$0"): $*" >&2; exit 1; }
log() { echo "$(basename "$0"): $*" >&2; }

# wait_until SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.2 s until it succeeds.
wait_until() {
  local seconds=$1 what=$2; shift 2
  local deadline=$(( $(date +%s) + seconds ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# start_time PID: the process's start time (field 22 of /proc/PID/stat), which tells a process from a
# later one that reused its pid. Fields are counted after the command name, which may hold spaces.
start_time() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $20}'; }

# watch_parent PARENT_PID SERVER_PID: stops the server when the process that asked for it dies,
# so a crashed test run never leaves servers behind — and never signals a process that reused its pid.
watch_parent() {
  local parent=$1 server=$2
  [ -n "$parent" ] || return 0
  local parent_start server_start
  parent_start=$(start_time "$parent") server_start=$(start_time "$server")
  setsid bash -c '
    start_time() { sed "s/^.*) //" "/proc/$1/stat" 2>/dev/null | awk "{print \$20}"; }
    alive() { [ "$(start_time "$1")" = "$2" ]; }
    while alive "$0" "$1" && alive "$2" "$3"; do sleep 1; done
    alive "$2" "$3" && kill "$2"
    for _ in 1 2 3 4 5; do alive "$2" "$3" || exit 0; sleep 1; done
    alive "$2" "$3" && kill -9 "$2"' "$parent" "$parent_start" "$server" "$server_start" </dev/null >/dev/null 2>&1 &
}

# stop_pidfile FILE: stops the process named in FILE (TERM, then KILL after 10 s).
stop_pidfile() {
  local file=$1 pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

# port_free HOST PORT: true when nothing listens there.
port_free() { ! (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

random_secret() { head -c 24 /dev/urandom | base64 | tr -d '/+=' | head -c 24; }
