#!/usr/bin/env bash
# Build KEDA's operator and metrics API server from Go modules into .local/bin/keda-operator and
# .local/bin/keda-adapter (docs/keda.md). tools/keda/go.mod requires github.com/kedacore/keda/v2
# with KEDA's own replace directives and names its two main packages as `tool`s; one `go build`
# compiles both, so the packages they share (client-go, controller-runtime, KEDA's scalers) are
# compiled once.
#
# Cached: a stamp (a hash of go.mod, go.sum and the Go version) skips the build while nothing
# changed. Background-safe, like tools/cluster/build.sh: the build runs detached (setsid nohup,
# nice 19: the machine's two cores are shared) writing .local/logs/keda-build.log, so no shell or
# make time limit kills it half way; a second caller attaches to a build still running, and this
# script only follows the log and prints a progress line every 30 s.
#
# `build.sh --start` only starts the build (if needed) and returns: `make test` does that first,
# so a cold build overlaps the other test tiers, and test-keda's `build.sh` then attaches to it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
source "$ROOT/tools/lib/follow-build.sh"

BUILD_LOG="$LOGS/keda-build.log"
PID_FILE="$RUN/keda-build.pid"
STAMP="$BIN/.keda-build-stamp"

want_stamp() {
  { go version; cat "$KEDA_MODULE/go.mod" "$KEDA_MODULE/go.sum"; } | sha256sum | cut -d' ' -f1
}

all_built() {
  [[ -x "$BIN/keda-operator" && -x "$BIN/keda-adapter" && -f "$STAMP" && "$(cat "$STAMP")" == "$(want_stamp)" ]]
}

worker() {
  # Runs detached; every line goes to the log and the last one says how it ended.
  local started version commit tmp
  started=$(date +%s)
  version="$(keda_version)"
  [[ -n "$version" ]] || { echo "BUILD FAILED: no github.com/kedacore/keda/v2 version in tools/keda/go.mod"; exit 1; }
  cd "$KEDA_MODULE"
  # KEDA's Makefile stamps the version and commit the same way (GO_LDFLAGS); the commit is the one
  # the module proxy recorded for the tag.
  commit="$(go mod download -json "github.com/kedacore/keda/v2@$version" | sed -n 's/^\s*"Hash": "\([0-9a-f]*\)".*/\1/p')"
  echo "build of KEDA $version (commit ${commit:-unknown}) started $(date -u +%FT%TZ) with $(go version)"
  local ldflags="-X=github.com/kedacore/keda/v2/version.Version=${version#v} -X=github.com/kedacore/keda/v2/version.GitCommit=$commit"
  # Into a temporary directory, then rename: a half-built binary never sits in .local/bin.
  tmp="$(mktemp -d "$LOCAL/keda-build.XXXXXX")"
  echo "--- building keda-operator keda-adapter"
  if ! go build -v -ldflags "$ldflags" -o "$tmp/" \
      github.com/kedacore/keda/v2/cmd/operator github.com/kedacore/keda/v2/cmd/adapter; then
    rm -rf "$tmp"; echo "BUILD FAILED: go build of github.com/kedacore/keda/v2/cmd/{operator,adapter}@$version"; exit 1
  fi
  mv -f "$tmp/operator" "$BIN/keda-operator"
  mv -f "$tmp/adapter" "$BIN/keda-adapter"
  rm -rf "$tmp"
  want_stamp > "$STAMP"
  echo "BUILD OK in $(( $(date +%s) - started ))s"
}

if [[ "${1:-}" == "--worker" ]]; then worker; exit; fi

if all_built; then
  log "KEDA $(keda_version) is built: .local/bin/keda-operator, .local/bin/keda-adapter"
  exit 0
fi
command -v go >/dev/null || die "Go is needed to build KEDA (tools/keda/go.mod)"

# At nice 19: the machine's two cores are shared, and the other test tiers come first.
if start_build_worker "$PID_FILE" "$RUN/keda-build.lock" "$BUILD_LOG" 19 "$ROOT/tools/keda/build.sh"; then
  log "building KEDA $(keda_version) from Go modules (log: .local/logs/keda-build.log)"
  log "cold (after the control plane's build): about $KEDA_COLD_BUILD on 2 cores; later builds reuse the Go cache"
else
  log "a KEDA build is already running (pid $(cat "$PID_FILE")); following .local/logs/keda-build.log"
fi
if [[ "${1:-}" == "--start" ]]; then
  log "the KEDA build runs in the background (nice 19); make keda-build follows it"
  exit 0
fi

follow_build "$BUILD_LOG" KEDA 30 worker_running "$PID_FILE" "$ROOT/tools/keda/build.sh" || die "the KEDA build failed; see .local/logs/keda-build.log"
rm -f "$PID_FILE"
all_built || die "the KEDA build ended but the binaries are incomplete; see .local/logs/keda-build.log"
log "KEDA $(keda_version) ready: .local/bin/keda-operator, .local/bin/keda-adapter"
