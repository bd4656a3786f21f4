#!/bin/sh
# run_fuzz.sh <fuzzer> <corpus dir> <seconds> [extra libFuzzer args]
# Replays the committed corpus (every regression case must pass), then
# fuzzes for <seconds> into a scratch copy of it, so a ctest run never
# changes the tree. New inputs worth keeping: `make fuzz` (see
# docs/hardening.md) writes into the committed corpus instead.
set -e
fuzzer=$1; corpus=$2; secs=$3; shift 3
work=$(mktemp -d /tmp/onespace-fuzz-XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
mkdir -p "$work/corpus" "$work/artifacts"
cp "$corpus"/* "$work/corpus/" 2>/dev/null || true
echo "== replaying $(ls "$corpus" | wc -l) committed inputs"
"$fuzzer" -runs=0 "$corpus"
echo "== fuzzing for ${secs}s (seed ${FUZZ_SEED:-1})"
# A fixed seed by default keeps `make test` repeatable: the same inputs in
# the same order on every run (how far it gets still depends on speed).
"$fuzzer" -seed="${FUZZ_SEED:-1}" -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 \
  -artifact_prefix="$work/artifacts/" -print_final_stats=1 "$@" "$work/corpus" || {
  status=$?
  mkdir -p /tmp/onespace-fuzz-crashes
  cp "$work"/artifacts/* /tmp/onespace-fuzz-crashes/ 2>/dev/null || true
  echo "fuzz: failed; crashing inputs copied to /tmp/onespace-fuzz-crashes/"
  exit $status
}
