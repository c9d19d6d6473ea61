# The closed loop under load (docs/load-tests.md): autocannon drives a scenario's closed-loop
# users against the running stack, applies its faults, reads the timeline from Prometheus and
# compares it with the simulator's prediction for the same (scaled) scenario.
# Included by the main Makefile, which defines NODE_TEST and LOCAL.
.PHONY: load chromium test-load

SCENARIO ?= burst
TIME_SCALE ?= 1
TARGET ?= http://127.0.0.1:18080
PROMETHEUS_URL ?= http://127.0.0.1:19090
LOAD_ARGS ?=
# The policy the stack applied (tools/stack/kube-apply.sh: the example sized for its pods), so the
# simulator's prediction runs the same policy as the operator.
POLICY ?= $(wildcard $(LOCAL)/stack/policy.yaml)

load: deps ## load test against the running stack: make load SCENARIO=burst [TIME_SCALE=0.25] [TARGET=URL] [LOAD_ARGS=…]
	@curl -fsS -m 5 -o /dev/null $(TARGET)/healthz || { echo "make load: the matcher at $(TARGET) does not answer /healthz: run make up first (or set TARGET=URL)" >&2; exit 1; }
	@curl -fsS -m 5 -o /dev/null $(PROMETHEUS_URL)/-/ready || { echo "make load: Prometheus at $(PROMETHEUS_URL) is not ready: run make up first (or set PROMETHEUS_URL=URL)" >&2; exit 1; }
	node --import tsx loadtests/load/cli.ts $(SCENARIO) --time-scale $(TIME_SCALE) --target $(TARGET) --prometheus $(PROMETHEUS_URL) --keys $(LOCAL)/seed-keys.json $(if $(POLICY),--policy $(POLICY)) $(LOAD_ARGS)

# Debian's chromium, for the report page's headless-browser test (installed once, like the services).
chromium: ## install Debian's chromium when missing (the report page test opens report.html in it)
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing chromium (apt-get)…"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null; }

test-load: deps services chromium ## load runner tests: pure parts, a 24 s real run against a real matcher, the report in headless Chromium
	$(NODE_TEST) $$(find test/load -name '*.test.ts' | sort)

TEST_TIERS += test-load
