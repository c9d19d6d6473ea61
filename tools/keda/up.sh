#!/usr/bin/env bash
# Start (or reuse) KEDA on the local cluster (docs/keda.md): its CRDs and RBAC from KEDA's module,
# the operator and the metrics API server as two pods of the pod network namespace, and the
# APIService that registers external.metrics.k8s.io with the aggregation layer. The cluster's own
# HPA controller (kube-controller-manager) then scales what KEDA's ScaledObjects target.
#
# Idempotent: a process whose pid file names a live process of ours is left alone, one that died
# is started again; the manifests are re-applied (a no-op when unchanged). Needs the cluster
# (make cluster) and, for the Prometheus triggers to have something to ask, Prometheus (make services).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
HERE="$(cd "$(dirname "$0")" && pwd)"

# One up.sh at a time (the smoke test and `make keda` may race).
exec 9>"$RUN/keda-up.lock"
flock 9

"$HERE/build.sh"

[[ -n "$KUBECTL_BIN" ]] || die "no kubectl: run make cluster (it builds one when the machine's is missing)"
[[ -f "$ADMIN_KUBECONFIG" ]] || die "no .local/kubeconfig: start the cluster first (make cluster)"
kubectl get --raw /readyz >/dev/null 2>&1 || die "the local cluster does not answer on https://127.0.0.1:$APISERVER_PORT (make cluster)"
[[ -e "/run/netns/$POD_NETNS" ]] || die "network namespace $POD_NETNS does not exist: make cluster creates it (tools/stack/pod-network.sh up)"
curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$PROM_PORT/-/ready" 2>/dev/null ||
  log "warning: Prometheus does not answer on 127.0.0.1:$PROM_PORT (make services): Prometheus triggers will report errors"

t0=$(date +%s)

# The pods reach the API server and Prometheus on 127.0.0.1 through the pod gateway. `up` is
# idempotent; it restarts the gateway only when its port list changed.
log "pod network: $(bash "$ROOT/tools/stack/pod-network.sh" up)"

"$HERE/certs.sh"
CERTS="$KEDA_STATE/certs"

# KEDA's own manifests, from its module (the version tools/keda/go.mod pins): the namespace, the
# CRDs (with KEDA's kustomize patches), the ServiceAccount, the operator's RBAC and the metrics
# server's (auth-delegator, the extension-apiserver-authentication reader, the HPA controller's
# external-metrics reader). Not its Deployments (the processes below are the pods), nor its
# admission webhooks (cmd/webhooks is not built: it only validates ScaledObjects on admission).
K="$(keda_module_dir)"
[[ -d "$K/config/crd" ]] || die "KEDA's module is not in the module cache (go mod download in tools/keda)"
log "applying KEDA $(keda_version)'s namespace, CRDs and RBAC from $K/config"
{
  cat "$K/config/general/namespace.yaml"; echo "---"
  kubectl kustomize "$K/config/crd"; echo "---"
  kubectl kustomize "$K/config/service_account"; echo "---"
  kubectl kustomize "$K/config/rbac"; echo "---"
  cat "$K/config/metrics-server/role.yaml"; echo "---"
  cat "$K/config/metrics-server/role_binding.yaml"
} | kubectl apply --server-side --force-conflicts --field-manager=plimsoll-keda -f - >/dev/null
# Polled rather than `kubectl wait`, which fails at once on a CRD created a moment ago (no status yet).
for crd in scaledobjects.keda.sh scaledjobs.keda.sh triggerauthentications.keda.sh clustertriggerauthentications.keda.sh; do
  for ((i = 0; ; i++)); do
    [[ "$(kubectl get crd "$crd" -o jsonpath='{.status.conditions[?(@.type=="Established")].status}' 2>/dev/null)" == True ]] && break
    (( i < 120 )) || die "CRD $crd is not Established after 60 s: kubectl describe crd $crd"
    sleep 0.5
  done
done

