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

# wait_for_server SECONDS WHAT PID CMD...: like wait_until, for a server just started as PID: the bound only
# ends a start that never comes (a busy machine may take minutes), and a server that exits ends the wait at once.
wait_for_server() {
  local seconds=$1 what=$2 pid=$3; shift 3
  local deadline=$(( $(date +%s) + seconds ))
  until "$@" >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$(basename "$0"): $what (pid $pid) exited before it answered" >&2
      return 1
    fi
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
    alive "$2" "$3" && kill -9 "$2"' "$parent" "$parent_start" "$server" "$server_start" </dev/null >/dev/null 2>&1 9>&- &
}

# write_pidfile FILE PID: records a server just started, with its start time beside it (FILE.start), so
# that a later stop or "already running" never takes another process that reused the pid for it (pid_max
# may be 32768, and a test run starts many thousands of processes).
write_pidfile() {
  echo "$2" > "$1"
  start_time "$2" > "$1.start" || true   # one that already exited is reported by the wait that follows
}

# pidfile_running FILE: true when the process FILE names runs and is the one recorded there.
pidfile_running() {
  local file=$1 pid
  [ -f "$file" ] || return 1
  pid=$(cat "$file")
  kill -0 "$pid" 2>/dev/null || return 1
  [ ! -f "$file.start" ] || [ "$(start_time "$pid")" = "$(cat "$file.start")" ]
}

# stop_pidfile FILE: stops the process named in FILE (TERM, then KILL after 10 s), if it is still the one
# recorded there.
stop_pidfile() {
  local file=$1 pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  if pidfile_running "$file"; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do pidfile_running "$file" || break; sleep 0.2; done
    pidfile_running "$file" && kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$file" "$file.start"
}

# free_port: a TCP port nothing on 127.0.0.1 holds now (the kernel's pick for a socket bound to port 0).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# port_free HOST PORT: true when nothing listens there.
port_free() { ! (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

random_secret() { head -c 24 /dev/urandom | base64 | tr -d '/+=' | head -c 24; }
