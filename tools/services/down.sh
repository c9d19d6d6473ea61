#!/usr/bin/env bash
# Stop what tools/services/up.sh started (and only that: found by the pid files under .local/).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

stop_pidfile() {
  local name=$1 pidfile=$2 pid
  pid="$(cat "$pidfile" 2>/dev/null || true)"
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    terminate "$name" "$pid"
  else
    log "$name is not running"
  fi
  rm -f "$pidfile"
}

stop_pidfile Prometheus "$PROM_DIR/prometheus.pid"
stop_pidfile Redis "$REDIS_DIR/redis.pid"
if [[ -e "$LOCAL/postgres" ]]; then
  PGSTATE="$(db_state_dir)"
  stop_pidfile PgBouncer "$PGSTATE/pgbouncer/pgbouncer.pid"
  stop_pidfile "PgBouncer (tests)" "$PGSTATE/pgbouncer-tests/pgbouncer.pid"
  if [[ -f "$PGSTATE/data/PG_VERSION" ]] && as_db_user "$PG_BIN/pg_ctl" -D "$PGSTATE/data" status >/dev/null 2>&1; then
    log "stopping PostgreSQL"
    as_db_user "$PG_BIN/pg_ctl" -D "$PGSTATE/data" -m fast -w stop >/dev/null
  else
    log "PostgreSQL is not running"
  fi
fi
log "services stopped (state kept in $LOCAL; delete it for a clean slate)"