# Both processes run as ServiceAccount keda/keda-operator (KEDA's Deployments do): a TokenRequest
# token, so they have exactly KEDA's RBAC, never the admin's. Made again when it no longer
# authenticates (a new cluster, an expired token).
sa_kubeconfig() {
  local out="$KEDA_STATE/keda-operator.kubeconfig"
  if [[ -f "$out" ]] && "$KUBECTL_BIN" --kubeconfig "$out" auth whoami >/dev/null 2>&1; then return 0; fi
  bash "$ROOT/tools/stack/operator-kubeconfig.sh" "$out" "$KEDA_NAMESPACE" keda-operator > /dev/null \
    || die "cannot write a kubeconfig for ServiceAccount $KEDA_NAMESPACE/keda-operator"
}
sa_kubeconfig
SA_KUBECONFIG="$KEDA_STATE/keda-operator.kubeconfig"

# running NAME: the pid file names a live process running our binary.
running() {
  local pid; pid="$(cat "$RUN/$1.pid" 2>/dev/null || true)"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF "$BIN/$1 "
}

# start NAME POD_IP ARGS...: the process inside the pod network namespace, bound to its pod IP
# (held on the namespace's loopback, as the replica runner does for the matcher's pods), with the
# environment KEDA's Deployments set. `ip netns exec` execs, so the pid file names the process.
start() {
  local name="$1" ip="$2"; shift 2
  ip -n "$POD_NETNS" addr replace "$ip/32" dev lo
  if running "$name"; then
    log "$name already running (pid $(cat "$RUN/$name.pid"), $ip)"
    return 0
  fi
  log "starting $name at $ip in network namespace $POD_NETNS (log: .local/logs/$name.log)"
  echo "---- $(date -u +%FT%TZ) starting: $BIN/$name $*" >> "$LOGS/$name.log"
  setsid nohup ip netns exec "$POD_NETNS" env -i PATH="$PATH" HOME="$KEDA_STATE" \
      KUBECONFIG="$SA_KUBECONFIG" POD_NAMESPACE="$KEDA_NAMESPACE" KEDA_CLUSTER_OBJECT_NAMESPACE="$KEDA_NAMESPACE" \
      WATCH_NAMESPACE="" KEDA_HTTP_DEFAULT_TIMEOUT=3000 \
      "$BIN/$name" "$@" >> "$LOGS/$name.log" 2>&1 < /dev/null 9>&- &
  echo $! > "$RUN/$name.pid"
}

# wait_until NAME SECONDS CHECK...: poll, fail with the log's tail when the process dies or time runs out.
wait_until() {
  local name="$1" seconds="$2"; shift 2
  local deadline=$(( $(date +%s) + seconds ))
  until "$@" >/dev/null 2>&1; do
    if ! running "$name"; then tail -n 25 "$LOGS/$name.log" >&2; die "$name exited; see .local/logs/$name.log"; fi
    if (( $(date +%s) > deadline )); then tail -n 25 "$LOGS/$name.log" >&2; die "$name not ready after ${seconds}s; see .local/logs/$name.log"; fi
    sleep 0.5
  done
}

# The operator: the ScaledObject controller (it creates and owns the HPA), the scalers, and the
# gRPC metrics service the adapter asks. KEDA's manager.yaml arguments, with every listener bound
# to the pod IP and the certificates made above instead of a mounted Secret.
start keda-operator "$KEDA_OPERATOR_IP" \
  --leader-elect=false \
  --zap-log-level=info --zap-encoder=console --zap-time-encoding=rfc3339 \
  --enable-cert-rotation=false \
  --cert-dir="$CERTS" \
  --metrics-bind-address="$KEDA_OPERATOR_IP:$KEDA_OPERATOR_METRICS_PORT" \
  --health-probe-bind-address="$KEDA_OPERATOR_IP:$KEDA_OPERATOR_HEALTH_PORT" \
  --metrics-service-bind-address="$KEDA_OPERATOR_IP:$KEDA_GRPC_PORT" \
  ${KEDA_OPERATOR_EXTRA_ARGS:-} # e.g. "--kube-api-qps=100 --kube-api-burst=200" (make bench-operator --keda-api-qps)
