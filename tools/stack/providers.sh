#!/usr/bin/env bash
# The three simulated AI providers (matcher-dev fake-provider): groq :18181 (30 requests/min),
# openai :18182 and anthropic :18183 (60/min), with lognormal latencies around the simulator's
# medians. Load tests switch them into outage or brownout with POST /admin/mode.
# start: starts those not running (idempotent); stop: stops them.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
case "${1:-}" in
  start)
    declare -A started=()
    for p in "${PROVIDERS[@]}"; do
      IFS=: read -r name port limit latency <<< "$p"
      if running "fake-provider-$name" "fake-provider"; then
        if ! outdated "fake-provider-$name"; then
          info "fake provider $name already running on 127.0.0.1:$port (pid $(cat "$RUN/fake-provider-$name.pid"))"
          continue
        fi
        info "fake provider $name runs an older build: restarting it"
        stop_bg "fake-provider-$name" fake-provider 10 || true
      fi
      start_bg "fake-provider-$name" fake-provider "$LOGS/fake-provider-$name.log" \
        node "$MATCHER_DEV_BIN" fake-provider --host 127.0.0.1 --port "$port" --name "$name" \
        --latency-ms "$latency" --distribution lognormal --rate-limit "$limit" --rate-window-ms 60000
      started[$name]=1
    done
    for p in "${PROVIDERS[@]}"; do
      IFS=: read -r name port limit latency <<< "$p"
      [[ -n "${started[$name]:-}" ]] || continue
      wait_http "http://127.0.0.1:$port/admin/stats" 20 || die "fake provider $name did not answer on :$port; see $LOGS/fake-provider-$name.log"
      info "fake provider $name: http://127.0.0.1:$port/v1 ($limit requests/min, median ${latency} ms)"
    done ;;
  stop)
    for p in "${PROVIDERS[@]}"; do
      IFS=: read -r name _ <<< "$p"
      stop_bg "fake-provider-$name" fake-provider 10 && info "stopped fake provider $name" || true
    done ;;
  *) die "usage: $0 start|stop" ;;
esac
