#!/usr/bin/env bash
# One PgBouncer instance of the local stack, from tools/services/pgbouncer.ini.template:
#   pgbouncer.sh ensure stack|tests PORT DIR   render the configuration into DIR; start the
#                                              instance, or reload it when the rendering changed
#   pgbouncer.sh stop DIR                      stop the instance whose pid file is in DIR
# up.sh ensures two: `stack` (the demo's database; max_client_conn = the example policy's
# connection budget) and `tests` (the test tiers' databases; the seeds' 1000). Idempotent: an
# unchanged configuration is left alone; a changed one is reloaded and read back from the admin
# console, and an instance that cannot take it by reload (a listen port, say) is restarted.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
POLICY="$ROOT/examples/matcher.yaml"

die() { log "ERROR: $*"; exit 1; }
usage() { die "usage: pgbouncer.sh ensure stack|tests PORT DIR | pgbouncer.sh stop DIR"; }

# connectionBudget.maxConnections of the example policy: the stack's client-connection ceiling.
policy_budget() {
  local value
  value="$(awk '/^  connectionBudget:/ { inside = 1; next }
                inside && /^  [^ ]/ { exit }
                inside && $1 == "maxConnections:" { print $2; exit }' "$POLICY")"
  [[ "$value" =~ ^[1-9][0-9]*$ ]] || die "cannot read spec.connectionBudget.maxConnections (a positive integer) from $POLICY: got '${value}'"
  echo "$value"
}

render() {
  local role=$1 port=$2 dir=$3 max stack_only tests_only
  case "$role" in
    stack) max="$(policy_budget)"; stack_only=""; tests_only="; (the tests' instance only) " ;;
    tests) max=1000; stack_only="; (the stack's instance only) "; tests_only="" ;;
    *) usage ;;
  esac
  sed -e "s|@PG_PORT@|$PG_PORT|g" -e "s|@PGB_PORT@|$port|g" -e "s|@PGB_DIR@|$dir|g" \
    -e "s|@MAX_CLIENT_CONN@|$max|g" -e "s|@STACK_ONLY@|$stack_only|g" -e "s|@TESTS_ONLY@|$tests_only|g" \
    "$ROOT/tools/services/pgbouncer.ini.template"
}

admin_config() { # port key → the running value, as SHOW CONFIG reports it
  PGPASSWORD="$ADMIN_PASSWORD" psql -h 127.0.0.1 -p "$1" -U "$ADMIN_USER" -d pgbouncer -qAt -c 'SHOW CONFIG' 2>/dev/null \
    | awk -F'|' -v key="$2" '$1 == key { print $2 }'
}

# The rendered file's max_client_conn and listen_port are what the running instance must show.
applied() {
  local port=$1 dir=$2
  [[ "$(admin_config "$port" listen_port)" == "$port" && "$(admin_config "$port" max_client_conn)" == "$(admin_max "$dir")" ]]
}

# The [databases] entries in force (comments and blank lines aside).
databases_of() { awk '/^\[databases\]/ { on = 1; next } /^\[/ { on = 0 } on && NF && !/^[;#]/' "$1"; }

admin_max() { awk -F' = ' '$1 == "max_client_conn" { print $2 }' "$1/pgbouncer.ini"; }

# The instance's pid while it runs; a stale pid file whose number now names another process is not it.
running_pid() {
  local pid
  pid="$(cat "$1/pgbouncer.pid" 2>/dev/null || true)"
  [[ -n "$pid" && "$(cat "/proc/$pid/comm" 2>/dev/null)" == pgbouncer ]] && echo "$pid"
}

stop() {
  local dir=$1 pid
  if pid="$(running_pid "$dir")"; then
    terminate "PgBouncer ($dir)" "$pid"
  else
    log "PgBouncer ($dir) is not running"
  fi
  rm -f "$dir/pgbouncer.pid"
}

start() {
  local role=$1 port=$2 dir=$3
  log "starting PgBouncer ($role) on 127.0.0.1:$port (transaction pooling, max_client_conn $(admin_max "$dir"))"
  as_db_user pgbouncer -d -q "$dir/pgbouncer.ini"
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0; sleep 0.1; done
  die "PgBouncer ($role) did not open port $port; see $dir/pgbouncer.log"
}
ensure() {
  local role=$1 port=$2 dir=$3 pid
  [[ "$port" =~ ^[0-9]+$ && -n "$dir" ]] || usage
  mkdir -p "$dir"
  [[ $EUID -eq 0 ]] && chown "$DB_OS_USER": "$dir"
  render "$role" "$port" "$dir" > "$dir/pgbouncer.ini.new"
  printf '"%s" "%s"\n"%s" "%s"\n' "$APP_USER" "$APP_PASSWORD" "$ADMIN_USER" "$ADMIN_PASSWORD" > "$dir/userlist.txt"
  [[ $EUID -eq 0 ]] && chown "$DB_OS_USER": "$dir/userlist.txt" "$dir/pgbouncer.ini.new"
  chmod 600 "$dir/userlist.txt"
  if ! pid="$(running_pid "$dir")"; then
    mv "$dir/pgbouncer.ini.new" "$dir/pgbouncer.ini"
    start "$role" "$port" "$dir"
    return
  fi
  if cmp -s "$dir/pgbouncer.ini.new" "$dir/pgbouncer.ini" && applied "$port" "$dir"; then
    rm -f "$dir/pgbouncer.ini.new"
    log "PgBouncer ($role) already running on 127.0.0.1:$port, configuration unchanged (max_client_conn $(admin_max "$dir"))"
    return
  fi
  # PgBouncer 1.18's reload keeps databases dropped from the file (the `*` fallback included):
  # a changed database list needs a restart, whose clients reconnect.
  if [[ "$(databases_of "$dir/pgbouncer.ini.new")" != "$(databases_of "$dir/pgbouncer.ini")" ]]; then
    mv "$dir/pgbouncer.ini.new" "$dir/pgbouncer.ini"
    log "PgBouncer ($role) on 127.0.0.1:$port: its databases changed, restarting it"
    stop "$dir"
    start "$role" "$port" "$dir"
    return
  fi
  mv "$dir/pgbouncer.ini.new" "$dir/pgbouncer.ini"
  log "PgBouncer ($role) on 127.0.0.1:$port: configuration changed, reloading (max_client_conn $(admin_max "$dir"))"
  kill -HUP "$pid"
  # SIGHUP is handled by PgBouncer's event loop: read the settings back until they show.
  for _ in $(seq 1 50); do applied "$port" "$dir" && return 0; sleep 0.1; done
  log "PgBouncer ($role) did not take the new configuration by reload: restarting it"
  stop "$dir"
  start "$role" "$port" "$dir"
  applied "$port" "$dir" || die "PgBouncer ($role) on :$port does not show the configuration of $dir/pgbouncer.ini"
}

case "${1:-}" in
  ensure) [[ $# -eq 4 ]] || usage; ensure "$2" "$3" "$4" ;;
  stop) [[ $# -eq 2 ]] || usage; stop "$2" ;;
  *) usage ;;
esac
