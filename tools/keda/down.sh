#!/usr/bin/env bash
# Stop KEDA on the local cluster (docs/keda.md): unregister the APIService first, then stop the
# metrics API server and the operator, and release their pod IPs. Idempotent.
#
# The APIService goes with the processes: one left registered without its server makes the
# aggregated discovery fail, and the namespace controller then cannot finish deleting any
# namespace ("NamespaceDeletionDiscoveryFailure"), which every test tier relies on. KEDA's CRDs,
# namespace, RBAC and certificates stay (harmless, and the next `make keda` is faster); so do
# ScaledObjects and the HPAs they own, which simply get no metric until KEDA runs again.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

if [[ -n "$KUBECTL_BIN" && -f "$ADMIN_KUBECONFIG" ]] && kubectl get --raw /readyz >/dev/null 2>&1; then
  kubectl delete apiservice v1beta1.external.metrics.k8s.io --ignore-not-found --wait=false >/dev/null
  kubectl -n "$KEDA_NAMESPACE" delete service keda-metrics-apiserver --ignore-not-found --wait=false >/dev/null 2>&1 || true
  log "APIService v1beta1.external.metrics.k8s.io removed"
else
  log "the cluster does not answer: nothing to unregister"
fi

# stop NAME GRACE_SECONDS: SIGTERM, SIGKILL after the grace period (KEDA's Deployments give 10 s).
stop() {
  local name="$1" grace="$2" pid
  pid="$(cat "$RUN/$name.pid" 2>/dev/null || true)"
  if [[ -z "$pid" ]] || ! kill -0 "$pid" 2>/dev/null || ! tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF "$BIN/$name "; then
    rm -f "$RUN/$name.pid"
    log "$name is not running"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name did not stop within ${grace}s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$RUN/$name.pid"
  log "$name stopped"
}
stop keda-adapter 10
stop keda-operator 10

if [[ -e "/run/netns/$POD_NETNS" ]]; then
  for ip in "$KEDA_ADAPTER_IP" "$KEDA_OPERATOR_IP"; do
    ip -n "$POD_NETNS" addr del "$ip/32" dev lo 2>/dev/null || true
  done
fi
