# The matcher's faults under closed-loop load (issue 15), on a private PgBouncer and Redis.
# Included by the main Makefile. Restart counts default to the issue's: PGB=10 REDIS=10.
.PHONY: chaos-matcher
CHAOS_PGBOUNCER_RESTARTS ?= 10
CHAOS_REDIS_RESTARTS ?= 10

chaos-matcher: deps services ## faults under load: PgBouncer and Redis restarted, SIGTERM and kill -9 of replicas; figures in out/chaos-matcher/
	nice node --import tsx loadtests/chaos/chaos-matcher.ts --pgbouncer-restarts $(CHAOS_PGBOUNCER_RESTARTS) --redis-restarts $(CHAOS_REDIS_RESTARTS)
