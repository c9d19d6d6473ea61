# The operator's faults under load (issue 14, docs/chaos.md): scale-in with slow termination, a
# rollout at the budget cap, policy re-creation, kill -9 of the leader, an apiserver restart and
# Prometheus stopped, each with PgBouncer's real client connections sampled every 200 ms against
# the budget. Needs `make up`; restarts the stack's apiserver and Prometheus and replaces its
# operator while it runs (about 25 minutes for every case). Included by the main Makefile.
.PHONY: chaos
CHAOS_ARGS ?=

chaos: deps ## operator chaos under load on the running stack: make chaos [CHAOS_ARGS='--cases leader-kill --kills 5']; report in out/chaos/
	@curl -fsS -m 5 -o /dev/null http://127.0.0.1:18080/healthz || { echo "make chaos: the matcher at :18080 does not answer: run make up first" >&2; exit 1; }
	@[ -f $(LOCAL)/stack/policy.yaml ] || { echo "make chaos: $(LOCAL)/stack/policy.yaml is missing: run make up first" >&2; exit 1; }
	node --import tsx loadtests/chaos-operator/cli.ts $(CHAOS_ARGS)
