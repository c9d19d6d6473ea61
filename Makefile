# Plimsoll — every entry point a user or CI needs. `make help` lists them.
# Each part of the local stack keeps its targets in mk/<part>.mk; they add their test tiers to
# TEST_TIERS and their start-up steps to UP_STEPS, so `make test` and `make up` grow with them.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# A test that hangs fails after 15 minutes instead of holding CI until its deadline.
NODE_TEST := node --import tsx --test --test-reporter=spec --test-concurrency=2 --test-timeout=900000
PLIMSOLL := node --import tsx src/plimsoll/cli/bin.ts
# The governed service's executables: the matcher (serve, migrate) and its test and demo tools.
MATCHER := node --import tsx src/matcher/cli/bin.ts
MATCHER_DEV := node --import tsx src/matcher/dev/bin.ts
LOCAL := $(CURDIR)/.local

TEST_TIERS := test-unit
# Started before lint: background work (a build at nice 19) that the tiers later wait for.
TEST_FIRST :=
UP_STEPS :=
# Stopped before DOWN_STEPS: what runs on top of the services and the cluster.
DOWN_FIRST :=
DOWN_STEPS :=

-include mk/*.mk

.PHONY: help deps build lint typecheck crd crd-check test test-unit up down bench bench-simulate simulate-demo bench-analysis bench-operator

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | sort | column -t -s "$$(printf '\t')"

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps: node_modules/.installed ## install the Node.js dependencies (npm ci)

build: deps ## compile TypeScript into dist/
	npx tsc -p tsconfig.build.json

lint: deps ## eslint over the whole tree
	npx eslint .

typecheck: deps ## tsc --noEmit over sources, tests and tools
	npx tsc -p tsconfig.json --noEmit

crd: deps ## regenerate crds/ (and the Helm chart's copy) from the ScalingPolicy schema
	$(PLIMSOLL) crd --out crds/
	$(PLIMSOLL) crd --out charts/plimsoll/crds/

test-unit: deps ## pure tests: API schema, engine, simulator, CLI
	$(NODE_TEST) $$(find test/unit -name '*.test.ts' | sort)

test: deps $(TEST_FIRST) lint typecheck $(TEST_TIERS) ## everything CI runs: lint, types and every test tier

simulate-demo: deps ## run the burst scenario in the simulator and write its chart
	$(PLIMSOLL) simulate loadtests/scenarios/burst.yaml --out out/burst
	@echo "Open out/burst/chart.svg in a browser; the timeline is out/burst/timeline.csv."

up: deps $(UP_STEPS) ## the whole product on this machine (idempotent); `make status` prints what runs where

# Two passes, so the stack's processes stop (and drain) before the services and the cluster do.
down: ## stop everything make up started
	@$(MAKE) --no-print-directory $(DOWN_FIRST)
	@$(MAKE) --no-print-directory $(DOWN_STEPS)
	@echo "Everything make up started is stopped."

bench: deps ## benchmarks: one engine decision, one simulated hour
	node --import tsx loadtests/bench-engine.ts

bench-simulate: deps ## Plimsoll vs KEDA, HPA and static on every scenario, and the KEDA threshold sweep (out/bench-simulate/)
	node --import tsx loadtests/bench-simulate.ts

bench-analysis: deps ## the local matcher on adversarial 100 KB documents (ms each, next to ordinary ones)
	node --import tsx loadtests/bench-analysis.ts

bench-cpu-quota: deps services ## two matchers held to 100m CPU (private cgroups, needs root): lag, CPU per thread, throttling; quota admission off vs on
	nice node --import tsx loadtests/bench-cpu-quota.ts

# The operator at scale (issue 17, docs/bench-operator.md). Shorter, without KEDA:
# make bench-operator BENCH_OPERATOR_ARGS="--policies 500 --steady-minutes 10"
BENCH_OPERATOR_ARGS ?= --policies 500 --steady-minutes 30 --changing 50 --keda
bench-operator: deps cluster services ## 500 policies on kwok Deployments, real Prometheus: RSS, CPU, API and query rates, change latency; KEDA beside it (out/bench-operator/)
	nice node --import tsx loadtests/bench-operator/cli.ts $(BENCH_OPERATOR_ARGS)
