# shellcheck shell=bash disable=SC2034 # variables are used by the scripts that source this file
# Shared settings for tools/keda/*.sh (sourced, not run): KEDA on the local cluster (docs/keda.md).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL="${LOCAL:-$ROOT/.local}"
BIN="$LOCAL/bin"
LOGS="$LOCAL/logs"
RUN="$LOCAL/run"                    # pid files
PKI="$LOCAL/pki"                    # the cluster's certificates (tools/cluster/pki.sh)
KEDA_STATE="$LOCAL/keda"            # KEDA's certificates, its ServiceAccount kubeconfigs
KEDA_MODULE="$ROOT/tools/keda"
ADMIN_KUBECONFIG="$LOCAL/kubeconfig"
APISERVER_PORT="${APISERVER_PORT:-16443}"
PROM_PORT="${PROM_PORT:-19090}"
export GOTOOLCHAIN=local    # the machine's Go (1.26); KEDA asks for 1.25.5

# Measured on this machine (docs/keda.md); only for the message a cold build prints.
KEDA_COLD_BUILD="15 min"

# The pod network (tools/stack/pod-network.sh): KEDA's two processes are pods, so they run inside
# the network namespace and hold pod IPs there. kwok hands pod IPs out of 10.244.0.0/16 from the
# bottom up (10.244.0.1, .2, ...), one per pod ever running at once; the top /24 is far beyond any
# fleet this machine runs (65 000 pods), so KEDA's fixed addresses never collide with a kwok pod.
POD_NETNS="${POD_NETNS:-plimsoll-pods}"
KEDA_NAMESPACE="${KEDA_NAMESPACE:-keda}"
KEDA_OPERATOR_IP="${KEDA_OPERATOR_IP:-10.244.255.10}"
KEDA_ADAPTER_IP="${KEDA_ADAPTER_IP:-10.244.255.11}"
KEDA_GRPC_PORT=9666                 # the operator's metrics service (gRPC), KEDA's default
KEDA_ADAPTER_PORT=6443              # the metrics API server (the APIService's target), as KEDA's chart
KEDA_OPERATOR_METRICS_PORT=8080     # Prometheus /metrics of the operator, KEDA's default
KEDA_OPERATOR_HEALTH_PORT=8081      # /healthz and /readyz of the operator, KEDA's default
# Prometheus /metrics of the adapter. KEDA's code binds it on every address (it takes a port, not
# an address), and the pods share one network namespace here: so not KEDA's 8080, which every
# matcher pod binds on its own IP.
KEDA_ADAPTER_METRICS_PORT=9022

mkdir -p "$BIN" "$LOGS" "$RUN"

log() { printf '\033[1m[keda]\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m[keda] error:\033[0m %s\n' "$*" >&2; exit 1; }

# The KEDA release tools/keda/go.mod requires.
keda_version() {
  sed -n 's/^\s*github\.com\/kedacore\/keda\/v2 \(v[0-9.]*\).*$/\1/p' "$KEDA_MODULE/go.mod" | head -1
}

# The directory of KEDA's module in the module cache (its CRDs are under config/crd/bases).
keda_module_dir() {
  (cd "$KEDA_MODULE" && go mod download -json "github.com/kedacore/keda/v2@$(keda_version)" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')
}

KUBECTL_BIN="$( [[ -x "$BIN/kubectl" ]] && echo "$BIN/kubectl" || command -v kubectl || true )"
kubectl() { "$KUBECTL_BIN" --kubeconfig "$ADMIN_KUBECONFIG" "$@"; }
