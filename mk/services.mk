# The matcher's local services (PostgreSQL, PgBouncer, Redis, Prometheus) and its entry points.
# Included by the main Makefile, which defines NODE_TEST, MATCHER, MATCHER_DEV and LOCAL.
.PHONY: services services-down migrate seed matcher test-integration bench-matcher fake-provider bench-matcher-queues

services: ## start PostgreSQL :15432, PgBouncer :16432, Redis :16379, Prometheus :19090 (installs what is missing)
	bash tools/services/up.sh

services-down: ## stop the local services (state stays in .local/)
	bash tools/services/down.sh

migrate: deps services ## apply the matcher's database migrations
	$(MATCHER) migrate up

seed: deps migrate ## load sample tenants, resumes and jobs (API keys in .local/seed-keys.json)
	$(MATCHER_DEV) seed --out $(LOCAL)/seed-keys.json

# Prometheus finds it through a file_sd file that lives as long as the process.
matcher: deps migrate ## run the matcher HTTP API on 127.0.0.1:18080
	@echo '[{"targets":["127.0.0.1:18080"],"labels":{"app":"matcher"}}]' > $(LOCAL)/prometheus/targets/matcher-local.json
	trap 'rm -f $(LOCAL)/prometheus/targets/matcher-local.json' EXIT; $(MATCHER) serve

test-integration: deps services ## matcher tests against the real PostgreSQL/PgBouncer/Redis
	$(NODE_TEST) $$(find test/integration -name '*.test.ts' | sort)

bench-matcher: deps services ## autocannon: stored-analysis GET and analysing POST vs a bare Node server
	node --import tsx loadtests/bench-matcher.ts

fake-provider: deps ## run a simulated OpenAI-compatible AI provider on 127.0.0.1:18181 (see matcher-dev fake-provider --help)
	$(MATCHER_DEV) fake-provider

bench-matcher-queues: deps services ## runtime-change → level p50/p99, analyses/s by worker concurrency, heap per in-flight analysis
	node --expose-gc --import tsx loadtests/bench-matcher-queues.ts

UP_STEPS += services
DOWN_STEPS += services-down
TEST_TIERS += test-integration
