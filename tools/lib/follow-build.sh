# shellcheck shell=bash
# Sourced by the scripts that build a tool from Go modules in a detached worker (tools/cluster/build.sh,
# tools/helm/install.sh): the worker appends to a log whose last line says how it ended
# (`BUILD OK …` or `BUILD FAILED …`), optionally with `--- step` lines; the caller follows it.

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
        "$(grep -cvE '^(--- |BUILD |build of)' "$log_file")"
      last_beat=$now
    fi
    sleep 3
  done
}