wait_until keda-operator 90 curl -fsS --max-time 2 "http://$KEDA_OPERATOR_IP:$KEDA_OPERATOR_HEALTH_PORT/readyz"

# The metrics API server: external.metrics.k8s.io, answered by asking the operator over mTLS
# gRPC. The dial goes to the operator's pod IP; the authority names the operator's Service, as
# the certificate does (there is no cluster DNS here to resolve keda-operator.keda.svc).
# Authentication is delegated to the cluster: the front-proxy CA and the allowed names come from
# kube-system/extension-apiserver-authentication, which the kube-apiserver publishes.
start keda-adapter "$KEDA_ADAPTER_IP" \
  --secure-port="$KEDA_ADAPTER_PORT" --bind-address="$KEDA_ADAPTER_IP" \
  --port="$KEDA_ADAPTER_METRICS_PORT" \
  --zap-log-level=info --zap-encoder=console --zap-time-encoding=rfc3339 \
  --client-ca-file="$CERTS/ca.crt" \
  --tls-cert-file="$CERTS/tls.crt" --tls-private-key-file="$CERTS/tls.key" --cert-dir="$CERTS" \
  --lister-kubeconfig="$SA_KUBECONFIG" \
  --authentication-kubeconfig="$SA_KUBECONFIG" --authorization-kubeconfig="$SA_KUBECONFIG" \
  --metrics-service-address="$KEDA_OPERATOR_IP:$KEDA_GRPC_PORT" \
  --metrics-service-grpc-authority="keda-operator.$KEDA_NAMESPACE.svc.cluster.local"
wait_until keda-adapter 90 curl -fsS --max-time 2 --cacert "$CERTS/ca.crt" "https://$KEDA_ADAPTER_IP:$KEDA_ADAPTER_PORT/readyz"

# Register it: from now on GET /apis/external.metrics.k8s.io/v1beta1/... on the kube-apiserver is
# proxied to the adapter, which is how the HPA controller reads KEDA's metrics.
CA_BUNDLE="$(base64 -w0 < "$CERTS/ca.crt")"
export KEDA_NAMESPACE KEDA_ADAPTER_IP KEDA_ADAPTER_PORT CA_BUNDLE
# shellcheck disable=SC2016 # the variables are envsubst's, not the shell's
envsubst '${KEDA_NAMESPACE} ${KEDA_ADAPTER_IP} ${KEDA_ADAPTER_PORT} ${CA_BUNDLE}' < "$HERE/manifests/metrics-apiserver.yaml" |
  kubectl apply --server-side --force-conflicts --field-manager=plimsoll-keda -f - >/dev/null
if ! kubectl wait --for=condition=Available --timeout=60s apiservice/v1beta1.external.metrics.k8s.io >/dev/null 2>&1; then
  kubectl get apiservice v1beta1.external.metrics.k8s.io -o jsonpath='{range .status.conditions[*]}{.type}={.status} {.reason}: {.message}{"\n"}{end}' >&2 || true
  tail -n 15 "$LOGS/keda-adapter.log" >&2
  die "the APIService v1beta1.external.metrics.k8s.io is not Available (the kube-apiserver cannot reach https://$KEDA_ADAPTER_IP:$KEDA_ADAPTER_PORT); see .local/logs/keda-adapter.log and .local/logs/kube-apiserver.log"
fi

log "KEDA $(keda_version) ready in $(( $(date +%s) - t0 ))s: operator $KEDA_OPERATOR_IP (gRPC :$KEDA_GRPC_PORT), metrics API server https://$KEDA_ADAPTER_IP:$KEDA_ADAPTER_PORT, APIService v1beta1.external.metrics.k8s.io Available"
