#!/usr/bin/env bash
# operator-kubeconfig.sh OUT [NAMESPACE] [SERVICEACCOUNT] [DURATION]
# Writes a kubeconfig whose only credential is a TokenRequest token (`kubectl create token`) of
# a ServiceAccount (default the operator's, plimsoll-system/plimsoll-operator, 8760h; KEDA's
# processes use it for keda/keda-operator): a process using it has exactly that ServiceAccount's
# RBAC, never the admin's. Prints the identity.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
out="${1:?usage: $0 OUT [NAMESPACE] [SERVICEACCOUNT] [DURATION]}"
ns="${2:-plimsoll-system}"; sa="${3:-plimsoll-operator}"
# One year by default: a development stack outlives any short token, and the file holds nothing else.
duration="${4:-8760h}"
token="$(kubectl create token "$sa" -n "$ns" --duration="$duration")" || die "cannot mint a token for ServiceAccount $ns/$sa (is manifests/rbac applied?)"
server="$(kubectl config view --raw --minify -o jsonpath='{.clusters[0].cluster.server}')"
ca="$(kubectl config view --raw --minify -o jsonpath='{.clusters[0].cluster.certificate-authority-data}')"
user="system:serviceaccount:$ns:$sa"
mkdir -p "$(dirname "$out")"
(umask 077; cat > "$out.tmp" <<KC
apiVersion: v1
kind: Config
clusters:
- name: plimsoll-local
  cluster:
    server: $server
    certificate-authority-data: $ca
users:
- name: $user
  user:
    token: $token
contexts:
- name: $sa
  context:
    cluster: plimsoll-local
    user: $user
    namespace: $ns
current-context: $sa
KC
)
mv "$out.tmp" "$out"
"$KUBECTL_BIN" --kubeconfig "$out" auth whoami -o jsonpath='{.status.userInfo.username}{"\n"}'
