#!/usr/bin/env bash
# What the local stack runs, where, and the first commands to try (`make status`; `make up`
# prints it at the end). Reads pid files and the runner's /status; changes nothing.
set -uo pipefail
source "$(dirname "$0")/lib.sh"
rel() { echo "${1#"$ROOT/"}"; }
state() { if running "$1" "$2"; then printf 'pid %s' "$(cat "$RUN/$1.pid")"; else printf 'NOT RUNNING'; fi; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
svc() { if port_open "$2"; then printf '%s :%s' "$1" "$2"; else printf '%s :%s (DOWN)' "$1" "$2"; fi; }

bold() { printf '\033[1m%s\033[0m\n' "$*"; }
bold "Plimsoll local stack"
printf '  %-16s %s  %s\n' "matcher" "http://$LB_ADDR" "(local load balancer; replica runner $(state replica-runner replica-runner/main.ts), log $(rel "$LOGS")/replica-runner.log)"
status_json="$(curl -fsS --max-time 2 "http://$RUNNER_ADMIN/status" 2>/dev/null || true)"
if [[ -n "$status_json" ]]; then
  jq -r '"                     Deployment \(.namespace)/\(.deployment): \(.desiredReplicas // 0) wanted, \([.replicas[] | select(.ready)] | length) ready processes", (.replicas[] | "                     \(.pod)  \(.address)  pid \(.pid // "-")  \(if .ready then "ready" else .phase end)\(if .restarts > 0 then "  restarts \(.restarts)" else "" end)\(if .lastTermination then " (last: \(.lastTermination.reason))" else "" end)  cpu \(.cpuLimit // "-") mem \(.memoryLimit // "-")\(if .cgroup.memoryUsageBytes then " (uses \(.cgroup.memoryUsageBytes / 1048576 | floor)Mi)" else "" end)  \(.logFile)"), (.replicas[] | select(.cgroupWarning) | "                     \(.pod): \(.cgroupWarning)"), ([.replicas[] | select(.cgroup) | .cgroup.paths[] | sub("/[^/]+$"; "/<namespace>_<pod>")] | unique | select(length > 0) | "                     limits bind through the cgroups \(join(", ")) (docs/local-stack.md)")' <<< "$status_json" | sed "s|$ROOT/||"
fi
printf '  %-16s %s\n' "pod network" "$(bash "$ROOT/tools/stack/pod-network.sh" status 2>&1 | paste -sd ';' | sed 's/;/; /g')"
printf '  %-16s %s\n' "" "(replicas run inside it: ip netns exec $POD_NETNS ss -tlnp; the root namespace reaches $POD_CIDR through veth plim-pods0)"
printf '  %-16s %s  %s\n' "operator" "http://127.0.0.1:$OPERATOR_METRICS_PORT/metrics" "($(state operator 'bin.js operator'), ServiceAccount plimsoll-system/plimsoll-operator via $(rel "$OPERATOR_KUBECONFIG"), log $(rel "$LOGS")/operator.log)"
for p in "${PROVIDERS[@]}"; do
  IFS=: read -r name port limit latency <<< "$p"
  printf '  %-16s %s  %s\n' "$name" "http://127.0.0.1:$port/v1" "(fake provider, $limit/min, ~${latency} ms; $(state "fake-provider-$name" fake-provider), log $(rel "$LOGS")/fake-provider-$name.log)"
done
printf '  %-16s %s\n' "Prometheus" "http://127.0.0.1:$PROM_PORT  (targets: http://127.0.0.1:$PROM_PORT/targets)"
printf '  %-16s %s\n' "Kubernetes" "https://127.0.0.1:16443  (admin kubeconfig $(rel "$ADMIN_KUBECONFIG"))"
if running keda-operator "$LOCAL/bin/keda-operator" && running keda-adapter "$LOCAL/bin/keda-adapter"; then
  printf '  %-16s %s\n' "KEDA" "operator 10.244.255.10, metrics API server https://10.244.255.11:6443 (pids $(cat "$RUN/keda-operator.pid"), $(cat "$RUN/keda-adapter.pid"); make keda-down stops it; docs/keda.md)"
else
  printf '  %-16s %s\n' "KEDA" "not running (not part of make up; make keda starts it: docs/keda.md)"
fi
printf '  %-16s %s, %s, %s\n' "data" "$(svc PostgreSQL "$PG_PORT")" "$(svc PgBouncer "$PGB_PORT")" "$(svc Redis "$REDIS_PORT")"
if sp="$(kubectl get sp matcher -n default 2>/dev/null)"; then
  echo; bold "kubectl get sp"; echo "$sp"
fi
echo
bold "Try"
cat <<TRY
  export KUBECONFIG=\$PWD/$(rel "$ADMIN_KUBECONFIG")
  kubectl get sp                      # target, replicas, pool, level, ready
  kubectl describe sp matcher         # conditions and the Events behind every decision
  KEY=\$(jq -r '.tenants[0].apiKey' .local/seed-keys.json)
  curl -s -H "Authorization: Bearer \$KEY" 'http://$LB_ADDR/v1/resumes?limit=2' | jq
  curl -si -H "Authorization: Bearer \$KEY" 'http://$LB_ADDR/v1/jobs?limit=1' | grep -i x-plimsoll-replica
  kubectl scale deploy matcher --replicas=4 && make status   # the runner follows within seconds
  open http://127.0.0.1:$PROM_PORT    # e.g. sum(rate(matcher_http_requests_total[1m])) by (pod)
  make load SCENARIO=burst            # a load test against the running stack
  make status                         # this page again
  make down                           # stop everything
TRY
