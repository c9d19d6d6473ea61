# KEDA, the peer Plimsoll is measured against (docs/keda.md): its operator and metrics API server
# built from Go modules (tools/keda), run as two pods of the local cluster's pod network, with the
# external metrics API registered through the aggregation layer and the cluster's own HPA
# controller doing the scaling. Included by the main Makefile, which defines NODE_TEST and LOCAL.
#
# `make up` does not start KEDA: the demo is Plimsoll governing the matcher, and a ScaledObject
# and a ScalingPolicy must never govern the same Deployment. `make keda` starts it beside the stack.
.PHONY: keda-build keda-build-start keda keda-down test-keda

keda-build: ## build KEDA's operator and metrics API server into .local/bin (cached; cold: ~15 min, warm: ~2 min)
	@bash tools/keda/build.sh

keda: deps cluster services ## start KEDA on the local cluster: operator, metrics API server, APIService external.metrics.k8s.io
	@bash tools/keda/up.sh

keda-down: ## stop KEDA and unregister its APIService (CRDs, RBAC and ScaledObjects stay)
	@bash tools/keda/down.sh

# The smoke test starts KEDA when it is not running (and stops it again afterwards). With
# KUBECONFIG set, it uses the KEDA installed in that cluster, and skips when there is none.
test-keda: deps $(if $(filter-out $(LOCAL)/kubeconfig,$(KUBECONFIG)),,cluster services keda-build) ## KEDA smoke test: a ScaledObject scales the matcher through the real HPA controller
	$(NODE_TEST) $$(find test/keda -name '*.test.ts' | sort)

# `make test` starts KEDA's build first (TEST_FIRST, before lint), in the background at nice 19,
# so it takes only the CPU that lint, tsc, the unit tests and the control plane's build leave idle,
# and test-keda attaches to it: on a fresh machine part of the cold build (~15 min) overlaps them
# instead of adding to the total. A no-op once built.
keda-build-start:
	@bash tools/keda/build.sh --start

TEST_FIRST += keda-build-start
TEST_TIERS += test-keda
DOWN_FIRST += keda-down
