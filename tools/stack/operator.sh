#!/usr/bin/env bash
# The operator as a local process (node dist/src/plimsoll/cli/bin.js operator, the image's entrypoint)
# with its own ServiceAccount's credentials, never admin: a TokenRequest token of
# plimsoll-system/plimsoll-operator in .local/stack/operator.kubeconfig, so RBAC is exactly the
# ClusterRole in manifests/rbac. Metrics on 127.0.0.1:18081, scraped by Prometheus through
# .local/prometheus/targets/operator-local.json. start is idempotent; stop hands the Lease back.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
TARGET_FILE="$TARGETS/operator-local.json"
case "${1:-}" in
  start)
    if running operator "bin.js operator"; then
      if ! outdated operator; then
        info "operator already running (pid $(cat "$RUN/operator.pid")), metrics http://127.0.0.1:$OPERATOR_METRICS_PORT/metrics"
        exit 0
      fi
      info "the operator runs an older build: restarting it"
      stop_bg operator "bin.js operator" 35 || true
    fi
    who="$(bash "$ROOT/tools/stack/operator-kubeconfig.sh" "$OPERATOR_KUBECONFIG")"
    # The signal sources policies may read, as a cluster administrator registers them: the
    # stack's Prometheus and PgBouncer admin console, each the default (docs/operator.md).
    mkdir -p "$RUN"
    (umask 077; printf '%s\n' "$ADMIN_PASSWORD" > "$RUN/pgbouncer-admin-password")
    cat > "$RUN/signal-sources.yaml" <<SOURCES
prometheus:
  - { name: stack, address: "http://127.0.0.1:$PROM_PORT", default: true }
pgbouncer:
  - { name: stack, host: 127.0.0.1, port: $PGB_PORT, user: $ADMIN_USER, passwordFile: "$RUN/pgbouncer-admin-password", default: true }
SOURCES
    info "operator credentials: $who (${OPERATOR_KUBECONFIG#"$ROOT/"})"
    # Namespace default only (STACK_OPERATOR_NAMESPACE= for all): the test tiers run operators
    # of their own in pt-* namespaces, and two operators must not reconcile one policy.
    KUBECONFIG="$OPERATOR_KUBECONFIG" OPERATOR_METRICS_HOST=127.0.0.1 OPERATOR_METRICS_PORT="$OPERATOR_METRICS_PORT" \
      OPERATOR_NAMESPACE="${STACK_OPERATOR_NAMESPACE-default}" LEADER_ELECTION_NAMESPACE=plimsoll-system \
      OPERATOR_SIGNAL_SOURCES_FILE="$RUN/signal-sources.yaml" start_bg operator "bin.js operator" "$LOGS/operator.log" node "$PLIMSOLL_BIN" operator
    wait_http "http://127.0.0.1:$OPERATOR_METRICS_PORT/readyz" 60 || die "the operator is not ready after 60 s; see $LOGS/operator.log"
    printf '[{"targets":["127.0.0.1:%s"],"labels":{"app":"plimsoll-operator"}}]\n' "$OPERATOR_METRICS_PORT" > "$TARGET_FILE.tmp"
    mv "$TARGET_FILE.tmp" "$TARGET_FILE"
    info "operator running (pid $(cat "$RUN/operator.pid")), metrics http://127.0.0.1:$OPERATOR_METRICS_PORT/metrics, log ${LOGS#"$ROOT/"}/operator.log" ;;
  stop)
    rm -f "$TARGET_FILE"
    stop_bg operator "bin.js operator" 35 && info "stopped the operator" || true ;;
  *) die "usage: $0 start|stop" ;;
esac
