#!/usr/bin/env bash
# Build the local control plane into .local/bin: etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler (tools/kube-local, one Go module pinned to one Kubernetes release), kwok, and
# kubectl only when the machine's kubectl is outside the version skew. Cached: a stamp records
# what was built from which go.mod/go.sum/sources; nothing is rebuilt while it matches.
#
# The build itself runs detached (setsid nohup) writing .local/logs/build.log, so no shell or
# make time limit can kill it half way; this script follows it and prints progress. Run it again
# after an interruption and it attaches to the build still running.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../lib/follow-build.sh"

BUILD_LOG="$LOGS/build.log"
STAMP="$BIN/.build-stamp"
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler)

want_stamp() {
  local extra=""
  kubectl_in_skew || extra="kubectl"
  {
    echo "kwok $KWOK_VERSION $extra"
    go version
    cat "$KUBE_LOCAL/go.mod" "$KUBE_LOCAL/go.sum"
    find "$KUBE_LOCAL/cmd" -name '*.go' | sort | xargs cat
  } | sha256sum | cut -d' ' -f1
}

all_built() {
  local c
  for c in "${COMPONENTS[@]}" kwok; do [[ -x "$BIN/$c" ]] || return 1; done
  kubectl_in_skew || [[ -x "$BIN/kubectl" ]] || return 1
  [[ -f "$STAMP" && "$(cat "$STAMP")" == "$(want_stamp)" ]]
}

worker() {
  # Runs detached. Every step appends to the log; the last line says how it ended.
  local version ldflags started
  started=$(date +%s)
  version="$(kube_version)"
  [[ -n "$version" ]] || { echo "BUILD FAILED: no k8s.io/kubernetes version in go.mod"; exit 1; }
  local minor="${version#v1.}"; minor="${minor%%.*}"
  local date
  date="$(sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' "$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/$version.info" 2>/dev/null || true)"
  date="${date:-1970-01-01T00:00:00Z}"
  ldflags=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date"
  done
  echo "build of Kubernetes $version started $(date -u +%FT%TZ) with $(go version)"
  cd "$KUBE_LOCAL"
  step() {
    local name="$1"; shift
    echo "--- building $name"
    local t0; t0=$(date +%s)
    "$@" || { echo "BUILD FAILED: $name (exit $?)"; exit 1; }
    echo "--- built $name in $(( $(date +%s) - t0 ))s"
  }
  # kube-apiserver and etcd first: enough to start testing; the others reuse the same cache.
  step "etcd kube-apiserver" go build -v -ldflags "$ldflags" -o "$BIN/" ./cmd/etcd ./cmd/kube-apiserver
  step "kube-controller-manager kube-scheduler" go build -v -ldflags "$ldflags" -o "$BIN/" ./cmd/kube-controller-manager ./cmd/kube-scheduler
  if ! kubectl_in_skew; then
    step "kubectl" go build -v -ldflags "$ldflags" -o "$BIN/" ./cmd/kubectl
  fi
  step "kwok $KWOK_VERSION" env GOBIN="$BIN" go install -v "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  want_stamp > "$STAMP"
  echo "BUILD OK in $(( $(date +%s) - started ))s"
}

if [[ "${1:-}" == "--worker" ]]; then worker; exit; fi

if all_built; then
  log "control-plane binaries are up to date in .local/bin ($(kube_version))"
  exit 0
fi

# Attach to a build already running, or start one.
if is_running build; then
  log "a build is already running (pid $(pid_of build)); following .local/logs/build.log"
else
  log "building the control plane $(kube_version) from Go modules (log: .local/logs/build.log)"
  log "a cold build takes about 7 min on 2 cores (empty Go cache); later builds reuse the Go cache"
  : > "$BUILD_LOG"
  setsid nohup bash "$ROOT/tools/cluster/build.sh" --worker >> "$BUILD_LOG" 2>&1 < /dev/null 9>&- &
  echo $! > "$RUN/build.pid"
fi

# Follow: print each step as it starts, and a heartbeat with the package count.
follow_build "$BUILD_LOG" "the control plane" 60 is_running build || die "the build failed; see .local/logs/build.log"
rm -f "$RUN/build.pid"
all_built || die "the build ended but the binaries are incomplete; see .local/logs/build.log"
log "control-plane binaries ready in .local/bin"
