#!/usr/bin/env bash
# Run every fuzz target one after the other (one core), each for SECONDS_PER_TARGET seconds
# (default 600). New inputs go to fuzz/corpus-work/<target> (ignored by git); the committed
# seeds in fuzz/corpus/<target> are read only. Crashers land in fuzz/artifacts/<target>/.
# Needs cargo-fuzz; on a stable toolchain RUSTC_BOOTSTRAP=1 lets it use the sanitizer flags.
set -u
cd "$(dirname "$0")"
secs=${SECONDS_PER_TARGET:-600}
targets=${*:-xml json_shapes ndjson_ecs evtx framer_lines eql spl sigma allowlist triage}
export RUSTC_BOOTSTRAP=1
for t in $targets; do
    mkdir -p "corpus-work/$t" "logs"
    start=$(date +%s)
    cargo fuzz run -O "$t" "corpus-work/$t" "corpus/$t" -- \
        -max_total_time="$secs" -rss_limit_mb=4096 -timeout=10 -print_final_stats=1 \
        >"logs/$t.log" 2>&1
    rc=$?
    echo "$t: exit $rc after $(( $(date +%s) - start ))s" | tee -a logs/summary.txt
done
