#!/usr/bin/env bash
# Stop everything up.sh started (and a build still running), newest first, then remove the state:
# etcd data, certificates, kubeconfigs, pid files and component logs. Keeps .local/bin (the built
# binaries) and .local/logs/build.log, so the next `make cluster` starts in seconds.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

stop() {
  local name="$1" pid
  pid="$(pid_of "$name")"
  if is_running "$name"; then
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$RUN/$name.pid"
}
# The pod network namespace and its gateway (up.sh made them), before the pid files below.
bash "$ROOT/tools/stack/pod-network.sh" down > /dev/null && log "pod network namespace removed"
# Extra apiservers that tests started (apiserver-replica.sh) first, then the cluster, newest first.
for f in "$RUN"/*.pid; do
  [[ -e "$f" ]] || continue
  c="$(basename "$f" .pid)"
  case "$c" in build|etcd|kube-apiserver|kube-controller-manager|kube-scheduler|kwok) ;; *) stop "$c" ;; esac
done
for c in kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do stop "$c"; done
if [[ "${1:-}" == "--all" ]]; then
  # The build runs as its own process group (setsid): end the group it leads.
  pid="$(pid_of build)"
  if is_running build; then log "stopping the build (pid $pid)"; kill -TERM -- "-$pid" 2>/dev/null || true; fi
  rm -f "$RUN/build.pid"
fi
rm -rf "$ETCD_DATA" "$PKI" "$KWOK_DIR" "$KUBECONFIG_OUT" "$LOCAL"/*.kubeconfig "$RUN/up.lock"
find "$LOGS" -maxdepth 1 -name '*.log' ! -name build.log -delete
log "local cluster stopped and its state removed"
