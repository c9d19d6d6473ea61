#!/usr/bin/env bash
# Do the short and the explicit example policy decide the same? Runs `plimsoll simulate` on every
# shipped scenario that simulates examples/matcher.yaml, once with it (the short form: standard
# signals implied) and once with examples/matcher-explicit.yaml (every signal written out), and
# compares what each run prints and writes (table, timeline.csv, chart.svg, summary.json) byte
# for byte. Exit 1 on any difference.
#   loadtests/compare-policy-forms.sh [SCENARIO.yaml...]   (default: loadtests/scenarios/*.yaml)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
scenarios=("$@")
[[ ${#scenarios[@]} -gt 0 ]] || scenarios=(loadtests/scenarios/*.yaml)

failures=0
for scenario in "${scenarios[@]}"; do
  name="$(basename "$scenario" .yaml)"
  # Only the scenarios whose policy is the example: the others simulate a policy of their own.
  grep -q '^policy: \.\./\.\./examples/matcher\.yaml$' "$scenario" || { echo "$name: skipped (another policy)"; continue; }
  for form in matcher matcher-explicit; do
    mkdir -p "$OUT/$form"
    node --import tsx src/plimsoll/cli/bin.ts simulate "$scenario" --policy "examples/$form.yaml" --out "$OUT/$form/$name" \
      > "$OUT/$form/$name.table" 2> "$OUT/$form.$name.stderr"
  done
  if diff -r "$OUT/matcher/$name" "$OUT/matcher-explicit/$name" > /dev/null && cmp -s "$OUT/matcher/$name.table" "$OUT/matcher-explicit/$name.table"; then
    bytes="$(cat "$OUT/matcher/$name.table" "$OUT/matcher/$name"/* | wc -c)"
    echo "$name: identical ($bytes bytes: table, timeline.csv, chart.svg, summary.json)"
  else
    echo "$name: DIFFERENT"
    failures=$((failures + 1))
  fi
done
[[ $failures -eq 0 ]] || { echo "$failures scenario(s) decide differently"; exit 1; }
