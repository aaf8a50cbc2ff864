#!/usr/bin/env bash
# Same-run comparison of two huntbench binaries and `cat` on one file: the runs alternate
# (old, new, cat, old, new, cat, …) so machine noise falls on all three alike; prints the
# median wall time of each and every run. Nothing is asserted.
#
#   benches/ab.sh OLD_BINARY NEW_BINARY FILE [RUNS=5]
#
# An older commit's binary: git worktree add /tmp/before COMMIT &&
#   (cd /tmp/before && cargo build --release)  → /tmp/before/target/release/huntbench
set -eu
old=$1 new=$2 file=$3 runs=${4:-5}
for _ in $(seq "$runs"); do
    for who in old new cat; do
        start=$(date +%s.%N)
        case $who in
            old) "$old" scan "$file" >/dev/null 2>&1 ;;
            new) "$new" scan "$file" >/dev/null 2>&1 ;;
            cat) cat "$file" >/dev/null ;;
        esac
        end=$(date +%s.%N)
        echo "$who $(echo "$end - $start" | bc)"
    done
done | sort -k1,1 -k2,2n | awk '
    { t[$1] = t[$1] " " $2; n[$1]++ }
    END { for (k in t) { split(t[k], v, " "); printf "%s: median %.3f s (runs:%s)\n", k, v[int((n[k] + 1) / 2)], t[k] } }'
