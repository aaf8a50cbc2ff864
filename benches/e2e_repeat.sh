#!/usr/bin/env bash
# The tmux end-to-end tests, each run N times in a row (default 5), to find flakes: races
# between the keys a test sends and what the workbench has drawn. HB_LOAD=K adds K busy loops
# (the machine under load). Prints one line per run; exits 1 if any failed (logs kept).
set -uo pipefail
cd "$(dirname "$0")/.."
passes=${1:-5}
cargo=${CARGO:-cargo}
tests="tui_decisions_e2e tui_mouse_session_e2e tui_investigate_e2e tui_e2e tui_e2e_corpora tui_search_e2e"
$cargo test --no-run -q >/dev/null 2>&1 || { echo "build failed" >&2; exit 1; }
pids=()
for _ in $(seq 1 "${HB_LOAD:-0}"); do yes >/dev/null & pids+=($!); done
trap '[ ${#pids[@]} -eq 0 ] || kill "${pids[@]}" 2>/dev/null' EXIT
failed=0
for i in $(seq 1 "$passes"); do
  for t in $tests; do
    log=$(mktemp)
    if $cargo test --test "$t" >"$log" 2>&1; then
      echo "pass $i $t: ok"; rm -f "$log"
    else
      echo "pass $i $t: FAILED (log $log)"; failed=1
    fi
  done
done
exit $failed
