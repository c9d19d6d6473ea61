#!/usr/bin/env bash
# Start (or reuse) the local control plane: etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler and kwok, all built from Go modules into .local/bin (build.sh), then register
# the fake nodes and wait for /readyz. Idempotent: a component whose pid file names a live process
# is left alone; one that died is started again on the same data and certificates.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
HERE="$(cd "$(dirname "$0")" && pwd)"

# One up.sh at a time (test files run in parallel and each may call `make cluster`).
exec 9> "$RUN/up.lock"
flock 9

"$HERE/build.sh"
"$HERE/pki.sh"
"$HERE/kubeconfig.sh"

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start NAME PORT CMD... : detached (survives make and the shell), output to .local/logs/NAME.log
start() {
  local name="$1" port="$2"; shift 2
  if is_running "$name"; then
    log "$name already running (pid $(pid_of "$name"))"
    return 0
  fi
  if port_busy "$port"; then
    die "port $port (for $name) is taken by a process that is not ours; stop it or run make cluster-down"
  fi
  log "starting $name (log: .local/logs/$name.log)"
  echo "---- $(date -u +%FT%TZ) starting: $*" >> "$LOGS/$name.log"
  setsid nohup "$@" >> "$LOGS/$name.log" 2>&1 < /dev/null 9>&- &
  echo $! > "$RUN/$name.pid"
}

# wait_for NAME TIMEOUT_S CHECK... : poll a health check, fail with the log's tail.
wait_for() {
  local name="$1" timeout="$2"; shift 2
  local deadline=$(( $(date +%s) + timeout ))
  until "$@" >/dev/null 2>&1; do
    if ! is_running "$name"; then
      tail -n 25 "$LOGS/$name.log" >&2
      die "$name exited; see .local/logs/$name.log"
    fi
    if (( $(date +%s) > deadline )); then
      tail -n 25 "$LOGS/$name.log" >&2
      die "$name not healthy after ${timeout}s; see .local/logs/$name.log"
    fi
    sleep 0.5
  done
}

CURL_ADMIN=(curl -fsS --max-time 5 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key")
t0=$(date +%s)

mkdir -p "$ETCD_DATA"
start etcd "$ETCD_CLIENT_PORT" "$BIN/etcd" \
  --name=plimsoll-local \
  --data-dir="$ETCD_DATA" \
  --listen-client-urls="http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --advertise-client-urls="http://127.0.0.1:$ETCD_CLIENT_PORT" \
  --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster="plimsoll-local=http://127.0.0.1:$ETCD_PEER_PORT" \
  --listen-metrics-urls="" \
  --quota-backend-bytes=2147483648 \
  --auto-compaction-retention=1h \
  --log-level=warn
wait_for etcd 60 curl -fsS --max-time 2 "http://127.0.0.1:$ETCD_CLIENT_PORT/health"

# shellcheck disable=SC2046 # apiserver_args is a list of words without spaces
start kube-apiserver "$APISERVER_PORT" "$BIN/kube-apiserver" $(apiserver_args "$APISERVER_PORT")
wait_for kube-apiserver 180 "${CURL_ADMIN[@]}" "https://127.0.0.1:$APISERVER_PORT/readyz"

start kube-controller-manager "$KCM_PORT" "$BIN/kube-controller-manager" \
  --kubeconfig="$PKI/controller-manager.kubeconfig" \
  --authentication-kubeconfig="$PKI/controller-manager.kubeconfig" \
  --authorization-kubeconfig="$PKI/controller-manager.kubeconfig" \
  --bind-address=127.0.0.1 \
  --secure-port="$KCM_PORT" \
  --service-account-private-key-file="$PKI/sa.key" \
  --root-ca-file="$PKI/ca.crt" \
  --cluster-signing-cert-file="$PKI/ca.crt" \
  --cluster-signing-key-file="$PKI/ca.key" \
  --use-service-account-credentials=true \
  --service-cluster-ip-range="$SERVICE_CIDR" \
  --cluster-cidr="$CLUSTER_CIDR" \
  --leader-elect=false \
  --profiling=false \
  --v=1
start kube-scheduler "$SCHEDULER_PORT" "$BIN/kube-scheduler" \
  --kubeconfig="$PKI/scheduler.kubeconfig" \
  --authentication-kubeconfig="$PKI/scheduler.kubeconfig" \
  --authorization-kubeconfig="$PKI/scheduler.kubeconfig" \
  --bind-address=127.0.0.1 \
  --secure-port="$SCHEDULER_PORT" \
  --leader-elect=false \
  --profiling=false \
  --v=1
mkdir -p "$KWOK_DIR"
start kwok "$KWOK_PORT" "$BIN/kwok" \
  --kubeconfig="$PKI/kwok.kubeconfig" \
  --manage-all-nodes=false \
  --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
  --manage-nodes-with-label-selector= \
  --disregard-status-with-annotation-selector=kwok.x-k8s.io/status=custom \
  --disregard-status-with-label-selector= \
  --cidr=10.244.0.1/16 \
  --node-ip=127.0.0.1 \
  --node-lease-duration-seconds=40 \
  --server-address="127.0.0.1:$KWOK_PORT"
wait_for kube-controller-manager 90 curl -kfsS --max-time 2 "https://127.0.0.1:$KCM_PORT/healthz"
wait_for kube-scheduler 90 curl -kfsS --max-time 2 "https://127.0.0.1:$SCHEDULER_PORT/healthz"
wait_for kwok 90 curl -fsS --max-time 2 "http://127.0.0.1:$KWOK_PORT/healthz"

"$HERE/nodes.sh"
# The pod network, as a CNI plugin would provide it: kwok hands out pod IPs from 10.244.0.0/16, and
# they live in a network namespace of ours (never in the machine's own), so anything that talks
# to a pod IP (Prometheus, the operator, a test) reaches that namespace and nothing else.
log "pod network: $(bash "$ROOT/tools/stack/pod-network.sh" up)"

wait_for kube-apiserver 60 "${CURL_ADMIN[@]}" "https://127.0.0.1:$APISERVER_PORT/readyz"
log "cluster ready in $(( $(date +%s) - t0 ))s: Kubernetes $(kube_version), API https://127.0.0.1:$APISERVER_PORT"
log "export KUBECONFIG=$KUBECONFIG_OUT   # kubectl: $(kubectl_bin)"
