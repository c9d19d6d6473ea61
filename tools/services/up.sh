#!/usr/bin/env bash
# Start the matcher's local services: PostgreSQL, PgBouncer, Redis, Prometheus.
# Idempotent: installs what is missing, reuses what already runs, never touches system services.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
mkdir -p "$LOCAL"

# --- packages -----------------------------------------------------------------------------
missing=()
for pkg in postgresql pgbouncer redis-server prometheus; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  SUDO=""; [[ $EUID -ne 0 ]] && SUDO=sudo
  $SUDO apt-get update -qq
  # policy-rc.d keeps the packages from starting their own system services on default ports.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
else
  log "packages present: postgresql pgbouncer redis-server prometheus"
fi

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {
  local port=$1 name=$2
  for _ in $(seq 1 100); do port_open "$port" && return 0; sleep 0.1; done
  log "ERROR: $name did not open port $port"; return 1
}

# --- PostgreSQL ---------------------------------------------------------------------------
if [[ ! -e "$LOCAL/postgres" ]]; then
  mkdir -p "$LOCAL/postgres"
  [[ $EUID -eq 0 ]] && chown "$DB_OS_USER": "$LOCAL/postgres"
  if ! as_db_user test -w "$LOCAL/postgres"; then
    alt="/var/tmp/plimsoll-$(printf '%s' "$ROOT" | sha256sum | cut -c1-12)/postgres"
    log "$LOCAL is not reachable by user $DB_OS_USER; keeping database state in $alt"
    rmdir "$LOCAL/postgres"; mkdir -p "$alt"; chown -R "$DB_OS_USER": "$(dirname "$alt")"
    ln -s "$alt" "$LOCAL/postgres"
  fi
fi
PGSTATE="$(db_state_dir)"
PGDATA="$PGSTATE/data"
PGSOCK="$PGSTATE/run"
PGB_DIR="$PGSTATE/pgbouncer"
mkdir -p "$PGSOCK" "$PGB_DIR"
[[ $EUID -eq 0 ]] && chown "$DB_OS_USER": "$PGSTATE" "$PGSOCK" "$PGB_DIR"

if [[ ! -f "$PGDATA/PG_VERSION" ]]; then
  log "initdb into $PGDATA"
  pwfile="$(mktemp)"; echo "postgres-dev" > "$pwfile"; chmod 644 "$pwfile"
  as_db_user "$PG_BIN/initdb" -D "$PGDATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  cat >> "$PGDATA/postgresql.conf" <<CONF
# --- plimsoll local stack ---
port = $PG_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PGSOCK'
max_connections = 100
shared_buffers = 128MB
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_duration_statement = 1000
CONF
fi
if as_db_user "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
  log "PostgreSQL already running on 127.0.0.1:$PG_PORT"
else
  log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
  as_db_user "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$PGSTATE/postgres.log" -w -t 60 start >/dev/null
fi
psql_admin() { as_db_user "$PG_BIN/psql" -h "$PGSOCK" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }
if [[ "$(psql_admin -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname = '$APP_USER'")" != 1 ]]; then
  log "creating role $APP_USER (CREATEDB: tests create their own databases)"
  psql_admin -d postgres -c "CREATE ROLE $APP_USER LOGIN CREATEDB PASSWORD '$APP_PASSWORD'"
fi
if [[ "$(psql_admin -d postgres -c "SELECT 1 FROM pg_database WHERE datname = 'plimsoll'")" != 1 ]]; then
  log "creating database plimsoll"
  psql_admin -d postgres -c "CREATE DATABASE plimsoll OWNER $APP_USER"
fi

# --- PgBouncer ---------------------------------------------------------------------------
# Two instances (tools/services/pgbouncer.sh, the template says why): the stack's, whose
# max_client_conn is the example policy's connection budget, and the tests' own.
bash "$ROOT/tools/services/pgbouncer.sh" ensure stack "$PGB_PORT" "$PGB_DIR"
bash "$ROOT/tools/services/pgbouncer.sh" ensure tests "$PGB_TEST_PORT" "$PGSTATE/pgbouncer-tests"

# --- Redis --------------------------------------------------------------------------------
mkdir -p "$REDIS_DIR"
redis_pid="$(cat "$REDIS_DIR/redis.pid" 2>/dev/null || true)"
if [[ -n "$redis_pid" ]] && kill -0 "$redis_pid" 2>/dev/null; then
  log "Redis already running on 127.0.0.1:$REDIS_PORT"
else
  # As production must run it (docs/matcher.md): the append-only file, so a restart keeps the
  # queued jobs (without it every accepted analysis waiting in a queue is lost), and noeviction,
  # so a full Redis refuses writes instead of silently dropping jobs and locks.
  log "starting Redis on 127.0.0.1:$REDIS_PORT (AOF, noeviction)"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --dir "$REDIS_DIR" \
    --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" --save '' \
    --appendonly yes --appendfsync everysec \
    --maxmemory 256mb --maxmemory-policy noeviction >/dev/null
  wait_port "$REDIS_PORT" Redis
fi

# --- Prometheus ---------------------------------------------------------------------------
mkdir -p "$PROM_DIR/data" "$PROM_DIR/targets"
sed -e "s|@PROM_DIR@|$PROM_DIR|g" -e "s|@PROM_PORT@|$PROM_PORT|g" -e "s|@MATCHER_PORT@|$MATCHER_PORT|g" \
  "$ROOT/tools/services/prometheus.yml.template" > "$PROM_DIR/prometheus.yml"
prom_pid="$(cat "$PROM_DIR/prometheus.pid" 2>/dev/null || true)"
if [[ -n "$prom_pid" ]] && kill -0 "$prom_pid" 2>/dev/null; then
  log "Prometheus already running on 127.0.0.1:$PROM_PORT (reloading its configuration)"
  kill -HUP "$prom_pid"
else
  log "starting Prometheus on 127.0.0.1:$PROM_PORT"
  nohup setsid prometheus --config.file="$PROM_DIR/prometheus.yml" --storage.tsdb.path="$PROM_DIR/data" \
    --storage.tsdb.retention.time=2d --web.listen-address="127.0.0.1:$PROM_PORT" --web.enable-lifecycle \
    >"$PROM_DIR/prometheus.log" 2>&1 < /dev/null &
  echo $! > "$PROM_DIR/prometheus.pid"
  wait_port "$PROM_PORT" Prometheus
fi

log "ready: postgres 127.0.0.1:$PG_PORT, pgbouncer 127.0.0.1:$PGB_PORT (tests :$PGB_TEST_PORT), redis 127.0.0.1:$REDIS_PORT, prometheus http://127.0.0.1:$PROM_PORT"
