# The Plimsoll operator: run it locally, and its test tier against the real API server and
# Prometheus. Included by the main Makefile, which defines NODE_TEST, PLIMSOLL and LOCAL.
.PHONY: operator test-operator

operator: deps cluster ## run the operator against .local/kubeconfig (all namespaces, leader election on)
	KUBECONFIG=$${KUBECONFIG:-$(LOCAL)/kubeconfig} LEADER_ELECTION_NAMESPACE=$${LEADER_ELECTION_NAMESPACE:-default} $(PLIMSOLL) operator

test-operator: deps cluster services ## operator tests: real kube-apiserver, real Prometheus, operator RBAC
	$(NODE_TEST) $$(find test/operator -name '*.test.ts' | sort)

TEST_TIERS += test-operator
