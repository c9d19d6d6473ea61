#!/usr/bin/env bash
# Migrate the matcher's database and seed it once: realistic resumes and job descriptions for
# three sample tenants, their API keys in .local/seed-keys.json. A second run finds the seeded
# tenants of that file in the database and does nothing; when the file was lost (the keys are
# stored only as hashes), the old sample tenants are deleted and seeded again, never duplicated.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
KEYS="$LOCAL/seed-keys.json"
psql_app() { PGPASSWORD="$APP_PASSWORD" psql -h 127.0.0.1 -p "$PG_PORT" -U "$APP_USER" -d plimsoll -v ON_ERROR_STOP=1 -qAt "$@"; }

node "$MATCHER_BIN" migrate up | sed 's/^/        /'

if [[ -s "$KEYS" ]]; then
  ids="$(jq -r '[.tenants[].tenantId] | map("'"'"'" + . + "'"'"'") | join(",")' "$KEYS")"
  wanted="$(jq '.tenants | length' "$KEYS")"
  if [[ "$wanted" -gt 0 && "$(psql_app -c "SELECT count(*) FROM tenants WHERE id IN ($ids)")" == "$wanted" ]]; then
    info "seed data present: $wanted tenants, $(psql_app -c 'SELECT count(*) FROM resumes') resumes, $(psql_app -c 'SELECT count(*) FROM job_descriptions') jobs (keys in ${KEYS#"$ROOT/"})"
    exit 0
  fi
fi
stale="$(psql_app -c "DELETE FROM tenants WHERE name LIKE 'Sample tenant % (seed %)' RETURNING id" | wc -l)"
[[ "$stale" -gt 0 ]] && info "deleted $stale sample tenants whose API keys were lost"
node "$MATCHER_DEV_BIN" seed --out "$KEYS" | sed -e 's/API key plm_[A-Za-z0-9]*_[A-Za-z0-9_-]*/API key in seed-keys.json/' -e 's/^/        /'
