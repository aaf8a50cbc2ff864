#!/usr/bin/env bash
# The whole test suite, N times in a row (default 3), with two busy loops taking the 2 cores:
# the suite's waits must hold on a loaded machine. Prints one line per pass.
set -uo pipefail
cd "$(dirname "$0")/.."
passes=${1:-3}
cargo test --no-run -q >/dev/null 2>&1 || { echo "build failed" >&2; exit 1; }
yes >/dev/null & y1=$!
yes >/dev/null & y2=$!
trap 'kill $y1 $y2 2>/dev/null' EXIT
failed=0
for i in $(seq 1 "$passes"); do
  start=$(date +%s)
  log=$(mktemp)
  if cargo test >"$log" 2>&1; then rc=0; else rc=$?; failed=1; fi
  echo "pass $i: exit $rc, $(( $(date +%s) - start )) s, load $(cut -d' ' -f1 /proc/loadavg) (log $log)"
done
exit $failed
