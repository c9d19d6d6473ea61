# shellcheck shell=bash
# Sourced by the scripts that build a tool from Go modules in a detached worker (tools/cluster/build.sh,
# tools/helm/install.sh, tools/keda/build.sh): the worker appends to a log whose last line says how
# it ended (`BUILD OK …` or `BUILD FAILED …`), optionally with `--- step` lines; the caller follows it.

# worker_running PID_FILE MARKER: the process PID_FILE names is alive and its command line
# contains MARKER (a pid recycled by another program is not mistaken for the worker).
worker_running() {
  local pid; pid="$(cat "$1" 2>/dev/null || true)"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF "$2"
}

# start_build_worker PID_FILE LOCK_FILE LOG_FILE NICENESS SCRIPT: unless a worker of SCRIPT runs,
# starts `bash SCRIPT --worker` detached (setsid nohup, so no shell or make time limit kills it
# half way) at NICENESS, its output replacing LOG_FILE. Returns 0 when it started one, 1 when one
# was already running. The lock guards only "is one running, else start one": two callers never
# start two builds.
start_build_worker() {
  local pid_file=$1 lock_file=$2 log_file=$3 niceness=$4 script=$5 started=1
  exec 9>"$lock_file"
  flock 9
  if ! worker_running "$pid_file" "$script"; then
    : > "$log_file"
    setsid nohup nice -n "$niceness" bash "$script" --worker >> "$log_file" 2>&1 < /dev/null 9>&- &
    echo $! > "$pid_file"
    started=0
  fi
  flock -u 9
  exec 9>&-
  return $started
}

# follow_build LOG LABEL BEAT_SECONDS RUNNING_CMD...
# Prints each `--- step` line as it appears and, every BEAT_SECONDS, how long the build has run and
# how many packages it compiled. Returns 0 once the log says BUILD OK; on BUILD FAILED, or when
# RUNNING_CMD says the worker is gone without an OK, prints the log's tail and returns 1.
follow_build() {
  local log_file=$1 label=$2 beat=$3; shift 3
  local started last_beat now seen=0 i
  local -a lines
  started=$(date +%s); last_beat=$started
  while :; do
    mapfile -t lines < <(grep -E '^--- ' "$log_file" || true)
    for ((i = seen; i < ${#lines[@]}; i++)); do printf '==> %s\n' "${lines[$i]#--- }"; done
    seen=${#lines[@]}
    grep -q '^BUILD OK' "$log_file" && return 0
    if grep -q '^BUILD FAILED' "$log_file" || ! "$@"; then
      sleep 1
      grep -q '^BUILD OK' "$log_file" && return 0   # it ended just now
      tail -n 30 "$log_file" >&2
      return 1
    fi
    now=$(date +%s)
    if (( now - last_beat >= beat )); then
      printf '==>   ... still building %s (%d s, %d packages compiled so far)\n' "$label" "$(( now - started ))" \
        "$(grep -cvE '^(--- |BUILD |build of|go: )' "$log_file")"
      last_beat=$now
    fi
    sleep 3
  done
}
