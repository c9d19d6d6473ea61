# Shared settings for tools/services/*.sh (sourced). Ports are deliberately non-default so the
# local stack never collides with servers already on the machine.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL="${LOCAL:-$ROOT/.local}"
PG_PORT="${PG_PORT:-15432}"
PGB_PORT="${PGB_PORT:-16432}"
# The test tiers' own PgBouncer: their clients must not count against the stack's budget.
PGB_TEST_PORT="${PGB_TEST_PORT:-16433}"
REDIS_PORT="${REDIS_PORT:-16379}"
PROM_PORT="${PROM_PORT:-19090}"
MATCHER_PORT="${MATCHER_PORT:-18080}"
PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
# Development credentials for the local stack only (never used outside 127.0.0.1).
APP_USER=plimsoll
APP_PASSWORD=plimsoll-dev
ADMIN_USER=pgbouncer_admin
ADMIN_PASSWORD=pgbouncer-admin-dev
REDIS_DIR="$LOCAL/redis"
PROM_DIR="$LOCAL/prometheus"

# PostgreSQL and PgBouncer refuse to run as root: as root they run as the `postgres` system user
# (created by the Debian package), and their state must be reachable by that user.
if [[ $EUID -eq 0 ]]; then
  DB_OS_USER=postgres
  as_db_user() { runuser -u postgres -- "$@"; }
else
  DB_OS_USER="$(id -un)"
  as_db_user() { "$@"; }
fi

# Where PostgreSQL/PgBouncer state lives: .local/postgres, or — when the checkout's path is not
# traversable by the postgres user (e.g. a clone under a 0700 home) — a directory under /var/tmp
# keyed by the checkout path, linked from .local/postgres.
db_state_dir() {
  local link="$LOCAL/postgres"
  if [[ -L "$link" ]]; then readlink -f "$link"; return; fi
  echo "$link"
}

log() { printf '\033[1m[services]\033[0m %s\n' "$*"; }

# terminate NAME PID: SIGTERM, up to 10 s to exit, then SIGKILL (down.sh, pgbouncer.sh stop).
terminate() {
  local name=$1 pid=$2
  log "stopping $name (pid $pid)"
  kill -TERM "$pid"
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" || true
}
