#!/usr/bin/env bash
# The pod network namespace (tools/stack/replica-runner/pod-network.ts): the replicas live in
# network namespace plimsoll-pods behind a veth, and reach the machine's loopback services through
# the pod gateway. No private-range address or local route is added to the root namespace.
#   up      create or repair it (idempotent)
#   down    remove it (idempotent)
#   status  what exists; exit 1 when the root namespace breaks the network rule
set -euo pipefail
source "$(dirname "$0")/lib.sh"
# What the pods dial on 127.0.0.1: PostgreSQL (migrations), PgBouncer (the stack's, and the
# tests' own for the test tiers' databases), Redis, the API server, the fake providers, and
# Prometheus (KEDA's operator runs its Prometheus triggers' queries from a pod: docs/keda.md).
ports="$PG_PORT,$PGB_PORT,${PGB_TEST_PORT:-16433},$REDIS_PORT,${APISERVER_PORT:-16443},$PROM_PORT"
for p in "${PROVIDERS[@]}"; do IFS=: read -r _ port _ _ <<< "$p"; ports+=",$port"; done
# ip and ss come with iproute2, which a minimal Debian may lack.
if ! command -v ip > /dev/null || ! command -v ss > /dev/null; then
  SUDO=""; [[ $EUID -ne 0 ]] && SUDO=sudo
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends iproute2 > /dev/null \
    || die "the pod network needs iproute2 (ip, ss): apt-get install iproute2"
fi
case "${1:-}" in
  up|down|status) cd "$ROOT" && exec node --import tsx tools/stack/replica-runner/pod-network-cli.ts "$1" --ports "$ports" --pod-cidr "$POD_CIDR" ;;
  *) die "usage: $0 up|down|status" ;;
esac
