# shellcheck shell=bash disable=SC2034 # variables are used by the scripts that source this file
# Shared settings for tools/stack/*.sh (sourced, not run): where the local stack's processes
# keep pid files, logs and state, and the helpers that start and stop them idempotently.
source "$(dirname "${BASH_SOURCE[0]}")/../services/env.sh"   # ROOT, LOCAL, ports, credentials
RUN="$LOCAL/run"                 # pid files
LOGS="$LOCAL/logs"               # one log per process
STACK="$LOCAL/stack"             # runner state, the operator's kubeconfig
TARGETS="$LOCAL/prometheus/targets"
ADMIN_KUBECONFIG="$LOCAL/kubeconfig"
OPERATOR_KUBECONFIG="$STACK/operator.kubeconfig"
POD_CIDR="${POD_CIDR:-10.244.0.0/16}"   # tools/cluster/lib.sh's CLUSTER_CIDR: kwok hands out these pod IPs
POD_NETNS="${POD_NETNS:-plimsoll-pods}"   # the network namespace the pods live in (pod-network.sh)
# The CFS period the replicas' CPU limits are a share of, as the kubelet's cpuCFSQuotaPeriod
# (default 100ms; docs/local-stack.md, "CPU limits"). Read when the replica runner starts.
CPU_CFS_QUOTA_PERIOD="${CPU_CFS_QUOTA_PERIOD:-100ms}"
LB_ADDR="127.0.0.1:$MATCHER_PORT"           # the matcher URL users and load tests hit
RUNNER_ADMIN="127.0.0.1:${RUNNER_ADMIN_PORT:-18090}"
OPERATOR_METRICS_PORT="${OPERATOR_METRICS_PORT:-18081}"
# name:port:requests-per-minute:median-latency-ms — the latencies are the simulator's
# (src/plimsoll/simulator/model-params.ts), the limits the seeds' (groq 30/min, the others 60/min).
PROVIDERS=(groq:18181:30:800 openai:18182:60:2500 anthropic:18183:60:3500)
PLIMSOLL_BIN="$ROOT/dist/src/plimsoll/cli/bin.js"        # plimsoll: the operator image's entrypoint
MATCHER_BIN="$ROOT/dist/src/matcher/cli/bin.js"          # matcher: the matcher image's (serve, migrate)
MATCHER_DEV_BIN="$ROOT/dist/src/matcher/dev/bin.js"      # matcher-dev: test and demo tools, in no image
mkdir -p "$RUN" "$LOGS" "$STACK" "$TARGETS"

# The same kubectl the cluster scripts use (the machine's, or one built into .local/bin).
KUBECTL_BIN="$( [[ -x "$LOCAL/bin/kubectl" ]] && echo "$LOCAL/bin/kubectl" || command -v kubectl )"
kubectl() { "$KUBECTL_BIN" --kubeconfig "$ADMIN_KUBECONFIG" "$@"; }

step() { printf '\033[1m[stack]\033[0m %s\n' "$*"; }
info() { printf '        %s\n' "$*"; }
die() { printf '\033[1;31m[stack] error:\033[0m %s\n' "$*" >&2; exit 1; }

# A process runs when its pid file names a live process whose command line contains $2: a pid
# recycled after a reboot is not mistaken for ours.
running() {
  local pidfile="$RUN/$1.pid" marker="$2" pid
  pid="$(cat "$pidfile" 2>/dev/null || true)"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$marker"
}

# The build in dist/ the stack's processes run: a hash of its content (tsc rewrites every file
# on each build, so modification times say nothing).
build_id() { find "$ROOT/dist" -type f -name '*.js' -print0 | sort -z | xargs -0 cat | sha256sum | cut -c1-16; }

# outdated NAME: the process was started from another build than dist/ holds now.
outdated() { [[ "$(cat "$RUN/$1.build" 2>/dev/null)" != "$(build_id)" ]]; }

# start_bg NAME MARKER LOGFILE CMD...: in its own session (its own process group, immune to the
# terminal's signals), detached from make; the pid is the group's id.
start_bg() {
  local name="$1" log="$3"; shift 3
  printf -- '--- %s starting: %s\n' "$(date -Is)" "$*" >> "$log"
  setsid nohup "$@" >> "$log" 2>&1 < /dev/null &
  echo $! > "$RUN/$name.pid"
  build_id > "$RUN/$name.build"
}

# stop_bg NAME MARKER GRACE_SECONDS: SIGTERM to the process group, SIGKILL after the grace period.
stop_bg() {
  local name="$1" marker="$2" grace="$3" pid
  if ! running "$name" "$marker"; then
    rm -f "$RUN/$name.pid"
    return 1
  fi
  pid="$(cat "$RUN/$name.pid")"
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    info "$name did not stop within ${grace}s: SIGKILL"
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$RUN/$name.pid" "$RUN/$name.build"
}

# wait_http URL SECONDS: until the URL answers 2xx.
wait_http() {
  local url="$1" seconds="$2"
  for ((i = 0; i < seconds * 5; i++)); do curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null && return 0; sleep 0.2; done
  return 1
}
