#!/usr/bin/env bash
# The clean state every `make compare` run starts from, so the contenders differ only in who
# governs the matcher: no analysis stored (the seeded tenants, resumes and jobs stay), no key of
# the matcher's in Redis (queues, cached answers, tenant rate limits: the caches are cold), and
# the fake providers' counters at zero. Run while the matcher has no replica, so nothing writes
# back in between.
set -euo pipefail
source "$(dirname "$0")/../../tools/stack/lib.sh"
PREFIX="${MATCHER_QUEUE_PREFIX:-plimsoll}"

deleted="$(PGPASSWORD="$APP_PASSWORD" psql -h 127.0.0.1 -p "$PG_PORT" -U "$APP_USER" -d plimsoll -v ON_ERROR_STOP=1 -qAt \
  -c 'WITH gone AS (DELETE FROM analysis_results RETURNING 1) SELECT count(*) FROM gone')"
# Listed, then removed in batches: one round trip per 500 keys, not per key.
mapfile -t keys < <(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" --scan --pattern "$PREFIX:*")
if ((${#keys[@]})); then
  printf '%s\n' "${keys[@]}" | xargs -d '\n' -n 500 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" UNLINK > /dev/null
fi
for provider in "${PROVIDERS[@]}"; do
  IFS=: read -r name port _ <<< "$provider"
  curl -fsS -m 5 -X POST -H 'content-type: application/json' -d '{"mode":"normal"}' "http://127.0.0.1:$port/admin/mode" > /dev/null \
    || die "the fake provider $name (:$port) does not answer: run make up"
  curl -fsS -m 5 -X POST "http://127.0.0.1:$port/admin/reset" > /dev/null
done
info "clean state: $deleted stored analyses deleted, ${#keys[@]} Redis keys under $PREFIX: removed, ${#PROVIDERS[@]} providers reset"
