#!/usr/bin/env bash
# Install Helm into .local/bin/helm, built from Go modules (helm.sh/helm/v3) at a pinned version:
# this machine has no other way to fetch it. Idempotent and cached: nothing happens while
# .local/bin/helm reports the pinned version. Background-safe: the build runs detached
# (setsid nohup) writing .local/logs/helm-build.log, so no shell or make time limit kills it half
# way; a second caller attaches to a build already running instead of starting another, and this
# script only follows the log and prints progress.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LOCAL="${LOCAL:-$ROOT/.local}"
BIN="$LOCAL/bin"
LOGS="$LOCAL/logs"
RUN="$LOCAL/run"
HELM_VERSION="${HELM_VERSION:-v3.22.0}"     # go-partial.tsv: the newest v3 that builds on this Go
# Capabilities.KubeVersion for `helm template` without a cluster: the version the local control
# plane runs (tools/kube-local), as Helm's own Makefile sets it from its client-go.
K8S_MINOR="${K8S_MINOR:-33}"
BUILD_LOG="$LOGS/helm-build.log"
PID_FILE="$RUN/helm-build.pid"
export GOTOOLCHAIN=local
export GOFLAGS="${GOFLAGS:--mod=mod}"

mkdir -p "$BIN" "$LOGS" "$RUN"
log() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
source "$ROOT/tools/lib/follow-build.sh"

installed_version() { [[ -x "$BIN/helm" ]] && "$BIN/helm" version --template '{{.Version}}' 2>/dev/null || true; }

worker() {
  # Runs detached; its last line says how it ended.
  local started; started=$(date +%s)
  echo "build of helm $HELM_VERSION started $(date -u +%FT%TZ) with $(go version)"
  local ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
  ldflags+=" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$K8S_MINOR"
  # Into a temporary GOBIN, then rename: a half-built binary never sits at .local/bin/helm.
  local tmp; tmp="$(mktemp -d "$LOCAL/helm-build.XXXXXX")"
  if ! GOBIN="$tmp" go install -v -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"; then
    rm -rf "$tmp"; echo "BUILD FAILED: go install helm.sh/helm/v3/cmd/helm@$HELM_VERSION"; exit 1
  fi
  mv -f "$tmp/helm" "$BIN/helm"; rm -rf "$tmp"
  echo "BUILD OK in $(( $(date +%s) - started ))s"
}

if [[ "${1:-}" == "--worker" ]]; then worker; exit; fi

if [[ "$(installed_version)" == "$HELM_VERSION" ]]; then
  log "helm $HELM_VERSION is installed in .local/bin"
  exit 0
fi
command -v go >/dev/null || die "Go is needed to build helm (go install helm.sh/helm/v3/cmd/helm@$HELM_VERSION)"

if start_build_worker "$PID_FILE" "$RUN/helm-build.lock" "$BUILD_LOG" 0 "$ROOT/tools/helm/install.sh"; then
  log "building helm $HELM_VERSION from Go modules (log: $BUILD_LOG); cold: a few minutes on 2 cores"
else
  log "a helm build is already running (pid $(cat "$PID_FILE")); following $BUILD_LOG"
fi

follow_build "$BUILD_LOG" helm 30 worker_running "$PID_FILE" "$ROOT/tools/helm/install.sh" || die "the helm build failed; see $BUILD_LOG"
[[ "$(installed_version)" == "$HELM_VERSION" ]] || die "the build ended but .local/bin/helm does not report $HELM_VERSION; see $BUILD_LOG"
log "helm $HELM_VERSION ready: .local/bin/helm"
