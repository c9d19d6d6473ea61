#!/usr/bin/env bash
# Stop what tools/stack/up.sh started, in reverse: the runner (its replicas drain first), the
# operator (it hands its Lease back), the fake providers. The pod network namespace belongs to the
# cluster (tools/cluster/down.sh removes it). The
# Kubernetes objects and the database stay (the cluster and services have their own `down`).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
step "stopping the replica runner and its matcher processes"
bash "$ROOT/tools/stack/runner.sh" stop
step "stopping the operator"
bash "$ROOT/tools/stack/operator.sh" stop
step "stopping the fake providers"
bash "$ROOT/tools/stack/providers.sh" stop
step "stack stopped"
