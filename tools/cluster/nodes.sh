#!/usr/bin/env bash
# Register NODE_COUNT fake nodes (kwok-node-0..N-1) that kwok plays the kubelet for: 8 CPU,
# 32Gi memory, 110 pods each, no taint, so ordinary Deployments schedule onto them and kwok marks
# their pods Running and Ready. Server-side apply, so re-running only converges.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
KUBECTL="$(kubectl_bin)"

manifest=""
for ((i = 0; i < NODE_COUNT; i++)); do
  manifest+="---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: \"0\"
  labels:
    type: kwok
    kubernetes.io/arch: amd64
    kubernetes.io/os: linux
    kubernetes.io/hostname: kwok-node-$i
    kubernetes.io/role: agent
    node-role.kubernetes.io/agent: \"\"
    topology.kubernetes.io/zone: local-$(( i % 3 ))
status:
  allocatable: {cpu: \"8\", memory: 32Gi, pods: \"110\", ephemeral-storage: 100Gi}
  capacity: {cpu: \"8\", memory: 32Gi, pods: \"110\", ephemeral-storage: 100Gi}
"
done
log "registering $NODE_COUNT fake nodes (8 CPU, 32Gi, 110 pods each)"
printf '%s' "$manifest" | "$KUBECTL" --kubeconfig "$KUBECONFIG_OUT" apply --server-side --field-manager=plimsoll-cluster -f - >/dev/null

# kwok sets each node Ready shortly after it is registered.
deadline=$(( $(date +%s) + 60 ))
until [[ "$("$KUBECTL" --kubeconfig "$KUBECONFIG_OUT" get nodes -l type=kwok \
    -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c '^True$')" -ge "$NODE_COUNT" ]]; do
  (( $(date +%s) < deadline )) || die "fake nodes not Ready after 60s; see .local/logs/kwok.log"
  sleep 0.5
done
log "$NODE_COUNT nodes Ready"
