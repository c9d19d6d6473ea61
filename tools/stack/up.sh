#!/usr/bin/env bash
# `make up`'s last step (after `make build cluster services`): everything else of the product,
# for real, on this machine. Idempotent: what runs is reused, what exists is left as it is.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
started=$SECONDS
for bin in "$PLIMSOLL_BIN" "$MATCHER_BIN" "$MATCHER_DEV_BIN"; do [[ -f "$bin" ]] || die "$bin is missing: run \`make build\`"; done
[[ -f "$ADMIN_KUBECONFIG" ]] || die "$ADMIN_KUBECONFIG is missing: run \`make cluster\`"

# The scripts read JSON (jq), probe HTTP (curl) and route the pod network (ip): install what a
# minimal Debian lacks, as tools/services/up.sh does for the services.
missing=()
for tool in jq:jq curl:curl ip:iproute2; do command -v "${tool%%:*}" > /dev/null || missing+=("${tool#*:}"); done
if ((${#missing[@]})); then
  step "installing ${missing[*]}"
  SUDO=""; [[ $EUID -ne 0 ]] && SUDO=sudo
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
fi

step "1/6 pod network: namespace $POD_NETNS behind a veth; $POD_CIDR routed into it"
bash tools/stack/pod-network.sh up | sed 's/^/        /'
step "2/6 database: migrate, seed sample tenants, resumes and job descriptions (once)"
bash tools/stack/database.sh
step "3/6 fake AI providers"
bash tools/stack/providers.sh start
step "4/6 Kubernetes objects: CRD, operator RBAC, matcher, Secrets, the example ScalingPolicy"
bash tools/stack/kube-apply.sh
# The replicas come before the operator: its first reconcile then reads their health, so the
# policy's status shows every signal at once (a signal not read yet never degrades the level).
step "5/6 replica runner: a real matcher process per pod, behind the load balancer on $LB_ADDR"
bash tools/stack/runner.sh start
# Replicas started from an older build are replaced the way a deploy replaces pods: a rollout.
if [[ -f "$STACK/matcher.build" && "$(cat "$STACK/matcher.build")" != "$(build_id)" ]]; then
  info "the matcher replicas run an older build: kubectl rollout restart deployment/matcher"
  kubectl -n default rollout restart deployment/matcher > /dev/null
  kubectl -n default rollout status deployment/matcher --timeout=180s > /dev/null
  bash tools/stack/runner.sh start
fi
build_id > "$STACK/matcher.build"
step "6/6 operator, with its ServiceAccount's token"
bash tools/stack/operator.sh start
step "up in $((SECONDS - started)) s"
echo
bash tools/stack/status.sh
