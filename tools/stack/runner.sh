#!/usr/bin/env bash
# The replica runner and the local load balancer (one process; a development harness, not part
# of the product — see tools/stack/replica-runner/runner.ts and docs/local-stack.md).
# start: starts it unless it runs (it adopts replica processes a previous runner left) and waits
#        until every pod of Deployment default/matcher has a ready process behind 127.0.0.1:18080.
# stop:  SIGTERM: every replica drains and stops, then the runner; leftovers are swept from the
#        process records in .local/stack/replicas/ (no orphans even after a SIGKILL).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
MARKER="replica-runner/main.ts"
RECORDS="$STACK/replicas"

# "<ready> <desired> <deployment found>" from the runner's status ("0 0 false" while it does not answer).
ready_count() { curl -fsS --max-time 2 "http://$RUNNER_ADMIN/status" 2>/dev/null | jq -r '"\([.replicas[] | select(.ready)] | length) \(.desiredReplicas // 0) \(.deploymentFound // false)"' 2>/dev/null || echo "0 0 false"; }

# Processes recorded by a runner that is gone: SIGTERM their groups, SIGKILL after 15 s.
sweep() {
  local file pid ticks now pids=()
  shopt -s nullglob
  for file in "$RECORDS"/*.json; do
    pid="$(jq -r .pid "$file")"; ticks="$(jq -r .startTicks "$file")"
    now="$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f20 || true)"
    if [[ -n "$now" && "$now" == "$ticks" ]]; then
      info "stopping leftover replica $(jq -r .pod "$file") (pid $pid)"
      kill -TERM -- "-$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
    rm -f "$TARGETS/matcher-$(jq -r .pod "$file").json" "$file" "${file%.json}.kubeconfig"
  done
  for pid in "${pids[@]}"; do
    for ((i = 0; i < 150; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  rm -f "$RECORDS"/*.kubeconfig
}

case "${1:-}" in
  start)
    if running replica-runner "$MARKER"; then
      info "replica runner already running (pid $(cat "$RUN/replica-runner.pid")), load balancer http://$LB_ADDR"
    else
      cd "$ROOT"
      start_bg replica-runner "$MARKER" "$LOGS/replica-runner.log" \
        node --import tsx "$ROOT/tools/stack/replica-runner/main.ts" --namespace default --deployment matcher \
        --listen "$LB_ADDR" --admin "$RUNNER_ADMIN" --pod-netns "$POD_NETNS" \
        --cpu-cfs-quota-period "$CPU_CFS_QUOTA_PERIOD"
      wait_http "http://$RUNNER_ADMIN/healthz" 60 || die "the replica runner did not start; see $LOGS/replica-runner.log"
      info "replica runner running (pid $(cat "$RUN/replica-runner.pid")), load balancer http://$LB_ADDR, log ${LOGS#"$ROOT/"}/replica-runner.log"
    fi
    # Progress until every pod has a ready process (the first start migrates and connects).
    last=""
    for ((i = 0; i < 240; i++)); do
      read -r ready desired found <<< "$(ready_count)"
      if [[ "$ready" != "$last" ]]; then info "matcher replicas ready: $ready of $desired"; last="$ready"; fi
      # Scaled to 0 (an interrupted make compare, kubectl scale): nothing to wait for; the
      # policy's operator, started next, scales it back to its minimum.
      if [[ "$found" == true && "$desired" -eq 0 ]]; then info "the matcher Deployment asks for 0 replicas: the operator will scale it"; exit 0; fi
      [[ "$desired" -gt 0 && "$ready" -ge "$desired" ]] && exit 0
      sleep 0.5
    done
    die "matcher replicas not ready after 120 s ($ready of $desired); see $LOGS/replica-runner.log and $LOGS/matcher-*.log" ;;
  stop)
    stop_bg replica-runner "$MARKER" 60 && info "stopped the replica runner and its replicas" || true
    sweep
    rm -f "$STACK/matcher.build" ;;
  *) die "usage: $0 start|stop" ;;
esac
