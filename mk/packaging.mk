# Packaging: the Helm chart (charts/plimsoll), kustomize manifests (manifests/, crds/), the
# Dockerfiles (images/) and their test tier. Included by the main Makefile, which defines
# NODE_TEST, PLIMSOLL and LOCAL. docs/install.md tells a user how to install.
.PHONY: helm chart-lint chart-template test-packaging

HELM := $(LOCAL)/bin/helm

helm: ## install helm (pinned, built from Go modules) into .local/bin (cached)
	@tools/helm/install.sh

chart-lint: helm ## helm lint the chart, defaults and charts/plimsoll/ci/full-values.yaml
	$(HELM) lint --strict charts/plimsoll
	$(HELM) lint --strict charts/plimsoll --values charts/plimsoll/ci/full-values.yaml

chart-template: helm ## print the chart rendered with its defaults (VALUES=file to add a values file)
	$(HELM) template plimsoll charts/plimsoll --namespace plimsoll-system --include-crds $(if $(VALUES),--values $(VALUES))

# promtool (alert unit tests, dashboard queries) comes with Prometheus, which `services` installs.
test-packaging: deps $(if $(filter-out $(LOCAL)/kubeconfig,$(KUBECONFIG)),,cluster) services helm ## chart, manifests, alerts, dashboard, Dockerfiles: lint, dry-run, a real helm install
	$(NODE_TEST) $$(find test/packaging -name '*.test.ts' | sort)

TEST_TIERS += test-packaging
