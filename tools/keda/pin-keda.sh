#!/usr/bin/env bash
# pin-keda.sh VERSION: move tools/keda/go.mod to another KEDA release (e.g. v2.18.3).
# A dependency's replace directives do not apply to the module that requires it, so KEDA's own
# block (the k8s.io pins among them) is copied from that release's go.mod into ours; our own
# block (versions the module proxy here refuses) is kept. Then `go get -tool` resolves the rest.
# Commit go.mod and go.sum afterwards; `make keda-build` rebuilds (the stamp changes).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
version="${1:?usage: $0 VERSION (e.g. v2.18.3)}"
cd "$KEDA_MODULE"

gomod="$(go mod download -json "github.com/kedacore/keda/v2@$version" | sed -n 's/^\s*"GoMod": "\(.*\)",$/\1/p')"
[[ -f "$gomod" ]] || die "no go.mod for github.com/kedacore/keda/v2@$version from the module proxy"
theirs="$(sed -n '/^replace (/,/^)/p' "$gomod")"
[[ -n "$theirs" ]] || die "github.com/kedacore/keda/v2@$version has no replace block: check its go.mod by hand"

# Our go.mod: the header comment, the module line, the go line, KEDA's block (replaced), our block.
awk -v theirs="$theirs" '
  /^replace \(/ && !done { print theirs; skip = 1; done = 1; next }
  skip && /^\)/ { skip = 0; next }
  !skip { print }
' go.mod > go.mod.tmp
mv go.mod.tmp go.mod
sed -i "s|KEDA v[0-9.]*'s own|KEDA $version's own|" go.mod

log "resolving KEDA $version's dependencies (go get -tool)"
go get -tool "github.com/kedacore/keda/v2/cmd/operator@$version" "github.com/kedacore/keda/v2/cmd/adapter@$version"
go mod tidy
log "tools/keda/go.mod now pins KEDA $(keda_version); run make keda-build"
