# The whole product on one machine (docs/local-stack.md): `make up` ends with stack-up — the
# database seeded, three fake AI providers, the CRD/RBAC/matcher/example policy applied, the
# operator with its own ServiceAccount, and the replica runner (a development harness) that
# turns the matcher Deployment's pods into real processes behind a load balancer on :18080.
# Included by the main Makefile, which defines NODE_TEST and LOCAL.
.PHONY: stack-up stack-down status test-stack bench-lb bench-capacity

stack-up: deps build cluster services ## make up's last step: seed, providers, Kubernetes objects, operator, replica runner
	@bash tools/stack/up.sh

stack-down: ## stop the replica runner (its replicas drain), the operator and the fake providers
	@bash tools/stack/down.sh

status: ## what the local stack runs, where, and the first commands to try
	@bash tools/stack/status.sh

# Real processes on real pod IPs in a namespace of their own; the demo in `default` is left alone.
test-stack: deps build cluster services ## replica runner and load balancer tests: real cluster, real matcher processes
	$(NODE_TEST) $$(find test/stack -name '*.test.ts' | sort)

bench-lb: deps build cluster services ## the load balancer's overhead: autocannon straight to a matcher vs through the balancer
	node --import tsx tools/stack/bench-lb.ts

UP_STEPS += stack-up
DOWN_FIRST += stack-down
TEST_TIERS += test-stack

bench-capacity: deps ## capacity calibration on the running stack (make up first): goodput at 1, 2, 4, 8 replicas held to their CPU limits
	node --import tsx loadtests/bench-capacity.ts $(BENCH_ARGS)
