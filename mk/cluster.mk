# The local Kubernetes control plane (docs/local-cluster.md): etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler built from Go modules (tools/kube-local) and kwok for
# fake nodes, all under .local/. With KUBECONFIG set, the cluster tests use that cluster instead.
.PHONY: cluster cluster-down cluster-build test-cluster

cluster-build: ## build the control-plane binaries into .local/bin (cached; cold: many minutes)
	@tools/cluster/build.sh

cluster: deps ## start (or reuse) the local Kubernetes cluster and its pod network namespace; writes .local/kubeconfig
	@tools/cluster/up.sh

cluster-down: ## stop the local cluster and remove its state (keeps the built binaries)
	@tools/cluster/down.sh

# The local cluster is started unless KUBECONFIG points at another one. The local services come
# up too: one test runs a real matcher (PostgreSQL, Redis) watching its runtime ConfigMap; helm
# renders the chart whose namespaced RBAC one test installs.
test-cluster: deps $(if $(filter-out $(LOCAL)/kubeconfig,$(KUBECONFIG)),,cluster) services helm ## tests against a real API server (local, or $KUBECONFIG)
	$(NODE_TEST) $$(find test/cluster -name '*.test.ts' | sort)

TEST_TIERS += test-cluster
UP_STEPS += cluster
DOWN_STEPS += cluster-down
