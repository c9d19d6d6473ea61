# Plimsoll against its peers on the real stack (docs/compare.md): the same closed-loop scenario
# against Plimsoll, the KEDA peer (loadtests/peers/keda) and a static fleet (loadtests/peers/static),
# one after another from the same clean state, then one report side by side. A benchmark, not a
# test: it takes three scenario runs (peak at the default time scale 0.125: about 20 minutes).
# Included by the main Makefile, which defines LOCAL.
.PHONY: compare

CONTENDERS ?= plimsoll,keda,static
COMPARE_TIME_SCALE ?= 0.125

compare: deps ## Plimsoll vs the KEDA peer vs a static fleet: make compare SCENARIO=peak [COMPARE_TIME_SCALE=0.125] [CONTENDERS=plimsoll,keda,static]
	@curl -fsS -m 5 -o /dev/null $(TARGET)/healthz || { echo "make compare: the matcher at $(TARGET) does not answer: run make up (and make keda) first" >&2; exit 1; }
	@[ -f $(LOCAL)/stack/policy.yaml ] || { echo "make compare: $(LOCAL)/stack/policy.yaml is missing: run make up first" >&2; exit 1; }
	node --import tsx loadtests/compare/cli.ts $(SCENARIO) --time-scale $(COMPARE_TIME_SCALE) --contenders $(CONTENDERS) --policy $(LOCAL)/stack/policy.yaml --kubeconfig $(LOCAL)/kubeconfig --keys $(LOCAL)/seed-keys.json
