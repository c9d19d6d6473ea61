# shellcheck shell=bash disable=SC2034 # variables are used by the scripts that source this file
# Shared settings for tools/cluster/*.sh (sourced, not run). Everything lives under .local/.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL="${LOCAL:-$ROOT/.local}"
BIN="$LOCAL/bin"
LOGS="$LOCAL/logs"
RUN="$LOCAL/run"                 # pid files
PKI="$LOCAL/pki"
ETCD_DATA="$LOCAL/etcd"
KWOK_DIR="$LOCAL/kwok"
KUBECONFIG_OUT="$LOCAL/kubeconfig"
KUBE_LOCAL="$ROOT/tools/kube-local"

ETCD_CLIENT_PORT="${ETCD_CLIENT_PORT:-12379}"
ETCD_PEER_PORT="${ETCD_PEER_PORT:-12380}"
APISERVER_PORT="${APISERVER_PORT:-16443}"
KCM_PORT="${KCM_PORT:-16257}"          # kube-controller-manager secure port (default 10257)
SCHEDULER_PORT="${SCHEDULER_PORT:-16259}"  # kube-scheduler secure port (default 10259)
KWOK_PORT="${KWOK_PORT:-16247}"        # kwok's metrics/health server
SERVICE_CIDR="10.96.0.0/16"       # virtual: nothing is routed, only allocated by the apiserver
CLUSTER_CIDR="10.244.0.0/16"
NODE_COUNT="${NODE_COUNT:-3}"

KWOK_VERSION="v0.7.0"
export GOTOOLCHAIN=local

mkdir -p "$BIN" "$LOGS" "$RUN"

log() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The Kubernetes release this module is pinned to (tools/kube-local/pin-kubernetes.sh).
kube_version() {
  sed -n 's/^\s*k8s\.io\/kubernetes \(v[0-9.]*\)\s*$/\1/p' "$KUBE_LOCAL/go.mod" | head -1
}

# pid-file helpers: a component runs if its pid file names a live process.
pid_of() { local f="$RUN/$1.pid"; [[ -f "$f" ]] && cat "$f" || true; }
# The process must also be one of ours (its command line names this checkout or .local), so a pid reused
# after a reboot is not mistaken for a running component.
is_running() {
  local pid; pid="$(pid_of "$1")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null &&
    tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -e "$ROOT/" -e "$LOCAL/"
}

# kubectl to use: the machine's if within the supported skew (±1 minor) of the server, else ours.
kubectl_bin() {
  if [[ -x "$BIN/kubectl" ]]; then echo "$BIN/kubectl"; return; fi
  command -v kubectl
}
kubectl_in_skew() {
  local k minor server_minor
  k="$(command -v kubectl)" || return 1
  minor="$("$k" version --client -o json 2>/dev/null | sed -n 's/^\s*"minor": "\([0-9]*\).*/\1/p' | head -1)"
  server_minor="$(kube_version | cut -d. -f2)"
  [[ -n "$minor" ]] && (( minor >= server_minor - 1 && minor <= server_minor + 1 ))
}

# The kube-apiserver flags, shared by up.sh and apiserver-replica.sh (a second apiserver on the
# same etcd, which tests restart without disturbing the main one). No flag contains a space.
apiserver_args() {
  local port="$1"
  echo --etcd-servers="http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --bind-address=127.0.0.1 \
    --advertise-address=127.0.0.1 \
    --secure-port="$port" \
    --tls-cert-file="$PKI/apiserver.crt" \
    --tls-private-key-file="$PKI/apiserver.key" \
    --client-ca-file="$PKI/ca.crt" \
    --service-account-key-file="$PKI/sa.pub" \
    --service-account-signing-key-file="$PKI/sa.key" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --authorization-mode=Node,RBAC \
    --requestheader-client-ca-file="$PKI/front-proxy-ca.crt" \
    --requestheader-allowed-names=front-proxy-client \
    --requestheader-username-headers=X-Remote-User \
    --requestheader-group-headers=X-Remote-Group \
    --requestheader-extra-headers-prefix=X-Remote-Extra- \
    --proxy-client-cert-file="$PKI/front-proxy-client.crt" \
    --proxy-client-key-file="$PKI/front-proxy-client.key" \
    --allow-privileged=true \
    --endpoint-reconciler-type=none \
    --profiling=false \
    --v=1
}
