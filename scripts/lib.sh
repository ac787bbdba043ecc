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

# watch_parent PARENT_PID SERVER_PID: stops the server when the process that asked for it dies,
# so a crashed test run never leaves servers behind.
watch_parent() {
  local parent=$1 server=$2
  [ -n "$parent" ] || return 0
  setsid bash -c "while kill -0 $parent 2>/dev/null && kill -0 $server 2>/dev/null; do sleep 1; done
                  kill $server 2>/dev/null; sleep 5; kill -9 $server 2>/dev/null" </dev/null >/dev/null 2>&1 &
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
