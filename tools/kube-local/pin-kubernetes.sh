#!/usr/bin/env bash
# Pin this module to one Kubernetes release: require k8s.io/kubernetes@<version> and replace every
# k8s.io/* staging module with the matching v0.<minor>.<patch>. The list of staging modules comes
# from the release's own go.mod (its `k8s.io/x => ./staging/src/k8s.io/x` replace lines), because
# k8s.io/kubernetes requires them at v0.0.0 and only resolves through those replaces in its repo.
#
#   tools/kube-local/pin-kubernetes.sh v1.33.13
#
# Rewrites go.mod and go.sum (commit both). Idempotent.
set -euo pipefail
export GOTOOLCHAIN=local
cd "$(dirname "$0")"

version="${1:?usage: $0 v1.X.Y}"
[[ "$version" =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] || { echo "not a release version: $version" >&2; exit 2; }
staging_version="v0.${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"

[[ -f go.mod ]] || go mod init plimsoll.dev/tools/kube-local

echo "==> reading k8s.io/kubernetes@${version}'s go.mod"
gomod="$(go mod download -json "k8s.io/kubernetes@${version}" | sed -n 's/^\s*"GoMod": "\(.*\)",\?$/\1/p')"
[[ -f "$gomod" ]] || { echo "could not download k8s.io/kubernetes@${version}" >&2; exit 1; }

# The release's own go directive: never ask for a newer Go than the release needs.
go_line="$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$gomod")"
mapfile -t staging < <(sed -n 's#^\s*\(k8s\.io/[A-Za-z0-9._-]*\) => \./staging/src/\1\s*$#\1#p' "$gomod" | sort -u)
(( ${#staging[@]} > 10 )) || { echo "found only ${#staging[@]} staging modules in $gomod" >&2; exit 1; }
echo "==> ${#staging[@]} staging modules -> ${staging_version}"

# Drop the replaces of a previous pin, then write the new ones.
for old in $(go mod edit -json | sed -n 's#^\s*"Path": "\(k8s\.io/[^"]*\)",\?$#\1#p' | sort -u); do
  go mod edit -dropreplace="$old" 2>/dev/null || true
done
args=(-go="$go_line" -require="k8s.io/kubernetes@${version}")
for m in "${staging[@]}"; do
  args+=(-replace="${m}=${m}@${staging_version}")
done
go mod edit "${args[@]}"
go mod edit -toolchain=none
echo "==> go mod tidy"
go mod tidy
echo "==> pinned to Kubernetes ${version} (staging ${staging_version}); go ${go_line}"
